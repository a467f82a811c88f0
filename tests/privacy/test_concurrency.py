"""Concurrent writers on separate connections leave no gap and no duplicate."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from privacy import chain
from privacy.models import AuditEvent
from privacy.services import audit_record


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_leave_no_gap():
    if connection.vendor == "sqlite":
        assert "memory" not in str(connection.settings_dict["NAME"])  # a real file, real locks
    writers, per_writer = 4, 10
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(worker: int) -> None:
        from django.db import connection as thread_connection

        try:
            start.wait()
            for i in range(per_writer):
                audit_record(action="test.concurrent", actor=None, payload={"w": worker, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sequences = list(AuditEvent.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, writers * per_writer + 1))
    assert chain.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_triggers_survive_the_test_flush():
    """Runs after the test above, whose teardown flushed the audit table (privacy's `flush`
    lifts the triggers for that on test databases only): they must be back."""
    from django.db import DatabaseError, transaction

    audit_record(action="test.after_flush", actor=None, payload={})
    assert AuditEvent.objects.get().sequence == 1  # the chain restarted cleanly
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM privacy_auditevent")
