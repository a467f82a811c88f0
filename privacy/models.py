"""The audit trail (append-only, hash-chained) and the human review queue.

AuditEvent rows hold redacted text only and no foreign keys: they must survive the deletion of a
user, a conversation or a document. Each row's hash covers (previous hash, sequence, time, action,
payload digest), where the payload digest is the sha256 of a canonical JSON of every other field.
A retention purge can therefore replace the payload with a tombstone and keep the digest: the
chain still verifies, the content is gone.

Append-only is enforced three times: model save()/delete() and queryset update()/delete() raise,
and database triggers (privacy/triggers.py) reject UPDATE and DELETE, except the one UPDATE that
turns a row into a tombstone without touching its chained fields.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")

    def _tombstone(self, **kwargs: Any) -> int:
        """The one allowed change (privacy.chain.purge_before): clear the payload of old rows."""
        return super().update(**kwargs)


class AuditEvent(models.Model):
    # Fields covered by the payload digest, in the canonical JSON (see privacy.chain).
    PAYLOAD_FIELDS: ClassVar[tuple[str, ...]] = (
        "actor_id",
        "actor_username",
        "actor_roles",
        "exchange_public_id",
        "question",
        "answer",
        "refused",
        "pii_counts",
        "data",
    )

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    actor_roles = models.CharField(max_length=100, blank=True)
    exchange_public_id = models.UUIDField(null=True, blank=True, db_index=True)
    question = models.TextField(blank=True)  # redacted
    answer = models.TextField(blank=True)  # redacted
    refused = models.BooleanField(default=False)
    pii_counts = models.JSONField(default=dict, blank=True)  # {"NIR": 1, "PERSON": 2}: never values
    # Retrieved chunks with versions and scores, prompt sha256, model id and sha256, timings,
    # token counts; for admin actions the action's own details.
    data = models.JSONField(default=dict, blank=True)
    tombstone = models.BooleanField(default=False)
    payload_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")


class ChainHead(models.Model):
    """A single row (pk=1) holding the last sequence and hash. Writers lock it with
    SELECT ... FOR UPDATE inside the insert transaction, so sequence numbers have no gaps and no
    duplicates under concurrent writers (on SQLite, BEGIN IMMEDIATE serialises them)."""

    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.last_sequence}"


class Review(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        """Why an exchange is in the queue; each reason weighs on its risk (privacy.review)."""

        REFUSED = "refused", _("Refused")
        INVALID_CITATION = "invalid_citation", _("Invalid citation")
        NEGATIVE_FEEDBACK = "negative_feedback", _("Negative feedback")
        LOW_SCORE = "low_score", _("Low retrieval score")
        # Identifiers of a person only (name, e-mail, phone, IBAN...): never a city or a company.
        PII = "pii", _("Personal identifier in the question")
        PII_ANSWER = "pii_answer", _("Personal identifier in the answer")
        LOW_SUPPORT = "low_support", _("Answer poorly supported by its sources")
        UNSUPPORTED_NUMBERS = "unsupported_numbers", _("Numbers or dates not found in the sources")
        INJECTION = "injection", _("Sentences withheld (suspected prompt injection)")
        SAMPLE = "sample", _("Random sample")

    # SET_NULL: deleting a conversation must not erase the compliance decision; the redacted text
    # shown in the queue comes from the audit event, which never goes away.
    exchange = models.OneToOneField(
        "assistant.Exchange",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="review",
    )
    audit_event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    reasons = models.JSONField(default=list, blank=True)
    # Sum of the reasons' weights (privacy.review.RISK_WEIGHTS): the queue shows the riskiest first.
    risk = models.PositiveSmallIntegerField(default=0)
    # A personal identifier (not a context entity) in the question or the answer.
    pii_found = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # [{"by": username, "at": iso time, "text": redacted note}]
    annotations = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "created_at"]),
            models.Index(fields=["state", "-risk"], name="privacy_review_state_risk"),
        ]

    def __str__(self) -> str:
        return f"Review {self.pk} ({self.state})"

    def reason_labels(self) -> list[str]:
        """The reasons in words (translated), as recorded; an unknown code is shown as it is."""
        labels = dict(Review.Reason.choices)
        return [str(labels.get(reason, reason)) for reason in self.reasons]
