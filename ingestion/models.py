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
