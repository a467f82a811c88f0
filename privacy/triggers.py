"""Database triggers that make the audit table append-only, for SQLite and PostgreSQL.

UPDATE and DELETE are rejected, except the single UPDATE a retention purge performs: turning a
live row into a tombstone (payload cleared) without touching any chained field. TRUNCATE is not
blocked on PostgreSQL: Django's test flush uses it, and it needs table-owner rights anyway.

Installed by migration 0002 and again after every migrate/flush (post_migrate, idempotent), because
a test flush on SQLite has to drop them to empty the table (see tests/privacy/conftest.py).
"""

from __future__ import annotations

from typing import Any

TABLE = "privacy_auditevent"
MESSAGE = "audit events are append-only"

# The only permitted UPDATE: OLD live -> NEW tombstone with the chained fields unchanged.
_TOMBSTONE_ONLY = (
    "NEW.tombstone AND NOT OLD.tombstone AND NEW.id = OLD.id AND NEW.sequence = OLD.sequence"
    " AND NEW.created_at = OLD.created_at AND NEW.action = OLD.action"
    " AND NEW.payload_digest = OLD.payload_digest AND NEW.prev_hash = OLD.prev_hash"
    " AND NEW.hash = OLD.hash AND NEW.question = '' AND NEW.answer = ''"
)

SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
        WHEN NOT ({_TOMBSTONE_ONLY})
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
]

POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND ({_TOMBSTONE_ONLY}) THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"""CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()""",
]
POSTGRES_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}"]


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    raise NotImplementedError(f"No append-only triggers for database vendor {vendor!r}")


def install_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=True):
            cursor.execute(sql)


def drop_triggers(connection: Any) -> None:
    """Only for tests and for the test-database flush: never called by the product."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=False):
            cursor.execute(sql)


def install_triggers_migration(apps: Any, schema_editor: Any) -> None:
    install_triggers(schema_editor.connection)


def drop_triggers_migration(apps: Any, schema_editor: Any) -> None:
    drop_triggers(schema_editor.connection)


def reinstall_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: flush (tests) may have dropped the triggers; put them back."""
    from django.db import connections

    connection = connections[using]
    if TABLE in connection.introspection.table_names():
        install_triggers(connection)
