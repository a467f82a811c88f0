"""Thin Celery tasks of the privacy app. No heavy import here.

privacy.audit_checkpoint signs the audit chain's head and stores it outside the database: the
beat schedule (or cron calling `manage.py audit checkpoint`) runs it, so the events written since
the last every-N checkpoint are not protected by the chain head alone for long."""

from __future__ import annotations

from celery import Task

from assistant.celery import transient_retry_task


@transient_retry_task(
    name="privacy.audit_checkpoint",
    base=Task,
    retry_on=(OSError,),  # e.g. the checkpoint disk full or not mounted yet
    retry_backoff=30,
    max_retries=5,
)
def audit_checkpoint_task(self: Task) -> int:
    """Write one checkpoint of the chain head; returns its sequence number."""
    from privacy.chain import write_checkpoint

    return int(write_checkpoint()["sequence"])
