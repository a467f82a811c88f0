from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistant.accounts.services import AccountError, collection_grant


class Command(BaseCommand):
    help = "Grant (or --revoke) read access on a collection to a user or a group. Idempotent."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--collection", required=True, metavar="SLUG")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--user", metavar="NAME")
        target.add_argument("--group", metavar="NAME")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            message = collection_grant(
                collection_slug=options["collection"],
                username=options["user"],
                group_name=options["group"],
                revoke=options["revoke"],
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(message)
