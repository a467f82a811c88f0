"""Django admin registrations (a technical view; the product's admin pages are in views.py)."""

from __future__ import annotations

from django.contrib import admin

from ingestion.models import Chunk, Collection, Document, IngestJob


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "sensitivity", "redaction_policy", "created_at")
    search_fields = ("name", "slug")
    filter_horizontal = ("reader_groups", "reader_users")


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "collection", "version", "status", "chunk_count", "updated_at")
    list_filter = ("status", "collection")
    search_fields = ("original_name", "sha256")
    raw_id_fields = ("supersedes", "uploaded_by")
    readonly_fields = ("sha256", "size", "mime_type", "created_at", "updated_at")


@admin.register(IngestJob)
class IngestJobAdmin(admin.ModelAdmin):
    list_display = ("pk", "document", "status", "attempts", "progress", "worker", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("document",)


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    list_display = ("document", "version", "index", "page_start", "token_count", "point_id")
    raw_id_fields = ("document",)
    search_fields = ("point_id",)
