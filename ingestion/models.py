"""Collections and their documents. The database is the source of truth; Qdrant is derived."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class Collection(models.Model):
    class Sensitivity(models.TextChoices):
        PUBLIC = "public", "Public"
        INTERNAL = "internal", "Internal"
        CONFIDENTIAL = "confidential", "Confidential"
        SECRET = "secret", "Secret"

    class RedactionPolicy(models.TextChoices):
        MASK_IN_LOGS = "mask_in_logs", "Mask in audit and logs only"
        MASK_EVERYWHERE = "mask_everywhere", "Mask everywhere (question, passages, answer)"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    sensitivity = models.CharField(
        max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    redaction_policy = models.CharField(
        max_length=20, choices=RedactionPolicy.choices, default=RedactionPolicy.MASK_IN_LOGS
    )
    redact_at_ingestion = models.BooleanField(default=False)
    reader_groups = models.ManyToManyField(Group, blank=True, related_name="readable_collections")
    reader_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="readable_collections"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """One version of one uploaded file. A new version is a new row that supersedes the old one;
    the old row is retired (DELETED) only once the new one is INDEXED: "current" means INDEXED."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Parsing"
        EMBEDDING = "embedding", "Embedding"
        INDEXED = "indexed", "Indexed"
        FAILED = "failed", "Failed"
        DELETED = "deleted", "Deleted"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=300)
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="documents/", max_length=500)
    sha256 = models.CharField(max_length=64, db_index=True)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    version = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseded_by",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error_message = models.TextField(blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    language = models.CharField(max_length=8, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["original_name", "-version"]
        indexes = [
            models.Index(fields=["collection", "status"]),
            models.Index(fields=["collection", "original_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.version}"


class IngestJob(models.Model):
    """One attempt to bring a Document to INDEXED. `status` is the stage the job is in."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PARSING = "parsing", "Parsing"
        EMBEDDING = "embedding", "Embedding"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    RUNNING = (Status.PARSING, Status.EMBEDDING)

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)  # 0-100
    timings = models.JSONField(default=dict, blank=True)  # stage -> seconds
    error_message = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)  # hostname of the claiming worker
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status}) for {self.document_id}"

    @property
    def stage(self) -> str:
        return self.status


class Chunk(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="chunks")
    version = models.PositiveIntegerField()
    index = models.PositiveIntegerField()
    text = models.TextField()
    page_start = models.PositiveIntegerField(null=True, blank=True)
    page_end = models.PositiveIntegerField(null=True, blank=True)
    heading_path = models.JSONField(default=list, blank=True)
    char_start = models.PositiveIntegerField()
    char_end = models.PositiveIntegerField()
    token_count = models.PositiveIntegerField()
    point_id = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["document", "version", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version", "index"], name="chunk_unique_document_version_index"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id}:{self.version}:{self.index}"
