"""The review queue's write side: why an exchange needs a human, how risky it is, queueing,
decisions and notes.

Each reason has a weight (RISK_WEIGHTS); a review's risk is the sum of its reasons' weights and the
queue shows the riskiest exchanges first. Only real risks queue an exchange (plus the random
sample): a personal identifier counts, a context entity (a city, a country, a company, an ordinary
date) does not.

This is the one part of privacy that reads chat exchanges (their flags and grounding metrics).
A rejection is announced with the `review_rejected` signal; the chat app drops the answer from
its semantic cache, privacy does not reach into the cache itself.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assistant.accounts.roles import COMPLIANCE, has_role
from privacy.models import AuditEvent, Review
from privacy.redaction import PERSONAL_IDENTIFIER_TYPES
from privacy.selectors import exchange_event, review_low_score
from privacy.services import audit_record, redact_text
from privacy.signals import review_rejected

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from assistant.chat.models import Exchange


_R = Review.Reason
# How much each reason weighs on an exchange's risk. An invalid citation or a personal identifier
# the assistant wrote in its answer come first; a refusal or a weak retrieval score, on their own,
# matter less; the random sample only breaks ties. (Migration 0003 keeps a frozen copy.)
RISK_WEIGHTS: dict[str, int] = {
    _R.INVALID_CITATION.value: 50,
    _R.PII_ANSWER.value: 40,
    _R.INJECTION.value: 40,
    _R.NEGATIVE_FEEDBACK.value: 30,
    _R.UNSUPPORTED_NUMBERS.value: 25,
    _R.LOW_SUPPORT.value: 20,
    _R.PII.value: 20,
    _R.REFUSED.value: 10,
    _R.LOW_SCORE.value: 5,
    _R.SAMPLE.value: 1,
}
# A placeholder the redactor wrote: <EMAIL_1>, <PERSON_2>, <DATE_OF_BIRTH_1>.
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)_\d+>")


def risk_of(reasons: list[str]) -> int:
    """The risk score of a set of reasons: the sum of their weights (unknown reasons weigh 0)."""
    return sum(RISK_WEIGHTS.get(reason, 0) for reason in set(reasons))


def _by_weight(reasons: list[str]) -> list[str]:
    return sorted(dict.fromkeys(reasons), key=lambda r: -RISK_WEIGHTS.get(r, 0))


def identifier_counts(text: str) -> dict[str, int]:
    """Personal identifiers in a redacted text, by type, read from its placeholders (context
    entities such as LOCATION are left out)."""
    found = Counter(m.group(1) for m in _PLACEHOLDER.finditer(text))
    return {t: n for t, n in sorted(found.items()) if t in PERSONAL_IDENTIFIER_TYPES}


def _has_identifier(pii_counts: dict[str, Any] | None) -> bool:
    return any(t in PERSONAL_IDENTIFIER_TYPES and n for t, n in (pii_counts or {}).items())


def review_reasons(exchange: Exchange, *, event: AuditEvent) -> list[str]:
    """Why this exchange needs a human (random sample excluded), riskiest first.

    Personal identifiers are read from the audit event: its redacted question and answer carry a
    typed placeholder for each (the same map for both), its pii_counts the totals. An event whose
    counts hold only context entities (LOCATION...) gives no `pii` reason."""
    from assistant.chat.grounding.metrics import REVIEW_MIN_GROUNDEDNESS, REVIEW_MIN_SUPPORTED

    metrics: dict[str, Any] = exchange.metrics or {}
    reasons = []
    if exchange.refused:
        reasons.append(_R.REFUSED.value)
    if exchange.invalid_citation or metrics.get("invalid_citations"):
        reasons.append(_R.INVALID_CITATION.value)
    if exchange.feedback is not None and exchange.feedback < 0:
        reasons.append(_R.NEGATIVE_FEEDBACK.value)
    if exchange.max_score is not None and exchange.max_score < review_low_score():
        reasons.append(_R.LOW_SCORE.value)
    if _has_identifier(event.pii_counts):
        in_answer = bool(identifier_counts(event.answer))
        # Counts hold identifiers the placeholders do not show (e.g. an event written by an older
        # release): those are taken as the question's.
        if identifier_counts(event.question) or not in_answer:
            reasons.append(_R.PII.value)
        if in_answer:
            reasons.append(_R.PII_ANSWER.value)
    if not metrics.get("refused"):
        judge = metrics.get("judge") or {}
        weak_judge = judge.get("faithfulness") is not None and judge["faithfulness"] <= 2
        checked = bool(metrics.get("sentences"))
        if checked and metrics.get("unsupported_numbers"):
            reasons.append(_R.UNSUPPORTED_NUMBERS.value)
        if weak_judge or (
            checked
            and (
                (metrics.get("supported_share") or 0.0) < REVIEW_MIN_SUPPORTED
                or (metrics.get("groundedness") or 0.0) < REVIEW_MIN_GROUNDEDNESS
            )
        ):
            reasons.append(_R.LOW_SUPPORT.value)
    if (metrics.get("injection") or {}).get("withheld"):
        reasons.append(_R.INJECTION.value)
    return _by_weight(reasons)


def review_enqueue(exchange: Exchange, *, event: AuditEvent, sample: bool = True) -> Review | None:
    """Queue the exchange for review when a reason applies (or it falls in the random sample,
    settings.RAG_REVIEW_SAMPLE_RATE), with its risk score. A new reason re-opens a decided review
    and raises its risk."""
    reasons = review_reasons(exchange, event=event)
    if sample and not reasons and random.random() < settings.RAG_REVIEW_SAMPLE_RATE:
        reasons.append(_R.SAMPLE.value)
    pii_found = _has_identifier(event.pii_counts)
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
                risk=risk_of(reasons),
                pii_found=pii_found,
            )
        new = [r for r in reasons if r not in review.reasons]
        if new:
            review.reasons = _by_weight([*review.reasons, *new])
            review.risk = risk_of(review.reasons)
            review.state = Review.State.QUEUED
            review.save(update_fields=["reasons", "risk", "state", "updated_at"])
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
