import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistant.accounts.roles import ROLES
from assistant.accounts.services import AccountError, user_create_or_update


class Command(BaseCommand):
    help = "Create a user (or add roles to an existing one). Idempotent."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=ROLES, required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("empty password on standard input")
        try:
            user, created = user_create_or_update(
                username=options["username"],
                roles=options["role"],
                password=password,
                email=options["email"],
            )
        except AccountError as exc:
            raise CommandError(str(exc)) from exc
        state = "created" if created else "updated"
        self.stdout.write(f"{state} {user.username} with role(s) {', '.join(options['role'])}")
