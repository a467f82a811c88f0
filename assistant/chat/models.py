"""Chat records: a conversation holds exchanges (one question, one answer) with their citations.

These rows are the user's own history and hold the original text. The audit trail (privacy app)
keeps only redacted copies and survives the deletion of a conversation. With RAG_FIELD_KEY_FILE
set, the free text (titles, questions and their retrieval queries, answers, feedback reasons,
the metrics that quote the answer, the cache's key terms) is encrypted at rest by the fields of
assistant.chat.fields.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from assistant.chat.fields import DigestCharField, EncryptedJSONField, EncryptedTextField


class Conversation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = EncryptedTextField(blank=True)
    collections = models.ManyToManyField("ingestion.Collection", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class Exchange(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        STREAMING = "streaming", "Streaming"
        DONE = "done", "Done"
        REFUSED = "refused", "Refused (no source)"
        CANCELLED = "cancelled", "Cancelled"
        ERROR = "error", "Error"

    class AnswerPath(models.TextChoices):
        GENERATED = "generated", "Generated"
        QUOTE = "quote", "Quotations"
        REFUSAL = "refusal", "Refusal"
        CACHE = "cache", "Cache"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="exchanges"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exchanges"
    )
    question = EncryptedTextField()
    # A follow-up ("and for London?") rewritten into the standalone question it was retrieved,
    # cached and audited with (assistant.chat.followup); blank when the question stood alone.
    retrieval_query = EncryptedTextField(blank=True, default="")
    language = models.CharField(max_length=8, default="en")
    answer = EncryptedTextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    answer_path = models.CharField(
        max_length=16, choices=AnswerPath.choices, default=AnswerPath.GENERATED
    )
    error_message = models.TextField(blank=True)
    refused = models.BooleanField(default=False)
    invalid_citation = models.BooleanField(default=False)
    searched_collections = models.ManyToManyField("ingestion.Collection", blank=True)
    max_score = models.FloatField(null=True, blank=True)
    model_id = models.CharField(max_length=200, blank=True)
    model_sha256 = models.CharField(max_length=64, blank=True)
    prompt_sha256 = models.CharField(max_length=64, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    retrieval_ms = models.FloatField(null=True, blank=True)
    ttft_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField(null=True, blank=True)
    # Automatic quality metrics on every exchange (citation coverage, groundedness, ...). They
    # quote the answer's sentences, so only the members the KPI selectors read in SQL stay clear.
    metrics = EncryptedJSONField(
        default=dict, blank=True, clear_keys=("citation_coverage", "groundedness")
    )
    # Routing (assistant.chat.routing): the route that answered, every attempt in order (route,
    # model, outcome, error, ms) so a fallback records both, and the estimated cost in
    # RAG_COST_CURRENCY.
    route = models.CharField(max_length=64, blank=True, db_index=True)
    route_attempts = models.JSONField(default=list, blank=True)
    estimated_cost = models.FloatField(null=True, blank=True)
    # Served from the semantic cache: the exchange whose answer was reused.
    cached_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="cache_hits"
    )
    feedback = models.SmallIntegerField(null=True, blank=True)  # +1 / -1
    feedback_reason = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["created_at"], name="exchange_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Exchange {self.public_id}"


class Citation(models.Model):
    """A numbered source given to the model. Denormalised on purpose: it must still say what was
    cited after the document is replaced or deleted."""

    exchange = models.ForeignKey(Exchange, on_delete=models.CASCADE, related_name="citations")
    number = models.PositiveSmallIntegerField()
    collection_id_at_answer = models.BigIntegerField()
    document_id_at_answer = models.BigIntegerField()
    document_version = models.PositiveIntegerField(default=1)
    document_title = models.CharField(max_length=300)
    chunk_id_at_answer = models.BigIntegerField()
    point_id = models.CharField(max_length=64)
    page = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField()
    snippet = models.TextField()
    cited_in_answer = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["exchange", "number"], name="unique_citation_number")
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.document_title}"


class CachedAnswer(models.Model):
    """A reusable answer in the semantic cache (assistant.chat.semantic_cache). Derived data:
    deleting the original exchange (right to erasure) deletes the entry; so does a new version or
    the deletion of any document it was built from (CachedAnswerSource)."""

    exchange = models.OneToOneField(Exchange, on_delete=models.CASCADE, related_name="cache_entry")
    language = models.CharField(max_length=8)
    embed_model = models.CharField(max_length=200)
    embedding = models.BinaryField()  # float32, L2-normalised
    # Numbers and other exact terms of the question: a paraphrase must carry the same ones.
    # Compared for equality only, so stored as a keyed digest when encryption is on.
    key_terms = DigestCharField(max_length=500, blank=True)
    collections = models.ManyToManyField("ingestion.Collection", related_name="+")
    hits = models.PositiveIntegerField(default=0)
    last_hit_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        # Lookups filter on equal key terms first (assistant.chat.semantic_cache.lookup).
        indexes = [models.Index(fields=["language", "embed_model", "key_terms"])]

    def __str__(self) -> str:
        return f"Cached answer of {self.exchange_id}"


class CachedAnswerSource(models.Model):
    """A document version a cached answer was built from (indexed for invalidation)."""

    entry = models.ForeignKey(CachedAnswer, on_delete=models.CASCADE, related_name="sources")
    document_id = models.BigIntegerField(db_index=True)
    version = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.document_id} v{self.version}"
