"""Append-only audit trail: ORM and triggers refuse changes; verify catches every tampering."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from privacy import chain
from privacy.models import AppendOnlyError, AuditEvent, ChainHead
from privacy.services import audit_purge, audit_record
from privacy.triggers import drop_triggers, install_triggers

pytestmark = pytest.mark.django_db


def _events(n: int = 5) -> list[AuditEvent]:
    return [audit_record(action="test.event", actor=None, payload={"n": i}) for i in range(n)]


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _tamper(statement: str, params: list | None = None) -> None:
    drop_triggers(connection)
    _sql(statement, params)
    install_triggers(connection)


def test_sequences_link_and_verify():
    events = _events(3)
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].prev_hash == chain.GENESIS
    assert events[1].prev_hash == events[0].hash
    report = chain.verify_chain()
    assert report.ok and report.count == 3
    assert report.message() == "chain intact: 3 events"


def test_orm_refuses_update_and_delete():
    event = _events(1)[0]
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="changed")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE privacy_auditevent SET question = 'forged'",
        "UPDATE privacy_auditevent SET action = 'x'",
        "UPDATE privacy_auditevent SET tombstone = TRUE, question = '', hash = 'x'",
        "DELETE FROM privacy_auditevent",
    ],
)
def test_triggers_refuse_raw_sql(statement):
    _events(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(statement)
    assert chain.verify_chain().ok


def test_field_edit_is_detected():
    _events(4)
    _tamper("UPDATE privacy_auditevent SET data = %s WHERE sequence = 3", ['{"n": 99}'])
    report = chain.verify_chain()
    assert not report.ok and report.broken_sequence == 3
    assert "content altered" in report.reason


def test_time_edit_is_detected():
    _events(3)
    _tamper("UPDATE privacy_auditevent SET action = 'other' WHERE sequence = 2")
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 2)
    assert "hash mismatch" in report.reason


def test_deletion_in_the_middle_is_detected():
    _events(4)
    _tamper("DELETE FROM privacy_auditevent WHERE sequence = 2")
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 2)
    assert "missing" in report.reason


def test_deletion_at_the_end_is_detected():
    _events(4)
    _tamper("DELETE FROM privacy_auditevent WHERE sequence = 4")
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 4)
    assert "chain head" in report.reason


def test_reordering_is_detected():
    _events(4)
    drop_triggers(connection)
    _sql("UPDATE privacy_auditevent SET sequence = 100 WHERE sequence = 2")
    _sql("UPDATE privacy_auditevent SET sequence = 2 WHERE sequence = 3")
    _sql("UPDATE privacy_auditevent SET sequence = 3 WHERE sequence = 100")
    install_triggers(connection)
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 2)


def test_insertion_in_the_middle_is_detected():
    events = _events(3)
    drop_triggers(connection)
    _sql("UPDATE privacy_auditevent SET sequence = sequence + 10 WHERE sequence >= 2")
    _sql("UPDATE privacy_auditevent SET sequence = sequence - 9 WHERE sequence >= 12")
    forged = AuditEvent(action="forged", prev_hash=events[0].hash, sequence=2)
    forged.created_at = timezone.now()
    forged.payload_digest = chain.payload_digest(forged)
    forged.hash = chain.event_hash(forged)
    forged.save(force_insert=True)
    install_triggers(connection)
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 3)


def test_appending_outside_the_service_is_detected():
    events = _events(2)
    forged = AuditEvent(action="forged", prev_hash=events[-1].hash, sequence=3)
    forged.created_at = timezone.now()
    forged.payload_digest = chain.payload_digest(forged)
    forged.hash = chain.event_hash(forged)
    forged.save(force_insert=True)  # a valid-looking link, but the chain head was not moved
    report = chain.verify_chain()
    assert not report.ok and "chain head" in report.reason


def test_tombstone_without_purge_is_detected():
    _events(3)
    # The triggers allow this shape of UPDATE (it is what a purge does) ...
    _sql(
        "UPDATE privacy_auditevent SET tombstone = TRUE, question = '', answer = '', data = '{}' "
        "WHERE sequence = 2"
    )
    report = chain.verify_chain()  # ... but no purge event covers it
    assert (report.ok, report.broken_sequence) == (False, 2)
    assert "tombstone" in report.reason


def test_purge_keeps_the_chain_verifiable():
    audit_record(action="test.event", actor=None, payload={"note": "kept?"})
    _events(2)
    count = audit_purge(before=timezone.now())
    assert count == 3
    purged = AuditEvent.objects.get(sequence=1)
    assert purged.tombstone and purged.data == {} and purged.hash
    last = AuditEvent.objects.order_by("-sequence")[0]
    assert last.action == chain.PURGE_ACTION and not last.tombstone
    report = chain.verify_chain()
    assert report.ok and report.tombstones == 3 and report.count == 4


def test_checkpoint_catches_a_rewound_chain():
    _events(3)
    checkpoint = chain.make_checkpoint()
    assert chain.verify_chain(checkpoint=checkpoint).ok
    # Delete the newest event AND rewind the head: only the signed checkpoint can tell.
    previous = AuditEvent.objects.get(sequence=2)
    _tamper("DELETE FROM privacy_auditevent WHERE sequence = 3")
    ChainHead.objects.filter(pk=1).update(last_sequence=2, last_hash=previous.hash)
    assert chain.verify_chain().ok
    report = chain.verify_chain(checkpoint=checkpoint)
    assert not report.ok and report.broken_sequence == 3


def test_forged_checkpoint_is_rejected():
    _events(1)
    checkpoint = chain.make_checkpoint()
    checkpoint["sequence"] = 0
    report = chain.verify_chain(checkpoint=checkpoint)
    assert not report.ok and "signature" in report.reason
