"""Turning stored documents into vector points: the ingest job, and rebuilding points from chunks.

The database is the source of truth. Chunks are written to the database first; points are derived
from them with deterministic ids, so a redelivered task or a reindex overwrites instead of
duplicating. Heavy libraries (parsers, torch) are reached only through lazy imports.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from assistant.backends.vectorstore import (
    ChunkPoint,
    IndexModelMismatch,
    VectorStoreUnavailable,
)
from ingestion.models import Chunk, Document, IngestJob

if TYPE_CHECKING:
    from assistant.backends.embedder import Embedder
    from assistant.backends.vectorstore import VectorStore

logger = logging.getLogger(__name__)

# Fixed forever: point ids are uuid5(POINT_NAMESPACE, "document:version:index").
POINT_NAMESPACE = uuid.UUID("5b0c7f3e-2f7a-4d0c-9a55-2d1f1e7f3c11")
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    VectorStoreUnavailable,
    OperationalError,
    InterfaceError,
)


class JobGone(Exception):
    """The document or job was deleted while the job ran: stop quietly."""


def point_id_for(document_id: int, version: int, index: int) -> str:
    return str(uuid.uuid5(POINT_NAMESPACE, f"{document_id}:{version}:{index}"))


def mismatch_message(exc: IndexModelMismatch) -> str:
    text = str(exc)
    if "reindex" in text:
        return text
    return f"{text}; run `python manage.py reindex` to rebuild the index with the current model"


def current_store() -> VectorStore:
    from assistant.backends.vectorstore_factory import get_vector_store

    return get_vector_store()


def current_embedder() -> Embedder:
    from assistant.backends.embedder import get_embedder

    return get_embedder()


def chunk_points(
    chunks: Sequence[Chunk],
    *,
    collection_id: int,
    lang: str,
    embedder: Embedder,
) -> list[ChunkPoint]:
    """Dense + sparse points for `chunks` (one embedding call: callers pass one batch)."""
    from assistant.backends.lexical import sparse_vector

    vectors = embedder.embed_documents([chunk.text for chunk in chunks])
    return [
        ChunkPoint(
            point_id=chunk.point_id,
            dense=vector,
            sparse=sparse_vector(chunk.text, lang=lang or None),
            payload={
                "collection_id": collection_id,
                "document_id": chunk.document_id,
                "version": chunk.version,
                "chunk_index": chunk.index,
                "chunk_id": chunk.pk,
                "page_start": chunk.page_start,
                "page_end": chunk.page_end,
                "lang": lang,
                "injection_flagged": chunk.injection_flagged,
                "injection_reasons": list(chunk.injection_reasons or []),
            },
        )
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]


def embed_and_upsert(
    chunks: Sequence[Chunk],
    *,
    collection_id: int,
    lang: str,
    on_batch: Callable[[int], None] | None = None,
) -> None:
    """Embed `chunks` in batches of RAG_EMBED_BATCH and upsert each batch. Calls on_batch(done)."""
    embedder = current_embedder()
    store = current_store()
    store.ensure_collection(embed_model=embedder.model_name, dimension=embedder.dimension)
    batch = max(1, settings.RAG_EMBED_BATCH)
    for start in range(0, len(chunks), batch):
        part = chunks[start : start + batch]
        store.upsert(chunk_points(part, collection_id=collection_id, lang=lang, embedder=embedder))
        if on_batch is not None:
            on_batch(start + len(part))


# --- the ingest job -------------------------------------------------------------------------


def claim_job(job_id: int, *, worker: str = "") -> bool:
    """Take a QUEUED job (conditional UPDATE): False when another worker has it or it is gone."""
    now = timezone.now()
    return bool(
        IngestJob.objects.filter(pk=job_id, status=IngestJob.Status.QUEUED).update(
            status=IngestJob.Status.PARSING,
            worker=worker[:200],
            attempts=F("attempts") + 1,
            progress=0,
            claimed_at=now,
            heartbeat_at=now,
            finished_at=None,
            error_message="",
        )
    )


def _set_stage(job: IngestJob, stage: str, progress: int, *, timings: dict[str, float]) -> None:
    now = timezone.now()
    updated = IngestJob.objects.filter(pk=job.pk).update(
        status=stage, progress=progress, heartbeat_at=now, timings=timings
    )
    doc_updated = (
        Document.objects.filter(pk=job.document_id)
        .exclude(status=Document.Status.DELETED)
        .update(status=stage, updated_at=now)
    )
    if not updated or not doc_updated:
        raise JobGone


def document_ingest(job_id: int, *, worker: str = "") -> None:
    """Run one ingest job: parse -> chunk -> embed -> upsert -> INDEXED.

    Returns quietly when the job is not QUEUED (another worker claimed it) or no longer exists.
    A ParseError (or a model mismatch) fails the job permanently with a readable message and
    leaves nothing of this version in the index. Transient errors (vector store or database
    unavailable) put the job back to QUEUED and re-raise, so the Celery task retries it.
    `worker` names the claiming worker, so a restarted worker can requeue what it left behind.
    """
    if not claim_job(job_id, worker=worker):
        logger.info("ingest job %s not claimable (taken, finished or deleted)", job_id)
        return
    job = IngestJob.objects.select_related("document").get(pk=job_id)
    document = job.document
    try:
        _run(job, document)
    except JobGone:
        logger.info("document %s deleted during ingestion; cleaning its points", document.pk)
        _discard_points(document.pk, document.version)
    except TRANSIENT_ERRORS as exc:
        logger.warning("ingest job %s: transient error, will retry: %s", job_id, exc)
        _requeue_after_transient(job, exc)
        raise
    except Exception as exc:
        message = _failure_message(exc)
        if message is None:
            logger.exception("ingest job %s crashed", job_id)
            message = f"internal error while indexing ({type(exc).__name__}); see the worker log"
        else:
            logger.info("ingest job %s failed: %s", job_id, message)
        fail_job(job.pk, message)


def _failure_message(exc: Exception) -> str | None:
    """The user-facing message of a permanent failure, or None for an unexpected crash."""
    from celery.exceptions import SoftTimeLimitExceeded

    from ingestion.pipeline.parse import ParseError

    if isinstance(exc, ParseError):
        return str(exc) or "the file could not be read"
    if isinstance(exc, IndexModelMismatch):
        return mismatch_message(exc)
    if isinstance(exc, SoftTimeLimitExceeded):
        return (
            f"indexing took longer than the time limit ({settings.CELERY_TASK_SOFT_TIME_LIMIT} s)"
        )
    return None


def _run(job: IngestJob, document: Document) -> None:
    from ingestion.pipeline.chunk import chunk_document
    from ingestion.pipeline.parse import ParseError, parse_document

    timings: dict[str, float] = dict(job.timings or {})
    _set_stage(job, IngestJob.Status.PARSING, 5, timings=timings)
    started = time.monotonic()
    parsed = parse_document(
        Path(document.file.path), original_name=document.original_name, mime_type=document.mime_type
    )
    timings["parse"] = round(time.monotonic() - started, 3)

    started = time.monotonic()
    embedder = current_embedder()
    drafts = chunk_document(
        parsed,
        target_tokens=settings.RAG_CHUNK_TOKENS,
        overlap_tokens=settings.RAG_CHUNK_OVERLAP,
        count_tokens=embedder.count_tokens,
    )
    drafts = [draft for draft in drafts if draft.text.strip()]
    if not drafts:
        raise ParseError("no text could be extracted from this file")
    timings["chunk"] = round(time.monotonic() - started, 3)
    lang = (parsed.language or "")[:8]
    drafts = _redact_if_required(document, drafts, lang)
    chunks = _write_chunks(document, drafts)
    Document.objects.filter(pk=document.pk).update(page_count=parsed.page_count, language=lang)

    started = time.monotonic()
    _set_stage(job, IngestJob.Status.EMBEDDING, 10, timings=timings)
    total = len(chunks)

    def progress(done: int) -> None:
        _set_stage(job, IngestJob.Status.EMBEDDING, 10 + (89 * done) // total, timings=timings)

    embed_and_upsert(chunks, collection_id=document.collection_id, lang=lang, on_batch=progress)
    timings["embed"] = round(time.monotonic() - started, 3)
    _finish(job, document, chunk_count=total, timings=timings)


def _redact_if_required(document: Document, drafts: list[Any], lang: str) -> list[Any]:
    """Collections with redact_at_ingestion store and index their chunks redacted: the original
    text then never reaches the database rows, the vector index or any prompt. Placeholders are
    consistent across the document (the same person is <PERSON_1> in every chunk)."""
    from privacy.policy import must_redact_at_ingestion

    if not must_redact_at_ingestion(document.collection):
        return drafts
    from dataclasses import replace

    from privacy.redaction import PlaceholderMap, get_redactor

    redactor = get_redactor()
    placeholders = PlaceholderMap()
    redacted = []
    for draft in drafts:
        result = redactor.redact(draft.text, language=lang or "auto", placeholders=placeholders)
        redacted.append(replace(draft, text=result.text))
    return redacted


def _write_chunks(document: Document, drafts: Sequence[Any]) -> list[Chunk]:
    """Replace this version's chunk rows (a redelivered job rewrites the same ids), each flagged
    when it carries instruction-like text (ingestion.pipeline.injection)."""
    from ingestion.pipeline.injection import injection_reasons

    trusted = settings.RAG_TRUSTED_HOSTS
    reasons = [injection_reasons(draft.text, trusted_hosts=trusted) for draft in drafts]
    with transaction.atomic():
        if not Document.objects.filter(pk=document.pk).exists():
            raise JobGone
        Chunk.objects.filter(document=document, version=document.version).delete()
        return Chunk.objects.bulk_create(
            [
                Chunk(
                    document=document,
                    version=document.version,
                    index=position,
                    text=draft.text,
                    page_start=draft.page_start,
                    page_end=draft.page_end,
                    heading_path=list(draft.heading_path or []),
                    char_start=max(0, draft.char_start),
                    char_end=max(0, draft.char_end),
                    token_count=max(0, draft.token_count),
                    point_id=point_id_for(document.pk, document.version, position),
                    injection_flagged=bool(reasons[position]),
                    injection_reasons=reasons[position],
                )
                for position, draft in enumerate(drafts)
            ]
        )


def _finish(
    job: IngestJob, document: Document, *, chunk_count: int, timings: dict[str, float]
) -> None:
    """Mark INDEXED, then retire older versions of the same file (their points, chunks, file)."""
    now = timezone.now()
    with transaction.atomic():
        marked = Document.objects.filter(pk=document.pk, status=Document.Status.EMBEDDING).update(
            status=Document.Status.INDEXED, chunk_count=chunk_count, error_message=""
        )
        if not marked:
            raise JobGone
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.DONE,
            progress=100,
            timings=timings,
            heartbeat_at=now,
            finished_at=now,
        )
        older = list(
            Document.objects.select_for_update()
            .filter(
                collection_id=document.collection_id,
                original_name=document.original_name,
                version__lt=document.version,
            )
            .exclude(status=Document.Status.DELETED)
        )
        for old in older:
            retire_document(old)
    for old in older:
        _discard_points(old.pk, None)
    from assistant.metrics import observe_ingest

    observe_ingest("indexed", timings)


def retire_document(document: Document) -> None:
    """Mark a superseded version DELETED and drop its chunks and stored file (not its points:
    callers delete those after the transaction commits)."""
    Chunk.objects.filter(document=document).delete()
    IngestJob.objects.filter(document=document, status=IngestJob.Status.QUEUED).update(
        status=IngestJob.Status.FAILED, error_message="superseded by a newer version"
    )
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.DELETED, chunk_count=0, updated_at=timezone.now()
    )
    from ingestion.signals import documents_retired

    # answers built from the old version are stale
    documents_retired.send(sender=Document, document_ids=[document.pk])
    name = document.file.name
    if name:
        transaction.on_commit(partial(document.file.storage.delete, name))


def _discard_points(document_id: int, version: int | None) -> None:
    """Best effort: a point left behind here is filtered by retrieval and removed by reconcile."""
    try:
        current_store().delete_by_document(document_id, version=version)
    except VectorStoreUnavailable as exc:
        logger.warning("could not delete points of document %s: %s", document_id, exc)


def fail_job(job_id: int, message: str) -> None:
    """Permanent failure: readable message, and nothing of this version left in the index."""
    job = IngestJob.objects.select_related("document").filter(pk=job_id).first()
    if job is None:
        return
    document = job.document
    now = timezone.now()
    with transaction.atomic():
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.FAILED, error_message=message, finished_at=now
        )
        Chunk.objects.filter(document=document, version=document.version).delete()
        Document.objects.filter(pk=document.pk).exclude(status=Document.Status.DELETED).update(
            status=Document.Status.FAILED, error_message=message, chunk_count=0, updated_at=now
        )
    _discard_points(document.pk, document.version)
    from assistant.metrics import observe_ingest

    observe_ingest("failed", job.timings or {})


def _requeue_after_transient(job: IngestJob, exc: Exception) -> None:
    message = f"waiting to retry: {type(exc).__name__}: {exc}"[:500]
    try:
        IngestJob.objects.filter(pk=job.pk).exclude(
            status__in=(IngestJob.Status.DONE, IngestJob.Status.FAILED)
        ).update(status=IngestJob.Status.QUEUED, error_message=message)
        Document.objects.filter(
            pk=job.document_id, status__in=(Document.Status.PARSING, Document.Status.EMBEDDING)
        ).update(status=Document.Status.QUEUED)
    except TRANSIENT_ERRORS:
        # The database itself is down: requeue_interrupted_jobs() rescues the job later.
        logger.warning("could not put job %s back in the queue", job.pk)
