"""The audit detects truncation, a moved chain head, a full re-hash and forged tombstones by
itself: checkpoints signed with the HMAC key (never in the database) are written every N events and
on demand to a file outside the database, and `audit verify` checks every one of them without being
given a checkpoint. Each attack is done with raw SQL, as someone holding only the database would
do it (the append-only triggers lifted as in test_audit_chain.py), with the product's own hash
functions where it re-hashes."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from privacy import chain
from privacy.checkpoints import checkpoint_path, stored_checkpoints
from privacy.models import AuditEvent
from privacy.services import audit_purge, audit_record
from privacy.triggers import drop_triggers, install_triggers

pytestmark = pytest.mark.django_db

EVERY = 5


@pytest.fixture(autouse=True)
def checkpoint_every(settings):
    settings.RAG_AUDIT_CHECKPOINT_EVERY = EVERY
    settings.RAG_AUDIT_CHECKPOINT_DIR = None  # RAG_DATA_DIR/audit, a fresh folder per test
    settings.RAG_AUDIT_SYSLOG = False


@pytest.fixture
def record(django_capture_on_commit_callbacks):
    """record(n): n events, committed (the test's transaction never commits, so the on-commit
    callbacks that write checkpoints run at the end of each call, as a commit would run them)."""

    def make(n: int) -> list[AuditEvent]:
        with django_capture_on_commit_callbacks(execute=True):
            return [
                audit_record(action="test.event", actor=None, payload={"n": i}) for i in range(n)
            ]

    return make


def _sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _tamper(*statements: tuple[str, list]) -> None:
    drop_triggers(connection)
    for statement, params in statements:
        _sql(statement, params)
    install_triggers(connection)


def _move_head(sequence: int, chain_hash: str) -> tuple[str, list]:
    return (
        "UPDATE privacy_chainhead SET last_sequence = %s, last_hash = %s",
        [sequence, chain_hash],
    )


def _verify_command() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("audit", "verify", stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def _verify_fails(match: str) -> CommandError:
    with pytest.raises(CommandError, match=match) as excinfo:
        _verify_command()
    assert excinfo.value.returncode == 2
    return excinfo.value


# --- checkpoints are written by themselves --------------------------------------------------------


def test_a_checkpoint_every_n_events_in_a_private_file(record):
    events = record(12)
    checkpoints = stored_checkpoints()
    assert [(c["sequence"], c["hash"]) for c in checkpoints] == [
        (5, events[4].hash),
        (10, events[9].hash),
    ]
    assert all(chain.checkpoint_problem(c) == "" for c in checkpoints)
    path = checkpoint_path()
    assert path.name == "checkpoints.jsonl" and path.parent.name == "audit"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    out, err = _verify_command()
    assert out == "chain intact: 12 events (2 signed checkpoints, the latest at sequence 10)"
    assert err == ""


def test_the_checkpoint_waits_for_the_outer_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            for i in range(EVERY):
                audit_record(action="test.event", actor=None, payload={"n": i})
            assert not checkpoint_path().exists()  # event 5 is not committed yet
        assert not checkpoint_path().exists()
    assert [c["sequence"] for c in stored_checkpoints()] == [EVERY]


def test_no_checkpoint_for_events_rolled_back(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        for i in range(EVERY):
            audit_record(action="test.event", actor=None, payload={"n": i})
        raise RuntimeError("the request failed")
    assert callbacks == [] and not checkpoint_path().exists()
    assert chain.verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_a_real_commit_writes_the_checkpoint():
    for i in range(EVERY):
        audit_record(action="test.event", actor=None, payload={"n": i})
    assert [c["sequence"] for c in stored_checkpoints()] == [EVERY]


def test_a_failed_checkpoint_write_does_not_fail_the_event(record, settings, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.RAG_AUDIT_CHECKPOINT_DIR = blocker  # a file where the folder should be
    events = record(EVERY)
    assert events[-1].sequence == EVERY and AuditEvent.objects.count() == EVERY
    assert f"audit checkpoint #{EVERY} not written" in caplog.text


def test_the_checkpoint_command_and_the_scheduled_task(record):
    from assistant.celery import app

    record(3)
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert out.getvalue().strip() == f"checkpoint of sequence 3 written to {checkpoint_path()}"
    record(1)
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert app.tasks["privacy.audit_checkpoint"].apply().get() == 4
    assert [c["sequence"] for c in stored_checkpoints()] == [3, 4]


def test_the_checkpoint_folder_can_move(record, settings, tmp_path):
    elsewhere = tmp_path / "other-disk" / "rag-audit"
    settings.RAG_AUDIT_CHECKPOINT_DIR = elsewhere
    record(EVERY)
    assert (elsewhere / "checkpoints.jsonl").exists()
    assert not (Path(settings.DATA_DIR) / "audit").exists()


def test_modes_do_not_depend_on_the_umask_and_are_tightened(record, settings):
    folder = Path(settings.DATA_DIR) / "audit"
    previous = os.umask(0o022)
    try:
        folder.mkdir(mode=0o755)
        (folder / "checkpoints.jsonl").write_text("")
        os.chmod(folder / "checkpoints.jsonl", 0o644)
        record(EVERY)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "checkpoints.jsonl").stat().st_mode) == 0o600


def test_checkpoints_also_go_to_syslog(record, settings):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.RAG_AUDIT_SYSLOG = True
    settings.RAG_AUDIT_SYSLOG_ADDRESS = f"127.0.0.1:{receiver.getsockname()[1]}"
    try:
        events = record(EVERY)
        datagram = receiver.recv(4096).decode("utf-8")
    finally:
        receiver.close()
    # "<PRI>rag-audit-checkpoint: {json}", PRI = facility authpriv (10) * 8 + info (6)
    assert datagram.startswith("<86>rag-audit-checkpoint: ")
    sent = json.loads(datagram.split(": ", 1)[1].rstrip("\x00"))
    assert sent == stored_checkpoints()[0]
    assert sent["hash"] == events[-1].hash and chain.checkpoint_problem(sent) == ""


def test_the_hmac_key_is_not_in_the_database(record, settings):
    if connection.vendor != "sqlite":
        pytest.skip("reads the whole database through SQLite's dump")
    record(EVERY)
    audit_purge(before=timezone.now())
    dump = "\n".join(connection.connection.iterdump())
    assert "privacy_auditevent" in dump
    assert settings.RAG_AUDIT_HMAC_KEY not in dump


# --- fresh install ------------------------------------------------------------------------------


def test_a_fresh_install_verifies_without_any_checkpoint(record):
    assert _verify_command() == ("chain intact: 0 events", "")
    record(3)  # fewer than EVERY: no checkpoint yet
    out, err = _verify_command()
    assert out == "chain intact: 3 events"
    assert "no signed checkpoint yet" in err and "audit checkpoint" in err


# --- the attacks -------------------------------------------------------------------------------


def test_truncation_with_the_head_moved_back_fails_verify(record):
    events = record(12)  # checkpoints at 5 and 10
    last_kept = events[7]
    _tamper(
        ("DELETE FROM privacy_auditevent WHERE sequence > %s", [last_kept.sequence]),
        _move_head(last_kept.sequence, last_kept.hash),
    )
    assert chain.verify_chain(stored=False).ok  # the hash chain alone: "intact"
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 9)
    assert "signed checkpoint covers 10 events, the table holds 8" in report.reason
    _verify_fails("chain broken at sequence 9: a signed checkpoint covers 10 events")


def test_a_wiped_chain_with_its_head_deleted_fails_verify(record):
    record(EVERY)
    _tamper(("DELETE FROM privacy_auditevent", []), ("DELETE FROM privacy_chainhead", []))
    assert chain.verify_chain(stored=False).ok  # looks like a fresh install
    _verify_fails("a signed checkpoint covers 5 events, the table holds 0")


def test_a_deleted_head_rebuilt_from_a_truncated_table_fails_verify(record):
    """With no head row, the next event rebuilds the head from the last row left (append_event):
    truncating and deleting the head is then hidden from the hash chain by the product itself."""
    events = record(7)  # checkpoint at 5
    _tamper(
        ("DELETE FROM privacy_auditevent WHERE sequence >= 4", []),
        ("DELETE FROM privacy_chainhead", []),
    )
    record(1)  # event 4 again, chained to event 3
    assert AuditEvent.objects.get(sequence=4).hash != events[3].hash
    assert chain.verify_chain(stored=False).ok
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 5)
    assert "signed checkpoint covers 5 events, the table holds 4" in report.reason


def test_a_full_rehash_after_an_edit_fails_verify(record):
    record(12)  # checkpoints at 5 and 10
    drop_triggers(connection)
    _sql("UPDATE privacy_auditevent SET data = %s WHERE sequence = 3", ['{"n": 99}'])
    prev_hash = AuditEvent.objects.get(sequence=2).hash
    for event in AuditEvent.objects.filter(sequence__gte=3).order_by("sequence"):
        event.prev_hash = prev_hash
        event.payload_digest = chain.payload_digest(event)
        event.hash = chain.event_hash(event)
        _sql(
            "UPDATE privacy_auditevent SET prev_hash = %s, payload_digest = %s, hash = %s"
            " WHERE sequence = %s",
            [event.prev_hash, event.payload_digest, event.hash, event.sequence],
        )
        prev_hash = event.hash
    _sql(*_move_head(12, prev_hash))
    install_triggers(connection)
    assert AuditEvent.objects.get(sequence=3).data == {"n": 99}
    assert chain.verify_chain(stored=False).ok  # every link and digest agrees again
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 5)
    assert "differs from the signed checkpoint" in report.reason
    _verify_fails("chain broken at sequence 5: hash differs from the signed checkpoint")


def test_a_tombstone_excused_by_a_forged_purge_record_fails_verify(record):
    record(6)  # checkpoint at 5
    # The triggers let this UPDATE through (it is the shape of a purge) ...
    _sql(
        "UPDATE privacy_auditevent SET tombstone = TRUE, question = '', answer = '', data = '{}'"
        " WHERE sequence = 6"
    )
    # ... and a purge record appended with the product's hash functions, head moved along.
    last = AuditEvent.objects.get(sequence=6)
    for signature in ("", "0" * 64):
        forged = AuditEvent(action=chain.PURGE_ACTION, sequence=7, prev_hash=last.hash)
        forged.data = {"before": chain.timestamp(timezone.now()), "count": 1}
        if signature:
            forged.data["signature"] = signature
        forged.created_at = timezone.now()
        forged.payload_digest = chain.payload_digest(forged)
        forged.hash = chain.event_hash(forged)
        _tamper(
            ("DELETE FROM privacy_auditevent WHERE sequence = 7", []),
            (
                "INSERT INTO privacy_auditevent (sequence, created_at, action, actor_id,"
                " actor_username, actor_roles, exchange_public_id, question, answer, refused,"
                " pii_counts, data, tombstone, payload_digest, prev_hash, hash) VALUES"
                " (%s, %s, %s, NULL, '', '', NULL, '', '', FALSE, '{}', %s, FALSE, %s, %s, %s)",
                [
                    7,
                    connection.ops.adapt_datetimefield_value(forged.created_at),
                    forged.action,
                    json.dumps(forged.data),
                    forged.payload_digest,
                    forged.prev_hash,
                    forged.hash,
                ],
            ),
            _move_head(7, forged.hash),
        )
        report = chain.verify_chain()
        assert (report.ok, report.broken_sequence) == (False, 6)
        assert "tombstone not covered by any signed purge record" in report.reason


def test_only_audit_purge_vouches_for_tombstones(record):
    record(3)
    call_command("audit", "purge", "--before", timezone.now().isoformat(), stdout=io.StringIO())
    purge = AuditEvent.objects.get(action=chain.PURGE_ACTION)
    assert purge.data["signature"] == chain.purge_signature(purge.data["before"])
    assert _verify_command()[0] == "chain intact: 4 events (3 purged to tombstones)"


def test_an_unsigned_purge_record_from_before_is_trusted_once_a_checkpoint_covers_it(record):
    """Purge records written before purges were signed: an operator's first `audit checkpoint`
    after the upgrade vouches for them (README, "Privacy and audit")."""
    record(3)
    audit_purge(before=timezone.now())
    purge = AuditEvent.objects.get(action=chain.PURGE_ACTION)
    unsigned = {k: v for k, v in purge.data.items() if k != "signature"}
    purge.data = unsigned
    purge.payload_digest = chain.payload_digest(purge)
    purge.hash = chain.event_hash(purge)
    _tamper(
        (
            "UPDATE privacy_auditevent SET data = %s, payload_digest = %s, hash = %s"
            " WHERE sequence = %s",
            [json.dumps(unsigned), purge.payload_digest, purge.hash, purge.sequence],
        ),
        _move_head(purge.sequence, purge.hash),
    )
    assert "tombstone" in chain.verify_chain().reason
    call_command("audit", "checkpoint", stdout=io.StringIO())
    assert chain.verify_chain().ok


# --- the checkpoint file itself ----------------------------------------------------------------


def test_an_edited_checkpoint_fails_verify(record):
    record(10)
    path = checkpoint_path()
    lines = path.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["sequence"] = 8  # e.g. to excuse the deletion of events 9 and 10
    path.write_text(lines[0] + "\n" + json.dumps(edited) + "\n")
    report = chain.verify_chain()
    assert (report.ok, report.broken_sequence) == (False, 8)
    assert "signature is invalid" in report.reason


def test_a_garbled_checkpoint_file_fails_verify(record):
    record(EVERY)
    with checkpoint_path().open("a") as out:
        out.write("not json\n")
    _verify_fails("chain not verified: .*checkpoints.jsonl line 2 is not a checkpoint")


def test_checkpoints_of_another_database_fail_verify(record):
    """A database replaced by another one (or reset) under the same checkpoint file."""
    record(EVERY)
    _tamper(("DELETE FROM privacy_auditevent", []), ("DELETE FROM privacy_chainhead", []))
    record(EVERY)  # a new chain, another hash at sequence 5
    _verify_fails("two signed checkpoints disagree about event 5")
