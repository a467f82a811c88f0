"""Recovering ingest jobs a dead worker left behind (run when a worker starts).

This module only changes rows; ingestion.tasks.requeue_interrupted_jobs() sends the messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ingestion.models import Document, IngestJob


@dataclass(frozen=True)
class ReopenedJobs:
    """reopened: running jobs put back to QUEUED. resend: the jobs whose message must be sent
    again (the reopened ones, and QUEUED jobs old enough that their message may be lost)."""

    reopened: list[int]
    resend: list[int]


def reopen_interrupted_jobs(
    *, worker: str | None = None, stale_after: float | None = None
) -> ReopenedJobs:
    """Put the jobs a dead worker left running back to QUEUED; list what must be sent again.

    A running job is interrupted when its heartbeat is older than `stale_after` seconds
    (default RAG_INGEST_STALE_SECONDS), or when it was claimed by `worker`, the hostname of a
    worker that is just starting (so it cannot still be running it). In the embedded mode only
    one process can own the index, so at start-up every running job is interrupted. Each job is
    reopened with a conditional update in its own transaction, so two starting workers never
    both take one; sending a message twice is harmless (a job is claimed the same way).
    """
    if stale_after is None:
        embedded = settings.RAG_EMBEDDED_BROKER and not settings.RAG_QDRANT_URL
        stale_after = 0 if embedded else settings.RAG_INGEST_STALE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    running = IngestJob.objects.filter(status__in=IngestJob.RUNNING)
    interrupted = running.filter(heartbeat_at__lte=cutoff) | running.filter(heartbeat_at=None)
    if worker:
        interrupted = interrupted | running.filter(worker=worker)
    reopened: list[int] = []
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
                reopened.append(job.pk)
    waiting = IngestJob.objects.filter(status=IngestJob.Status.QUEUED, created_at__lte=cutoff)
    return ReopenedJobs(reopened, [*reopened, *waiting.values_list("pk", flat=True)])
