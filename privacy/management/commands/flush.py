"""`flush`, aware of the append-only audit table.

On a test database (what TransactionTestCase flushes after each test) the triggers are dropped for
the flush and installed again afterwards. On any other database the triggers stay, so flushing a
database that holds audit events fails with "audit events are append-only": the trail is not
wiped by accident. PostgreSQL flushes with TRUNCATE, which the row triggers do not see.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from privacy.triggers import drop_triggers, install_triggers


def _is_test_database(connection: Any) -> bool:
    name = str(connection.settings_dict.get("NAME") or "")
    test_name = str((connection.settings_dict.get("TEST") or {}).get("NAME") or "")
    return ("memory" in name) or (bool(test_name) and name == test_name)


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite" or not _is_test_database(connection):
            super().handle(**options)
            return
        drop_triggers(connection)
        try:
            super().handle(**options)
        finally:
            install_triggers(connection)
