"""The audit hash chain: append, verify, export with a signed checkpoint, purge to tombstones.

hash(n)   = sha256(canonical({"prev": hash(n-1), "seq": n, "time": t, "action": a, "digest": d}))
digest(n) = sha256(canonical({every payload field}))

A tombstone keeps its digest and hash, so the chain verifies without the content. Verification
also checks that every tombstone is older than a purge the product recorded (its record is signed
with the HMAC key, which is not in the database), and that the table ends where the chain head
says it ends.

The hash chain alone cannot tell a rewritten chain from the real one: anyone who can write to the
database can delete the newest rows and move the head back, or re-hash every row after an edit.
So every RAG_AUDIT_CHECKPOINT_EVERY events, and whenever `audit checkpoint` (or the Celery task
privacy.audit_checkpoint) runs, the head is signed with the HMAC key and stored outside the
database (privacy.checkpoints); verification requires every stored checkpoint's event to exist
with the signed hash.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from privacy.checkpoints import CheckpointFileError, store_checkpoint, stored_checkpoints
from privacy.exports import neutralise_cell
from privacy.models import AuditEvent, ChainHead

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
PURGE_ACTION = "audit.purge"


def canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def payload_of(event: AuditEvent) -> dict[str, Any]:
    payload = {name: getattr(event, name) for name in AuditEvent.PAYLOAD_FIELDS}
    if payload["exchange_public_id"] is not None:
        payload["exchange_public_id"] = str(payload["exchange_public_id"])
    return payload


def payload_digest(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(payload_of(event))).hexdigest()


def event_hash(event: AuditEvent) -> str:
    header = {
        "prev": event.prev_hash,
        "seq": event.sequence,
        "time": timestamp(event.created_at),
        "action": event.action,
        "digest": event.payload_digest,
    }
    return hashlib.sha256(canonical(header)).hexdigest()


def normalise_json(value: Any) -> Any:
    """What the database will give back: tuples become lists, keys strings, UUIDs strings."""
    return json.loads(canonical(value))


def append_event(event: AuditEvent) -> AuditEvent:
    """Give `event` the next sequence number and chain it; one transaction, head row locked.
    A purge record is signed (only the product can vouch for tombstones); every
    RAG_AUDIT_CHECKPOINT_EVERY-th event gets a checkpoint, written once the outermost transaction
    commits (never for an event that is rolled back; a failure to write it is logged)."""
    event.pii_counts = normalise_json(event.pii_counts)
    event.data = normalise_json(event.data)
    if event.action == PURGE_ACTION and isinstance(event.data, dict):
        event.data["signature"] = purge_signature(str(event.data.get("before", "")))
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:  # first event, or the table was flushed (tests)
            last = AuditEvent.objects.order_by("-sequence").first()
            try:
                with transaction.atomic():  # another writer may create it at the same moment
                    ChainHead.objects.create(
                        pk=1,
                        last_sequence=last.sequence if last else 0,
                        last_hash=last.hash if last else GENESIS,
                    )
            except IntegrityError:
                pass
            head = ChainHead.objects.select_for_update().get(pk=1)
        event.sequence = head.last_sequence + 1
        event.prev_hash = head.last_hash
        event.created_at = timezone.now()
        event.payload_digest = payload_digest(event)
        event.hash = event_hash(event)
        event.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(last_sequence=event.sequence, last_hash=event.hash)
        every = settings.RAG_AUDIT_CHECKPOINT_EVERY
        if every and event.sequence % every == 0:
            sequence, chain_hash = event.sequence, event.hash
            transaction.on_commit(
                lambda: checkpoint_after_commit(sequence, chain_hash), robust=True
            )
    return event


def checkpoint_after_commit(sequence: int, chain_hash: str) -> None:
    """The every-N checkpoint: a full disk must not fail the request whose event it follows (the
    next checkpoint, or the scheduled one, covers this event too)."""
    try:
        write_checkpoint(sequence, chain_hash)
    except OSError as exc:
        logger.error("audit checkpoint #%s not written: %s", sequence, exc)


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int
    tombstones: int = 0
    broken_sequence: int | None = None
    reason: str = ""
    checkpoints: int = 0  # signed checkpoints the chain was checked against
    checkpoint_sequence: int = 0  # the newest of them

    def message(self) -> str:
        if self.ok:
            extras = []
            if self.tombstones:
                extras.append(f"{self.tombstones} purged to tombstones")
            if self.checkpoints:
                plural = "s" if self.checkpoints > 1 else ""
                extras.append(
                    f"{self.checkpoints} signed checkpoint{plural},"
                    f" the latest at sequence {self.checkpoint_sequence}"
                )
            extra = f" ({'; '.join(extras)})" if extras else ""
            return f"chain intact: {self.count} events{extra}"
        if not self.broken_sequence:
            return f"chain not verified: {self.reason}"
        return f"chain broken at sequence {self.broken_sequence}: {self.reason}"


def _broken(count: int, sequence: int, reason: str) -> VerifyReport:
    return VerifyReport(ok=False, count=count, broken_sequence=sequence, reason=reason)


def verify_chain(*, checkpoint: dict[str, Any] | None = None, stored: bool = True) -> VerifyReport:
    """Walk the whole chain in sequence order; report the first broken sequence number and why.

    The chain is checked against every signed checkpoint: the stored ones (privacy.checkpoints;
    none yet on a fresh install) unless `stored` is False, and `checkpoint` when given. Each one's
    event must exist with the signed hash: the newest events cannot be deleted (with the chain head
    moved back), nor the chain re-hashed after an edit, without breaking one. Events appended since
    the latest checkpoint are only protected by the chain head."""
    try:
        checkpoints = stored_checkpoints() if stored else []
    except CheckpointFileError as exc:
        return _broken(0, 0, str(exc))
    if checkpoint is not None:
        checkpoints.append(checkpoint)
    signed: dict[int, str] = {}
    for candidate in checkpoints:
        problem = checkpoint_problem(candidate)
        if problem:
            return _broken(0, _claimed_sequence(candidate), problem)
        sequence, chain_hash = int(candidate["sequence"]), str(candidate["hash"])
        if signed.setdefault(sequence, chain_hash) != chain_hash:
            return _broken(
                0,
                sequence,
                f"two signed checkpoints disagree about event {sequence}"
                " (was the database replaced? move the old checkpoint file aside)",
            )
    newest = max(signed, default=0)
    signed.pop(0, None)  # a checkpoint of the empty chain: nothing to find
    latest_cutoff = max(
        (
            _trusted_purge_cutoff(e, covered=newest)
            for e in AuditEvent.objects.filter(action=PURGE_ACTION, tombstone=False)
        ),
        default="",
    )
    prev_hash, expected, tombstones = GENESIS, 1, 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=500):
        if event.sequence != expected:
            what = "missing" if event.sequence > expected else "duplicated or out of order"
            return _broken(expected - 1, expected, f"event {expected} is {what}")
        if event.prev_hash != prev_hash:
            return _broken(
                expected - 1,
                expected,
                "previous-hash link does not match event "
                f"{expected - 1} (event inserted, removed or reordered)",
            )
        if event.tombstone:
            tombstones += 1
            if not latest_cutoff or timestamp(event.created_at) >= latest_cutoff:
                return _broken(
                    expected - 1, expected, "tombstone not covered by any signed purge record"
                )
        elif payload_digest(event) != event.payload_digest:
            return _broken(expected - 1, expected, "content altered (payload digest mismatch)")
        if event_hash(event) != event.hash:
            return _broken(expected - 1, expected, "hash mismatch (time, action or digest altered)")
        if signed.get(event.sequence, event.hash) != event.hash:
            return _broken(
                expected - 1,
                expected,
                "hash differs from the signed checkpoint (the events up to here were rewritten)",
            )
        prev_hash, expected = event.hash, expected + 1
    count = expected - 1
    if count < newest:
        return _broken(
            count,
            count + 1,
            f"a signed checkpoint covers {newest} events, the table holds {count}"
            " (newest events deleted)",
        )
    head = ChainHead.objects.filter(pk=1).first()
    head_sequence = head.last_sequence if head else 0
    head_hash = head.last_hash if head else GENESIS
    if head_sequence != count or head_hash != prev_hash:
        return _broken(
            count,
            min(head_sequence, count) + 1,
            f"chain head records {head_sequence} events, the table holds {count}"
            " (events deleted or appended outside the service)",
        )
    return VerifyReport(
        ok=True,
        count=count,
        tombstones=tombstones,
        checkpoints=len(checkpoints),
        checkpoint_sequence=newest,
    )


def _claimed_sequence(checkpoint: Any) -> int:
    try:
        return int(checkpoint.get("sequence") or 0)
    except (AttributeError, TypeError, ValueError):
        return 0


def _trusted_purge_cutoff(event: AuditEvent, *, covered: int) -> str:
    """The cutoff of a purge record the product made: signed with the HMAC key, or at or below a
    signed checkpoint (records from before purges were signed); '' for any other record, e.g. one
    forged with raw SQL to excuse tombstones. Replaying a real record's signature only repeats a
    cutoff whose older events are tombstones already."""
    data = event.data if isinstance(event.data, dict) else {}
    before = str(data.get("before", ""))
    signature = str(data.get("signature", ""))
    if event.sequence <= covered or hmac.compare_digest(purge_signature(before), signature):
        return before
    return ""


# --- checkpoints --------------------------------------------------------------------------------


def _sign(body: dict[str, Any]) -> str:
    key = settings.RAG_AUDIT_HMAC_KEY.encode("utf-8")
    return hmac.new(key, canonical(body), hashlib.sha256).hexdigest()


def purge_signature(before: str) -> str:
    """What a purge record carries to prove the product made it (verify trusts no other)."""
    return _sign({"purge_before": before})


def make_checkpoint(sequence: int | None = None, chain_hash: str | None = None) -> dict[str, Any]:
    """A signed checkpoint of event `sequence` whose hash is `chain_hash`; by default, of the
    chain head (sequence 0 and the genesis hash for an empty chain)."""
    if sequence is None or chain_hash is None:
        head = ChainHead.objects.filter(pk=1).first()
        sequence = head.last_sequence if head else 0
        chain_hash = head.last_hash if head else GENESIS
    body = {
        "sequence": sequence,
        "hash": chain_hash,
        "signed_at": timestamp(timezone.now()),
        "algorithm": "HMAC-SHA256",
    }
    return {**body, "signature": _sign(body)}


def write_checkpoint(sequence: int | None = None, chain_hash: str | None = None) -> dict[str, Any]:
    """Make a checkpoint (see make_checkpoint) and store it outside the database
    (privacy.checkpoints: the checkpoint file, and syslog when enabled); return it.
    Raises OSError when the checkpoint file cannot be written."""
    checkpoint = make_checkpoint(sequence, chain_hash)
    path = store_checkpoint(checkpoint)
    logger.info("audit checkpoint #%s written to %s", checkpoint["sequence"], path)
    return checkpoint


def checkpoint_problem(checkpoint: dict[str, Any]) -> str:
    """'' when the checkpoint is well formed and its signature matches our key."""
    try:
        body = {k: checkpoint[k] for k in ("sequence", "hash", "signed_at", "algorithm")}
        signature = str(checkpoint["signature"])
    except (KeyError, TypeError):
        return "checkpoint file is malformed (needs sequence, hash, signed_at, signature)"
    if not hmac.compare_digest(_sign(body), signature):
        return "checkpoint signature is invalid (altered, or signed with another key)"
    return ""


# --- export -------------------------------------------------------------------------------------

EXPORT_FIELDS = (
    "sequence",
    "created_at",
    "action",
    *AuditEvent.PAYLOAD_FIELDS,
    "tombstone",
    "payload_digest",
    "prev_hash",
    "hash",
)


def export_rows(since: datetime | None = None) -> Iterator[dict[str, Any]]:
    events = AuditEvent.objects.order_by("sequence")
    if since is not None:
        events = events.filter(created_at__gte=since)
    for event in events.iterator(chunk_size=500):
        row = payload_of(event)
        row.update(
            sequence=event.sequence,
            created_at=timestamp(event.created_at),
            action=event.action,
            tombstone=event.tombstone,
            payload_digest=event.payload_digest,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )
        yield row


def write_export(out: IO[str], *, fmt: str, since: datetime | None = None) -> int:
    """Write events as JSON lines or CSV (JSON columns as JSON text); return the count.
    CSV cells are spreadsheet-safe (privacy.exports.restore_cell gives back the exact value);
    JSON lines are the exact canonical rows, so a reader can recompute every digest."""
    count = 0
    if fmt == "jsonl":
        for row in export_rows(since):
            out.write(canonical(row).decode("utf-8") + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_FIELDS))
    writer.writeheader()
    for row in export_rows(since):
        for key in ("pii_counts", "data"):
            row[key] = canonical(row[key]).decode("utf-8")
        writer.writerow({key: neutralise_cell(value) for key, value in row.items()})
        count += 1
    return count


# --- retention ----------------------------------------------------------------------------------


def purge_before(before: datetime) -> int:
    """Replace the payload of every event older than `before` by a tombstone; return the count.
    The caller records the purge as an audit event (verify requires it)."""
    with transaction.atomic():
        return AuditEvent.objects.filter(created_at__lt=before, tombstone=False)._tombstone(
            tombstone=True,
            actor_id=None,
            actor_username="",
            actor_roles="",
            exchange_public_id=None,
            question="",
            answer="",
            refused=False,
            pii_counts={},
            data={},
        )
