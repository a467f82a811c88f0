"""Read-side queries for collections. The only place that decides who may read what."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet

from ingestion.models import Chunk, Collection, Document, IngestJob


def collections_readable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Collection]:
    """Collections `user` may search and read: granted to the user directly or to one of their
    groups. Inactive and anonymous users read nothing. Every feature that shows or searches
    documents filters through this selector, never through ids taken from a request."""
    if not user.is_authenticated or not user.is_active:
        return Collection.objects.none()
    return Collection.objects.filter(
        Q(reader_users=user) | Q(reader_groups__in=user.groups.all())  # type: ignore[attr-defined]
    ).distinct()


def readable_collection_ids(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    return sorted(collections_readable_by(user).values_list("id", flat=True))


def collections_with_document_counts() -> QuerySet[Collection]:
    """Every collection with its live documents counted by state (retired versions excluded)."""
    live = Q(documents__status__in=[s for s in Document.Status if s != Document.Status.DELETED])
    in_progress = (Document.Status.QUEUED, Document.Status.PARSING, Document.Status.EMBEDDING)
    return Collection.objects.annotate(
        document_count=Count("documents", filter=live, distinct=True),
        indexed_count=Count(
            "documents", filter=Q(documents__status=Document.Status.INDEXED), distinct=True
        ),
        in_progress_count=Count(
            "documents", filter=Q(documents__status__in=in_progress), distinct=True
        ),
        failed_count=Count(
            "documents", filter=Q(documents__status=Document.Status.FAILED), distinct=True
        ),
        reader_group_count=Count("reader_groups", distinct=True),
        reader_user_count=Count("reader_users", distinct=True),
    )


def documents_in_collection(collection: Collection, *, status: str | None = None) -> list[Document]:
    """Live documents (newest version first per name), each with `.latest_job` attached.
    `status` filters on one Document.Status value; retired versions are never listed."""
    documents = Document.objects.filter(collection=collection).exclude(
        status=Document.Status.DELETED
    )
    if status:
        documents = documents.filter(status=status)
    listed = list(documents.order_by("original_name", "-version"))
    attach_latest_jobs(listed)
    attach_flagged_chunk_counts(listed)
    return listed


def attach_latest_jobs(documents: list[Document]) -> None:
    latest: dict[int, IngestJob] = {}
    jobs = IngestJob.objects.filter(document__in=documents).order_by(
        "document_id", "-created_at", "-id"
    )
    for job in jobs:
        latest.setdefault(job.document_id, job)
    for document in documents:
        document.latest_job = latest.get(document.pk)  # type: ignore[attr-defined]


def attach_flagged_chunk_counts(documents: list[Document]) -> None:
    """`.flagged_chunks` on each document: its chunks (of its own version) that carry
    instruction-like text (Chunk.injection_flagged)."""
    counts: dict[tuple[int, int], int] = {}
    rows = (
        Chunk.objects.filter(document__in=documents, injection_flagged=True)
        .values("document_id", "version")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[(row["document_id"], row["version"])] = row["n"]
    for document in documents:
        document.flagged_chunks = counts.get((document.pk, document.version), 0)  # type: ignore[attr-defined]


def document_with_latest_job(pk: int) -> Document | None:
    document = Document.objects.select_related("collection").filter(pk=pk).first()
    if document is not None:
        attach_latest_jobs([document])
        attach_flagged_chunk_counts([document])
    return document
