"""Read side of the review queue: filters and the rows shown or exported. Only redacted text."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ingestion.models import Collection
from privacy.models import AuditEvent, Review

_TRI = [("", _("any")), ("yes", _("yes")), ("no", _("no"))]


class ReviewFilterForm(forms.Form):
    date_from = forms.DateField(required=False, label=_("From"))
    date_to = forms.DateField(required=False, label=_("To"))
    user = forms.CharField(required=False, max_length=150, label=_("User"))
    collection = forms.ModelChoiceField(
        queryset=Collection.objects.all(), required=False, label=_("Collection")
    )
    refused = forms.ChoiceField(choices=_TRI, required=False, label=_("Refused"))
    invalid_citation = forms.ChoiceField(choices=_TRI, required=False, label=_("Invalid citation"))
    negative_feedback = forms.ChoiceField(
        choices=_TRI, required=False, label=_("Negative feedback")
    )
    low_score = forms.ChoiceField(choices=_TRI, required=False, label=_("Low retrieval score"))
    pii = forms.ChoiceField(choices=_TRI, required=False, label=_("PII found"))
    reason = forms.ChoiceField(
        choices=[("", _("any")), *Review.Reason.choices], required=False, label=_("Reason")
    )
    state = forms.ChoiceField(
        choices=[("", _("any")), *Review.State.choices], required=False, label=_("State")
    )
    sort = forms.ChoiceField(
        choices=[("risk", _("highest risk first")), ("newest", _("newest first"))],
        required=False,
        label=_("Order"),
    )


def review_low_score() -> float:
    """The best-retrieval-score threshold below which an exchange is queued (reason low_score):
    RAG_REVIEW_LOW_SCORE when set, else the value calibrated for the configured embedder."""
    from assistant.backends.embedder_registry import thresholds

    return thresholds().review_low_score


def _tri(qs: QuerySet[Review], value: str, **lookup: Any) -> QuerySet[Review]:
    if value == "yes":
        return qs.filter(**lookup)
    if value == "no":
        return qs.exclude(**lookup)
    return qs


def reviews_filtered(data: dict[str, Any]) -> QuerySet[Review]:
    """Reviews matching the cleaned ReviewFilterForm data: the highest risk first (newest first
    among equal risks), or newest first with sort=newest."""
    qs = Review.objects.select_related("audit_event", "exchange", "user", "decided_by")
    tz = timezone.get_current_timezone()
    if data.get("date_from"):
        start = timezone.make_aware(datetime.combine(data["date_from"], time.min), tz)
        qs = qs.filter(audit_event__created_at__gte=start)
    if data.get("date_to"):
        end = timezone.make_aware(datetime.combine(data["date_to"], time.max), tz)
        qs = qs.filter(audit_event__created_at__lte=end)
    if data.get("user"):
        qs = qs.filter(user__username=data["user"])
    if data.get("collection"):
        qs = qs.filter(exchange__searched_collections=data["collection"]).distinct()
    qs = _tri(qs, data.get("refused", ""), audit_event__refused=True)
    qs = _tri(qs, data.get("invalid_citation", ""), exchange__invalid_citation=True)
    qs = _tri(qs, data.get("negative_feedback", ""), exchange__feedback__lt=0)
    qs = _tri(qs, data.get("low_score", ""), exchange__max_score__lt=review_low_score())
    qs = _tri(qs, data.get("pii", ""), pii_found=True)
    if data.get("reason"):
        # JSON containment is not portable to SQLite: match the quoted code in the stored list.
        qs = qs.filter(reasons__icontains=f'"{data["reason"]}"')
    if data.get("state"):
        qs = qs.filter(state=data["state"])
    if data.get("sort") == "newest":
        return qs.order_by("-audit_event__sequence")
    return qs.order_by("-risk", "-audit_event__sequence")


EXPORT_COLUMNS = (
    "review_id",
    "audit_sequence",
    "time",
    "user",
    "state",
    "risk",
    "reasons",
    "question",
    "answer",
    "refused",
    "invalid_citation",
    "max_score",
    "feedback",
    "pii_counts",
    "model_id",
    "decided_by",
    "decision_reason",
)


def review_row(review: Review) -> dict[str, Any]:
    """One exported line: redacted text, flags and decision; never original text."""
    event = review.audit_event
    data = event.data
    return {
        "review_id": review.pk,
        "audit_sequence": event.sequence,
        "time": event.created_at.isoformat(),
        "user": event.actor_username,
        "state": review.state,
        "risk": review.risk,
        "reasons": review.reasons,
        "question": event.question,
        "answer": event.answer,
        "refused": event.refused,
        "invalid_citation": bool(data.get("invalid_citation")),
        "max_score": data.get("max_score"),
        "feedback": review.exchange.feedback if review.exchange else data.get("feedback"),
        "pii_counts": event.pii_counts,
        "model_id": data.get("model_id", ""),
        "decided_by": review.decided_by.get_username() if review.decided_by else "",
        "decision_reason": review.decision_reason,
    }


def exchange_event(public_id: Any) -> AuditEvent | None:
    """The audit event of one chat exchange, or None when it was not audited (yet)."""
    from privacy.services import EXCHANGE_ACTION

    return AuditEvent.objects.filter(exchange_public_id=public_id, action=EXCHANGE_ACTION).first()
