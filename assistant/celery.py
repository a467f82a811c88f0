"""The Celery application. Same task code in both modes; only CELERY_BROKER_URL differs.

transient_retry_task() is the one retry policy of our tasks."""

import os
from collections.abc import Callable
from typing import Any

from celery import Celery, Task, shared_task
from django.db import InterfaceError, OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "assistant.settings")

app = Celery("assistant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

RETRY_BACKOFF_MAX = 300  # seconds: the longest wait between two attempts
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def transient_retry_task(
    *,
    name: str,
    base: type[Task],
    retry_on: tuple[type[Exception], ...],
    retry_backoff: int,
    max_retries: int,
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """Register a bound shared task (first argument `self`) that retries transient errors only.

    The message is acknowledged once the task has run, and is redelivered when the worker dies
    under it (acks_late, reject_on_worker_lost), so the task must be idempotent. The errors in
    `retry_on` and a database outage (OperationalError, InterfaceError) are retried with an
    exponential, jittered backoff starting at `retry_backoff` seconds and capped at
    RETRY_BACKOFF_MAX, at most `max_retries` times; then `base.on_failure` runs. Any other
    error is permanent (also `base.on_failure`). `options` go to shared_task unchanged.
    """
    return shared_task(
        bind=True,
        base=base,
        name=name,
        acks_late=True,
        reject_on_worker_lost=True,
        autoretry_for=(*retry_on, *DATABASE_UNAVAILABLE),
        retry_backoff=retry_backoff,
        retry_backoff_max=RETRY_BACKOFF_MAX,
        retry_jitter=True,
        max_retries=max_retries,
        **options,
    )


@app.task(name="assistant.ping")
def ping(value: str = "pong") -> str:
    """Round-trip probe used by the health check and the broker tests."""
    return value
