"""Chat services: the one owner of an exchange, from the web view, the API and `manage.py ask`.

create_exchange() validates and admits a question (rate limit, semantic cache, bounded queue) and
records it; stream_answer() serves it from the cache or runs assistant.chat.answering (retrieve;
refuse, quote or generate; verify), which returns how the answer ended; exchange_finish() then
ends the exchange in one place: status, timings, metrics, audit, cache store and judge sampling.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from assistant.chat import semantic_cache
from assistant.chat.admission import (
    Cancelled,
    QueueFull,
    check_rate_limit,
    generation_queue,
    plan_and_admit,
)
from assistant.chat.events import GENERATION_FAILED, REFUSAL, AnswerEvent, elapsed_ms
from assistant.chat.models import Conversation, Exchange
from assistant.chat.retrieval import searchable_collection_ids

__all__ = ["REFUSAL", "AnswerEvent", "QuestionInvalid", "answer_question", "create_exchange"]

logger = logging.getLogger(__name__)


class QuestionInvalid(ValueError):
    """The question is empty or too long; the message is shown to the user."""


def validate_question(question: str) -> str:
    from django.utils.translation import gettext as _

    cleaned = (question or "").strip()
    if not cleaned:
        raise QuestionInvalid(_("Please type a question."))
    if len(cleaned) > settings.RAG_MAX_QUESTION_CHARS:
        raise QuestionInvalid(
            _("Your question is too long (%(length)d characters, the limit is %(limit)d).")
            % {"length": len(cleaned), "limit": settings.RAG_MAX_QUESTION_CHARS}
        )
    return cleaned


def create_exchange(
    *,
    user: AbstractBaseUser,
    question: str,
    collection_ids: Iterable[int] | None = None,
    conversation: Conversation | None = None,
    mode: str | None = None,
) -> Exchange:
    """Validate, rate-limit and admit a question, then record it as a PENDING exchange.

    `mode` (generated | quote | auto) overrides the searched collections' default answer mode.
    Only a question that will be generated takes a place in the generation queue: quote mode never
    waits, and auto mode answers with quotations when the queue is full or the user already holds
    their share of it (RAG_QUEUE_PER_USER). Raises QuestionInvalid, RateLimited (caller answers
    429), ShareExceeded (429) or QueueFull (503); the last two in generated mode only. Requested
    collection ids the user may not read are dropped; None or empty means all readable ones.
    """
    from django.utils.translation import gettext as _

    from assistant.backends.language import detect_language
    from assistant.chat.followup import exchange_rewrite
    from assistant.chat.grounded import resolve_mode

    cleaned = validate_question(question)
    searched = searchable_collection_ids(user, collection_ids)
    try:
        mode = resolve_mode(mode, searched)
    except ValueError:
        raise QuestionInvalid(_("Unknown answer mode: choose generated, quote or auto.")) from None
    check_rate_limit(user.pk)
    # A follow-up ("and for London?") is retrieved, looked up in the cache and audited by its
    # standalone form; rewritten, it no longer depends on the conversation for the cache.
    rewrite = exchange_rewrite(
        question=cleaned, conversation=conversation, user=user, collection_ids=searched
    )
    query = rewrite.query if rewrite else ""
    language = detect_language(cleaned, default=detect_language(query) if query else "en")
    cache_hit = semantic_cache.lookup(
        user=user, question=query or cleaned, language=language, collection_ids=searched,
        conversation=None if query else conversation, mode=mode,
    )  # fmt: skip
    public_id = uuid.uuid4()
    path: str
    if cache_hit is not None:  # served at once: no retrieval, no place in the generation queue
        path, reason, admitted = Exchange.AnswerPath.CACHE, "", False
    else:
        path, reason, admitted = plan_and_admit(mode, language, str(public_id), owner=user.pk)
    try:
        with transaction.atomic():
            if conversation is None or conversation.user_id != user.pk:
                conversation = Conversation.objects.create(
                    user=user,  # type: ignore[misc]
                    title=cleaned[:80],
                )
            if collection_ids is not None:
                conversation.collections.set(searched)
            exchange = Exchange.objects.create(
                public_id=public_id,
                conversation=conversation,
                user=user,  # type: ignore[misc]
                question=cleaned,
                retrieval_query=query,
                language=language,
                answer_path=path,
                metrics={
                    **({"followup_rewrite": rewrite.method} if rewrite else {}),
                    "answer_mode": mode,
                    "planned_path": str(path),
                    "path_reason": reason,
                    **(semantic_cache.planned_metrics(cache_hit) if cache_hit else {}),
                },
            )
            exchange.searched_collections.set(searched)
            conversation.save(update_fields=["updated_at"])
    except BaseException:
        if admitted:
            generation_queue.release(str(public_id))
        raise
    return exchange


def cancel_key(exchange: Exchange) -> str:
    return f"rag:cancel:{exchange.public_id}"


def request_cancel(exchange: Exchange) -> None:
    """Stop an exchange (the stop button). A running generation stops at its next token and ends
    CANCELLED; one whose stream never started is closed here, its queue place freed, and audited."""
    cache.set(cancel_key(exchange), True, timeout=600)
    if Exchange.objects.filter(pk=exchange.pk, status=Exchange.Status.PENDING).update(
        status=Exchange.Status.STREAMING
    ):
        generation_queue.release(str(exchange.public_id))
        exchange.refresh_from_db()
        exchange_finish(exchange, time.perf_counter(), Exchange.Status.CANCELLED)


def stream_answer(
    exchange: Exchange, *, should_stop: Callable[[], bool] | None = None
) -> Iterator[AnswerEvent]:
    """Answer a PENDING exchange, yielding events as it goes. Exactly one caller wins the claim;
    others (a reconnecting browser) get a single "done" event for the state as it is."""
    claimed = Exchange.objects.filter(pk=exchange.pk, status=Exchange.Status.PENDING).update(
        status=Exchange.Status.STREAMING
    )
    key = str(exchange.public_id)
    if not claimed:
        # Another request is answering it (a browser reconnecting): wait for its end, so the
        # final event never carries a half-done answer that would reopen the stream.
        deadline = time.monotonic() + settings.RAG_LLM_TIMEOUT + 60
        exchange.refresh_from_db()
        while exchange.status in (Exchange.Status.PENDING, Exchange.Status.STREAMING):
            if time.monotonic() > deadline or (should_stop and should_stop()):
                return
            time.sleep(0.25)
            exchange.refresh_from_db()
        yield AnswerEvent("done")
        return
    exchange.status = Exchange.Status.STREAMING
    started = time.perf_counter()
    finished = False

    def stopped() -> bool:
        return bool(cache.get(cancel_key(exchange))) or bool(should_stop and should_stop())

    def finish(status: str) -> None:
        nonlocal finished
        finished = True
        exchange_finish(exchange, started, status)

    try:
        status = yield from _answer(exchange, started, stopped)
        finish(status)
        yield AnswerEvent("done")
    except GeneratorExit:  # the client went away: record what we have
        if not finished:
            finish(Exchange.Status.CANCELLED)
        raise
    except Cancelled:
        finish(Exchange.Status.CANCELLED)
        yield AnswerEvent("done")
    except Exception as exc:
        logger.exception("exchange %s failed", exchange.public_id)
        exchange.error_message = f"{type(exc).__name__}: {exc}"[:2000]
        if not exchange.answer:
            exchange.answer = GENERATION_FAILED.get(exchange.language, GENERATION_FAILED["en"])
        if not finished:
            finish(Exchange.Status.ERROR)
        yield AnswerEvent("error", exchange.answer)
    finally:
        generation_queue.release(key)


def _answer(
    exchange: Exchange, started: float, stopped: Callable[[], bool]
) -> Generator[AnswerEvent, None, str]:
    """Serve the exchange from the cache entry chosen at admission, or answer it; returns the
    status it ends with."""
    from assistant.chat.answering import answer

    planned = exchange.metrics.get("planned_path")
    if planned == Exchange.AnswerPath.CACHE:
        if semantic_cache.serve(exchange, started):
            return Exchange.Status.DONE
        _plan_again(exchange, cache_missed=True)
    elif planned == Exchange.AnswerPath.GENERATED and not generation_queue.claim(
        str(exchange.public_id)
    ):
        _plan_again(exchange, cache_missed=False)  # its place expired before the stream opened
    return (yield from answer(exchange, started, stopped))


def _plan_again(exchange: Exchange, *, cache_missed: bool) -> None:
    """Plan the path as create_exchange would have, queue place included, when the plan made at
    admission no longer holds: the cache entry may no longer be served (a document changed, a
    review rejected it), or the queue place expired before the stream opened (the old place is
    never given back: a new one comes at the back of the queue). Too late for a 503 or a 429:
    without a place the answer is made of quotations, which need none."""
    from assistant.chat.grounding.paths import busy_reason

    mode = exchange.metrics.get("answer_mode", "auto")
    key = str(exchange.public_id)
    try:
        path, reason, admitted = plan_and_admit(
            mode, exchange.language, key, owner=exchange.user_id
        )
    except QueueFull:
        path, reason, admitted = Exchange.AnswerPath.QUOTE, busy_reason(), False
    if admitted:
        generation_queue.claim(key)  # its stream is open: this place never expires
    exchange.answer_path = path
    metrics = {**exchange.metrics, "planned_path": str(path), "path_reason": reason}
    if cache_missed:
        metrics["cache"] = {**exchange.metrics.get("cache", {}), "served": False}
    else:
        metrics["queue_place_expired"] = True
    exchange.metrics = metrics


def exchange_finish(exchange: Exchange, started: float, status: str) -> None:
    """End an exchange, whatever its path: the one place that sets its final status and total
    time, and then records its metrics, audits it (which feeds the review queue), stores an
    eligible answer in the semantic cache and enqueues the model-as-judge for a sampled share."""
    from assistant.chat import judge
    from assistant.chat.audit import audit_exchange
    from assistant.chat.tasks import enqueue_judge
    from assistant.metrics import observe_exchange

    exchange.status = status
    exchange.total_ms = elapsed_ms(started)
    exchange.finished_at = timezone.now()
    exchange.save()
    observe_exchange(exchange)
    audit_exchange(exchange)
    if status == Exchange.Status.DONE:
        semantic_cache.store_quietly(exchange)  # reusable later if eligible; never raises
    if judge.sampled(exchange):  # a sampled share is scored later by the model-as-judge
        enqueue_judge(exchange)


def answer_question(
    *,
    user: AbstractBaseUser,
    question: str,
    collection_ids: Iterable[int] | None = None,
    conversation: Conversation | None = None,
    mode: str | None = None,
) -> Exchange:
    """Ask and wait for the whole answer (the `ask` command, tests). Same rules as the web."""
    exchange = create_exchange(
        user=user,
        question=question,
        collection_ids=collection_ids,
        conversation=conversation,
        mode=mode,
    )
    for _event in stream_answer(exchange):
        pass
    exchange.refresh_from_db()
    return exchange


def record_feedback(*, exchange: Exchange, value: int, reason: str = "") -> Exchange:
    """Thumbs up (+1) or down (-1) with an optional reason; negative feedback feeds review."""
    if value not in (1, -1):
        raise ValueError("feedback must be +1 or -1")
    exchange.feedback = value
    exchange.feedback_reason = reason.strip()[:2000]
    exchange.save(update_fields=["feedback", "feedback_reason"])
    return exchange
