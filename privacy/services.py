"""Write side of privacy: audit events and review decisions.

Only redacted text ever reaches an AuditEvent or a Review; logs carry ids and counts, never text.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assistant.roles import COMPLIANCE, has_role, user_roles
from privacy import chain
from privacy.models import AuditEvent, Review

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from assistant.models import Exchange
    from privacy.redaction import PlaceholderMap

logger = logging.getLogger(__name__)

EXCHANGE_ACTION = "chat.exchange"
# Payload keys whose string values are identifiers, not free text: never sent to the redactor.
SAFE_KEYS = frozenset(
    {
        "action",
        "collection",
        "collection_slug",
        "format",
        "ip_hash",
        "mime_type",
        "role",
        "roles",
        "since",
        "before",
        "sha256",
        "slug",
        "state",
        "status",
        "username",
        "public_id",
        "exchange",
        "decision",
        "language",
        "route",
        "model",
        "outcome",
        "cached_from",
        # answer paths and modes: fixed vocabularies (a redaction call each otherwise)
        "answer_mode",
        "planned_path",
        "path",
        "original_path",
        # account names in grant/revoke events: the audit must say who got access
        "granted_users",
        "revoked_users",
        "granted_groups",
        "revoked_groups",
    }
)


# What an audit record keeps of each routing attempt (identifiers, outcome and timing, no text).
ROUTE_ATTEMPT_KEYS = frozenset({"route", "model", "outcome", "error", "ms", "local"})


def _actor_fields(actor: AbstractBaseUser | None) -> dict[str, Any]:
    if actor is None or not actor.is_authenticated:
        return {"actor_id": None, "actor_username": "", "actor_roles": ""}
    return {
        "actor_id": actor.pk,
        "actor_username": actor.get_username(),
        "actor_roles": ",".join(sorted(user_roles(actor))),
    }


def _redact(text: str, language: str, placeholders: PlaceholderMap | None = None) -> Any:
    from privacy.redaction import get_redactor

    return get_redactor().redact(text, language=language, placeholders=placeholders)


def _redact_payload(value: Any, counts: dict[str, int], key: str = "") -> Any:
    """Redact every free-text string in a JSON-like payload; count PII by type."""
    if isinstance(value, dict):
        return {k: _redact_payload(v, counts, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_payload(v, counts, key) for v in value]
    if (
        isinstance(value, str)
        and value.strip()
        and key not in SAFE_KEYS
        and not key.endswith("_id")
    ):
        result = _redact(value, "auto")
        for entity_type, n in result.counts().items():
            counts[entity_type] = counts.get(entity_type, 0) + n
        return result.text
    return value


def audit_record(
    *, action: str, actor: AbstractBaseUser | None, payload: dict[str, Any]
) -> AuditEvent:
    """Append an admin/compliance/security event (upload, delete, grant, revoke, review decision,
    export, login-failure burst, ...). Free-text strings in `payload` are redacted first; keys in
    SAFE_KEYS and keys ending in ``_id`` are kept as they are. Never raises on PII."""
    counts: dict[str, int] = {}
    data = _redact_payload(payload, counts)
    event = chain.append_event(
        AuditEvent(action=action, data=data, pii_counts=counts, **_actor_fields(actor))
    )
    logger.info("audit #%s %s", event.sequence, action)
    return event


def _exchange_data(exchange: Exchange, placeholders: PlaceholderMap) -> dict[str, Any]:
    citations = list(exchange.citations.all())
    return {
        "conversation_id": exchange.conversation_id,
        "status": exchange.status,
        "answer_path": exchange.answer_path,
        "language": exchange.language,
        "collection_ids": sorted(c.pk for c in exchange.searched_collections.all()),
        "invalid_citation": exchange.invalid_citation,
        "max_score": None if exchange.max_score is None else round(exchange.max_score, 6),
        "chunks": [
            {
                "n": c.number,
                "chunk_id": c.chunk_id_at_answer,
                "document_id": c.document_id_at_answer,
                "version": c.document_version,
                "score": round(c.score, 6),
                "cited": c.cited_in_answer,
            }
            for c in citations
        ],
        "prompt_sha256": exchange.prompt_sha256,
        "model_id": exchange.model_id,
        "route": exchange.route,
        "route_attempts": [
            {k: v for k, v in attempt.items() if k in ROUTE_ATTEMPT_KEYS}
            for attempt in exchange.route_attempts or []
        ],
        "estimated_cost": exchange.estimated_cost,
        "served_from_cache": exchange.cached_from_id is not None,
        "cached_from": str(exchange.cached_from.public_id) if exchange.cached_from else None,
        "model_sha256": exchange.model_sha256,
        "timings_ms": {
            "retrieval": exchange.retrieval_ms,
            "ttft": exchange.ttft_ms,
            "total": exchange.total_ms,
        },
        "tokens": {"prompt": exchange.prompt_tokens, "completion": exchange.completion_tokens},
        "feedback": exchange.feedback,
        "error": _redact(exchange.error_message, exchange.language, placeholders).text
        if exchange.error_message
        else "",
        # Quality metrics may quote sentences of the answer: redacted like any free text.
        "metrics": _audited_metrics(exchange),
    }


def _audited_metrics(exchange: Exchange) -> Any:
    """The exchange's metrics, redacted. A copy served from the semantic cache carries the
    original's verification verbatim: its redacted form is taken from the original's audit event
    (metric strings are redacted one by one, without a shared placeholder map, so the result is
    the same), which keeps a cache hit to two redactions instead of one per answer sentence."""
    metrics = exchange.metrics or {}
    original = exchange.cached_from
    if original is not None and metrics.get("verification") is not None:
        event = AuditEvent.objects.filter(
            exchange_public_id=original.public_id, action=EXCHANGE_ACTION
        ).first()
        audited = ((event.data or {}).get("metrics") or {}) if event is not None else {}
        if audited.get("verification") is not None:
            rest = {k: v for k, v in metrics.items() if k != "verification"}
            return {**_redact_payload(rest, {}), "verification": audited["verification"]}
    return _redact_payload(metrics, {})


def _redacted_answer_of_original(exchange: Exchange) -> tuple[str, dict[str, int]] | None:
    """For a copy served from the semantic cache: the original's redacted answer and its counts,
    when redacting again would give exactly that. It does when neither question held an entity
    (the placeholder map is empty before the answer both times; the caller checked the new
    question, the original's audit event shows its question unchanged) and the answer is the
    same text. Saves a redaction (~10 ms) on a cache hit."""
    original = exchange.cached_from
    if original is None or original.answer != exchange.answer:
        return None
    event = AuditEvent.objects.filter(
        exchange_public_id=original.public_id, action=EXCHANGE_ACTION
    ).first()
    if event is None or event.question != original.question:
        return None
    return event.answer, dict(event.pii_counts or {})


def audit_exchange(exchange: Exchange) -> AuditEvent:
    """Record a finished exchange (done, refused, error or cancelled) with its question and answer
    redacted (one placeholder map for both), then feed the review queue. Idempotent: a second call
    for the same exchange returns the first event."""
    from privacy.redaction import PlaceholderMap

    existing = AuditEvent.objects.filter(
        exchange_public_id=exchange.public_id, action=EXCHANGE_ACTION
    ).first()
    if existing is not None:
        return existing
    placeholders = PlaceholderMap()
    question = _redact(exchange.question, exchange.language, placeholders)
    reused = None if question.counts() else _redacted_answer_of_original(exchange)
    if reused is not None:
        answer_text, answer_counts = reused
    else:
        answer = _redact(exchange.answer, exchange.language, placeholders)
        answer_text, answer_counts = answer.text, dict(answer.counts())
    counts: dict[str, int] = dict(question.counts())
    for entity_type, n in answer_counts.items():
        counts[entity_type] = counts.get(entity_type, 0) + n
    event = chain.append_event(
        AuditEvent(
            action=EXCHANGE_ACTION,
            exchange_public_id=exchange.public_id,
            question=question.text,
            answer=answer_text,
            refused=exchange.refused,
            pii_counts=counts,
            data=_exchange_data(exchange, placeholders),
            **_actor_fields(exchange.user),
        )
    )
    logger.info("audit #%s exchange %s pii=%s", event.sequence, exchange.public_id, counts)
    from assistant.metrics import observe_redactions

    observe_redactions(counts)
    review_enqueue(exchange, event=event)
    return event


# --- review queue ------------------------------------------------------------------------------


def review_reasons(exchange: Exchange, *, pii_found: bool) -> list[str]:
    """Why this exchange needs a human (random sample excluded)."""
    reasons = []
    if exchange.refused:
        reasons.append(Review.Reason.REFUSED.value)
    if exchange.invalid_citation:
        reasons.append(Review.Reason.INVALID_CITATION.value)
    if exchange.feedback is not None and exchange.feedback < 0:
        reasons.append(Review.Reason.NEGATIVE_FEEDBACK.value)
    if exchange.max_score is not None and exchange.max_score < settings.RAG_REVIEW_LOW_SCORE:
        reasons.append(Review.Reason.LOW_SCORE.value)
    if pii_found:
        reasons.append(Review.Reason.PII.value)
    from assistant.grounding.metrics import needs_review

    if needs_review(exchange.metrics or {})[0]:
        reasons.append(Review.Reason.LOW_SUPPORT.value)
    return reasons


def review_enqueue(exchange: Exchange, *, event: AuditEvent, sample: bool = True) -> Review | None:
    """Queue the exchange for review when a reason applies (or it falls in the random sample,
    settings.RAG_REVIEW_SAMPLE_RATE). A new reason re-opens a decided review."""
    reasons = review_reasons(exchange, pii_found=bool(event.pii_counts))
    if sample and not reasons and random.random() < settings.RAG_REVIEW_SAMPLE_RATE:
        reasons.append(Review.Reason.SAMPLE.value)
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(exchange=exchange).first()
        if review is None:
            if not reasons:
                return None
            return Review.objects.create(
                exchange=exchange,
                audit_event=event,
                user=exchange.user,
                reasons=reasons,
                pii_found=bool(event.pii_counts),
            )
        new = [r for r in reasons if r not in review.reasons]
        if new:
            review.reasons = [*review.reasons, *new]
            review.state = Review.State.QUEUED
            review.save(update_fields=["reasons", "state", "updated_at"])
        return review


def review_on_feedback(exchange: Exchange) -> Review | None:
    """Feedback changed: re-evaluate queueing (negative feedback queues or re-opens a review)."""
    event = AuditEvent.objects.filter(
        exchange_public_id=exchange.public_id, action=EXCHANGE_ACTION
    ).first()
    if event is None:  # not audited yet: audit_exchange will look at the feedback
        return None
    return review_enqueue(exchange, event=event, sample=False)


def _require_compliance(actor: AbstractBaseUser) -> None:
    if not has_role(actor, COMPLIANCE):
        raise PermissionDenied("Review decisions need the compliance role.")


def review_decide(
    *, review: Review, actor: AbstractBaseUser, decision: str, reason: str = ""
) -> Review:
    """Approve or reject a review. Rejecting needs a reason. The reason is stored redacted and
    the decision is itself an audit event. Raises ValidationError / PermissionDenied."""
    _require_compliance(actor)
    reason = reason.strip()
    if decision not in ("approve", "reject"):
        raise ValidationError(f"Unknown decision {decision!r}: use approve or reject.")
    if decision == "reject" and not reason:
        raise ValidationError("A rejection needs a reason.")
    redacted = _redact(reason, "auto").text if reason else ""
    with transaction.atomic():
        review.state = Review.State.APPROVED if decision == "approve" else Review.State.REJECTED
        review.decided_by = actor  # type: ignore[assignment]
        review.decided_at = timezone.now()
        review.decision_reason = redacted
        review.save()
        if decision == "reject" and review.exchange is not None:
            from assistant.semantic_cache import invalidate_exchange

            invalidate_exchange(review.exchange)  # a rejected answer is never served again
        audit_record(
            action=f"review.{decision}",
            actor=actor,
            payload={
                "review_id": review.pk,
                "audit_event_id": review.audit_event_id,
                "reason": redacted,
            },
        )
    return review


def review_annotate(*, review: Review, actor: AbstractBaseUser, text: str) -> Review:
    """Add a (redacted) note to a review; recorded as an audit event."""
    _require_compliance(actor)
    text = text.strip()
    if not text:
        raise ValidationError("An annotation cannot be empty.")
    redacted = _redact(text, "auto").text
    with transaction.atomic():
        review.annotations = [
            *review.annotations,
            {"by": actor.get_username(), "at": timezone.now().isoformat(), "text": redacted},
        ]
        review.save(update_fields=["annotations", "updated_at"])
        audit_record(
            action="review.annotate",
            actor=actor,
            payload={"review_id": review.pk, "note": redacted},
        )
    return review


# --- audit maintenance -------------------------------------------------------------------------


def audit_purge(*, before: datetime, actor: AbstractBaseUser | None = None) -> int:
    """Tombstone events older than `before` and record the purge (verify requires the record)."""
    count = chain.purge_before(before)
    audit_record(
        action=chain.PURGE_ACTION,
        actor=actor,
        payload={"before": chain._time(before), "count": count},
    )
    return count
