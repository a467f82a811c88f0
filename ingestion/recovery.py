"""Recovering ingest jobs a dead worker left behind (called when a worker starts)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ingestion.models import Document, IngestJob
from ingestion.services import enqueue_after_commit


def requeue_interrupted_jobs(*, worker: str | None = None, stale_after: float | None = None) -> int:
    """Requeue jobs a dead worker left running, and re-send queued jobs whose message may be lost.

    A running job is interrupted when its heartbeat is older than `stale_after` seconds
    (default RAG_INGEST_STALE_SECONDS), or when it was claimed by `worker`, the hostname of a
    worker that is just starting (so it cannot still be running it). In the embedded mode only
    one process can own the index, so at start-up every running job is interrupted. Duplicated
    messages are harmless: a job is claimed with a conditional update.
    """
    if stale_after is None:
        embedded = settings.RAG_EMBEDDED_BROKER and not settings.RAG_QDRANT_URL
        stale_after = 0 if embedded else settings.RAG_INGEST_STALE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    running = IngestJob.objects.filter(status__in=IngestJob.RUNNING)
    interrupted = running.filter(heartbeat_at__lte=cutoff) | running.filter(heartbeat_at=None)
    if worker:
        interrupted = interrupted | running.filter(worker=worker)
    count = 0
    for job in interrupted.select_related("document"):
        with transaction.atomic():
            taken = IngestJob.objects.filter(pk=job.pk, status=job.status).update(
                status=IngestJob.Status.QUEUED
            )
            if taken:
                Document.objects.filter(
                    pk=job.document_id,
                    status__in=(Document.Status.PARSING, Document.Status.EMBEDDING),
                ).update(status=Document.Status.QUEUED)
                enqueue_after_commit(job)
                count += 1
    for job in IngestJob.objects.filter(status=IngestJob.Status.QUEUED, created_at__lte=cutoff):
        with transaction.atomic():
            enqueue_after_commit(job)
    return count
