"""Thin Celery tasks that take ids, and the functions that enqueue them. The tasks call the unit
of work (ingestion.indexing, ingestion.recovery), which never imports this module back.
No heavy import at module level."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction

from assistant.backends.vectorstore import VectorStoreUnavailable
from assistant.celery import transient_retry_task

logger = logging.getLogger(__name__)


class IngestTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Retries exhausted on a transient error: the job must not stay queued forever."""
        from ingestion.indexing import fail_job

        job_id = kwargs.get("job_id", args[0] if args else None)
        if job_id is not None:
            fail_job(
                int(job_id),
                f"gave up after {self.request.retries} retries: {type(exc).__name__}: {exc}"[:500],
            )


@transient_retry_task(
    name="ingestion.ingest_document",
    base=IngestTask,
    retry_on=(VectorStoreUnavailable,),
    retry_backoff=5,
    max_retries=settings.RAG_INGEST_MAX_RETRIES,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def ingest_document_task(self: Task, job_id: int) -> None:
    from ingestion.indexing import document_ingest

    document_ingest(job_id, worker=self.request.hostname or "")


def enqueue_after_commit(job_id: int) -> None:
    """Send the ingest job to a worker once the current transaction commits (never before its
    rows); outside a transaction, at once."""
    transaction.on_commit(lambda: ingest_document_task.delay(job_id))


def requeue_interrupted_jobs(*, worker: str | None = None, stale_after: float | None = None) -> int:
    """Reopen the jobs a dead worker left running and send them, and the queued jobs whose
    message may be lost, again (see ingestion.recovery.reopen_interrupted_jobs for which).
    Returns the number of reopened jobs."""
    from ingestion.recovery import reopen_interrupted_jobs

    jobs = reopen_interrupted_jobs(worker=worker, stale_after=stale_after)
    for job_id in jobs.resend:
        enqueue_after_commit(job_id)
    return len(jobs.reopened)


@worker_ready.connect
def _requeue_on_worker_start(sender: Any = None, **kwargs: Any) -> None:
    """A restarted worker picks up the jobs it was running when it died (SIGKILL, OOM)."""
    hostname = getattr(sender, "hostname", None)
    try:
        count = requeue_interrupted_jobs(worker=hostname)
    except Exception:
        logger.exception("could not requeue interrupted ingest jobs")
        return
    if count:
        logger.info("requeued %d interrupted ingest job(s)", count)


@shared_task(name="ingestion.requeue_interrupted")
def requeue_interrupted_task() -> int:
    """For the beat schedule: reopen the jobs whose worker died (heartbeat older than
    RAG_INGEST_STALE_SECONDS) and resend the queued ones; returns how many were reopened. A
    worker's own start does this too (worker_ready), but a worker that never restarts would
    leave a killed sibling's job running forever. Always by heartbeat age, also in the embedded
    mode (where a starting worker takes every running job): the job running now is not stale."""
    return requeue_interrupted_jobs(stale_after=settings.RAG_INGEST_STALE_SECONDS)
