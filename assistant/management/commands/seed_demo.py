import os
import secrets
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from assistant.accounts.services import collection_grant, user_create_or_update
from ingestion.models import Collection

DEMO_USERS = (
    ("alice", ["employee"]),
    ("bob", ["employee"]),
    ("ada", ["admin"]),
    ("carl", ["compliance"]),
)


class Command(BaseCommand):
    help = (
        "Create demo users for each role (alice, bob: employee; ada: admin; carl: compliance), "
        "a demo collection readable by alice and the demo documents. Idempotent: passwords are "
        "generated and printed only when a user is first created."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-documents", action="store_true", help="create users and collections only"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        new_passwords: list[tuple[str, str]] = []
        for username, roles in DEMO_USERS:
            password = secrets.token_urlsafe(9)
            user, created = user_create_or_update(username=username, roles=roles)
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
                new_passwords.append((username, password))
        demo, _ = Collection.objects.get_or_create(
            slug="demo",
            defaults={
                "name": "Demo handbook",
                "description": "Sample company handbook in English and French.",
                "sensitivity": Collection.Sensitivity.INTERNAL,
            },
        )
        Collection.objects.get_or_create(
            slug="finance",
            defaults={
                "name": "Finance (restricted)",
                "description": "Readable by bob only: shows that access is enforced.",
                "sensitivity": Collection.Sensitivity.CONFIDENTIAL,
            },
        )
        collection_grant(collection_slug="demo", username="alice")
        collection_grant(collection_slug="finance", username="bob")
        if not options["no_documents"]:
            self._seed_documents(demo)
        if new_passwords:
            lines = [f"  {name:6} {password}" for name, password in new_passwords]
            self.stdout.write(
                "Demo users created. Passwords (shown once, also saved to "
                f"{settings.DATA_DIR / 'demo-passwords.txt'}):"
            )
            self.stdout.write("\n".join(lines))
            path = settings.DATA_DIR / "demo-passwords.txt"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a") as handle:
                handle.write("\n".join(f"{n} {p}" for n, p in new_passwords) + "\n")
        else:
            self.stdout.write("Demo data already present; nothing changed.")

    def _seed_documents(self, collection: Collection) -> None:
        from ingestion.demo import seed_demo_documents

        seed_demo_documents(collection)
