"""Thin Celery tasks: they take ids and call services. No heavy import at module level."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError

from assistant.backends.vectorstore import VectorStoreUnavailable

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


@shared_task(
    bind=True,
    base=IngestTask,
    name="ingestion.ingest_document",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(VectorStoreUnavailable, OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=settings.RAG_INGEST_MAX_RETRIES,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def ingest_document_task(self: Task, job_id: int) -> None:
    from ingestion.services import document_ingest

    document_ingest(job_id, worker=self.request.hostname or "")


@worker_ready.connect
def _requeue_on_worker_start(sender: Any = None, **kwargs: Any) -> None:
    """A restarted worker picks up the jobs it was running when it died (SIGKILL, OOM)."""
    from ingestion.recovery import requeue_interrupted_jobs

    hostname = getattr(sender, "hostname", None)
    try:
        count = requeue_interrupted_jobs(worker=hostname)
    except Exception:
        logger.exception("could not requeue interrupted ingest jobs")
        return
    if count:
        logger.info("requeued %d interrupted ingest job(s)", count)
