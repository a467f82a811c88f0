"""Thin Celery tasks of the chat app: they take ids and call services; enqueueing them happens
here too. No heavy import here."""

from __future__ import annotations

import contextlib
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from assistant.backends.llm import LLMUnavailable
from assistant.celery import transient_retry_task

JUDGE_MAX_RETRIES = 3


class JudgeTask(Task):
    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        """Retries exhausted (or an unexpected error): record it rather than leave no trace."""
        from assistant.chat.judge import record_judge_error

        exchange_id = kwargs.get("exchange_id", args[0] if args else None)
        if exchange_id is not None:
            # if the database is what failed, there is nothing more to do
            with contextlib.suppress(OperationalError, InterfaceError):
                record_judge_error(int(exchange_id), f"{type(exc).__name__}: {exc}")


@transient_retry_task(
    name="assistant.judge_exchange",
    base=JudgeTask,
    retry_on=(LLMUnavailable,),
    retry_backoff=10,
    max_retries=JUDGE_MAX_RETRIES,
)
def judge_exchange_task(self: Task, exchange_id: int) -> None:
    from assistant.chat.judge import judge_exchange

    judge_exchange(exchange_id)


def enqueue_judge(exchange: Any) -> None:
    """Send the judge task for this exchange once the current transaction commits."""
    from django.db import transaction

    exchange_id = exchange.pk
    transaction.on_commit(lambda: judge_exchange_task.delay(exchange_id))


@shared_task(name="assistant.cache_purge")
def cache_purge_task() -> int:
    """Delete expired semantic-cache entries (for the beat schedule); returns how many."""
    from assistant.chat.semantic_cache import purge_expired

    return purge_expired()
