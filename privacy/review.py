"""The review queue's write side: why an exchange needs a human, queueing, decisions and notes.

This is the one part of privacy that reads chat exchanges (their flags and grounding metrics).
A rejection is announced with the `review_rejected` signal; the chat app drops the answer from
its semantic cache, privacy does not reach into the cache itself.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assistant.accounts.roles import COMPLIANCE, has_role
from privacy.models import AuditEvent, Review
from privacy.selectors import exchange_event
from privacy.services import audit_record, redact_text
from privacy.signals import review_rejected

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from assistant.chat.models import Exchange


def review_reasons(exchange: Exchange, *, pii_found: bool) -> list[str]:
    """Why this exchange needs a human (random sample excluded)."""
    from assistant.chat.grounding.metrics import needs_review

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
    if needs_review(exchange.metrics or {})[0]:
        reasons.append(Review.Reason.LOW_SUPPORT.value)
    if ((exchange.metrics or {}).get("injection") or {}).get("withheld"):
        reasons.append(Review.Reason.INJECTION.value)
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
    """Feedback or a judge score changed: re-evaluate queueing (negative feedback queues or
    re-opens a review). Sampling is not re-drawn."""
    event = exchange_event(exchange.public_id)
    if event is None:  # not audited yet: the exchange's audit will look at the feedback
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
    redacted = redact_text(reason, "auto").text if reason else ""
    with transaction.atomic():
        review.state = Review.State.APPROVED if decision == "approve" else Review.State.REJECTED
        review.decided_by = actor  # type: ignore[assignment]
        review.decided_at = timezone.now()
        review.decision_reason = redacted
        review.save()
        if decision == "reject" and review.exchange is not None:
            review_rejected.send(sender=Review, review=review, exchange=review.exchange)
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
    redacted = redact_text(text, "auto").text
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
