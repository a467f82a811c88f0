"""The audit hash chain: append, verify, export with a signed checkpoint, purge to tombstones.

hash(n)   = sha256(canonical({"prev": hash(n-1), "seq": n, "time": t, "action": a, "digest": d}))
digest(n) = sha256(canonical({every payload field}))

A tombstone keeps its digest and hash, so the chain verifies without the content. Verification
also checks that every tombstone is older than a recorded purge, and that the table ends where the
chain head (and, if given, a signed checkpoint) says it ends: deleting the newest events is caught.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from privacy.models import AuditEvent, ChainHead

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
    """Give `event` the next sequence number and chain it; one transaction, head row locked."""
    event.pii_counts = normalise_json(event.pii_counts)
    event.data = normalise_json(event.data)
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
    return event


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    count: int
    tombstones: int = 0
    broken_sequence: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            extra = f" ({self.tombstones} purged to tombstones)" if self.tombstones else ""
            return f"chain intact: {self.count} events{extra}"
        return f"chain broken at sequence {self.broken_sequence}: {self.reason}"


def _broken(count: int, sequence: int, reason: str) -> VerifyReport:
    return VerifyReport(ok=False, count=count, broken_sequence=sequence, reason=reason)


def verify_chain(*, checkpoint: dict[str, Any] | None = None) -> VerifyReport:
    """Walk the whole chain in sequence order; report the first broken sequence number and why."""
    if checkpoint is not None:
        problem = checkpoint_problem(checkpoint)
        if problem:
            return _broken(0, int(checkpoint.get("sequence") or 0), problem)
    purge_cutoffs = [
        e.data.get("before", "")
        for e in AuditEvent.objects.filter(action=PURGE_ACTION, tombstone=False)
    ]
    latest_cutoff = max(purge_cutoffs, default="")
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
                return _broken(expected - 1, expected, "tombstone not covered by any purge")
        elif payload_digest(event) != event.payload_digest:
            return _broken(expected - 1, expected, "content altered (payload digest mismatch)")
        if event_hash(event) != event.hash:
            return _broken(expected - 1, expected, "hash mismatch (time, action or digest altered)")
        if (
            checkpoint is not None
            and event.sequence == checkpoint["sequence"]
            and event.hash != checkpoint["hash"]
        ):
            return _broken(expected - 1, expected, "hash differs from the signed checkpoint")
        prev_hash, expected = event.hash, expected + 1
    count = expected - 1
    if checkpoint is not None and count < checkpoint["sequence"]:
        return _broken(count, count + 1, f"checkpoint covers {checkpoint['sequence']} events")
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
    return VerifyReport(ok=True, count=count, tombstones=tombstones)


# --- checkpoints --------------------------------------------------------------------------------


def _sign(body: dict[str, Any]) -> str:
    key = settings.RAG_AUDIT_HMAC_KEY.encode("utf-8")
    return hmac.new(key, canonical(body), hashlib.sha256).hexdigest()


def make_checkpoint() -> dict[str, Any]:
    head = ChainHead.objects.filter(pk=1).first()
    body = {
        "sequence": head.last_sequence if head else 0,
        "hash": head.last_hash if head else GENESIS,
        "signed_at": timestamp(timezone.now()),
        "algorithm": "HMAC-SHA256",
    }
    return {**body, "signature": _sign(body)}


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
    """Write events as JSON lines or CSV (JSON columns as JSON text); return the count."""
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
        writer.writerow(row)
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
