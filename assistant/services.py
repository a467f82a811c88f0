"""Chat services: the one path every question takes, from the web view and from `manage.py ask`.

create_exchange() validates and admits a question (rate limit, bounded queue) and records it;
stream_answer() retrieves, refuses or generates, records citations, timings and the prompt hash,
and calls the audit hook once the exchange ends (done, refused, cancelled or error).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from assistant.admission import Cancelled, check_rate_limit, generation_queue
from assistant.models import Citation, Conversation, Exchange
from assistant.prompting import Source, Turn, build_prompt, cited_numbers, drop_invalid_citations
from assistant.retrieval import Passage, retrieve, searchable_collection_ids

logger = logging.getLogger(__name__)

REFUSAL = {
    "en": "I couldn't find this in the documents you can access.",
    "fr": "Je n'ai pas trouvé cette information dans les documents auxquels vous avez accès.",
}
GENERATION_FAILED = {
    "en": "The assistant could not produce an answer. Please try again in a moment.",
    "fr": "L'assistant n'a pas pu produire de réponse. Veuillez réessayer dans un instant.",
}
SNIPPET_CHARS = 1200


class QuestionInvalid(ValueError):
    """The question is empty or too long; the message is shown to the user."""


@dataclass(frozen=True)
class AnswerEvent:
    kind: str  # "queued" (text = position), "token", "done", "error"
    text: str = ""


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
) -> Exchange:
    """Validate, rate-limit and admit a question, then record it as a PENDING exchange.

    Raises QuestionInvalid, RateLimited (caller answers 429) or QueueFull (503). Requested
    collection ids the user may not read are dropped; None or empty means all readable ones.
    """
    from assistant.language import detect_language

    cleaned = validate_question(question)
    check_rate_limit(user.pk)
    public_id = uuid.uuid4()
    generation_queue.admit(str(public_id))
    try:
        searched = searchable_collection_ids(user, collection_ids)
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
                language=detect_language(cleaned),
            )
            exchange.searched_collections.set(searched)
            conversation.save(update_fields=["updated_at"])
    except BaseException:
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
        _finish(exchange, time.perf_counter(), Exchange.Status.CANCELLED)


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

    def stopped() -> bool:
        return bool(cache.get(cancel_key(exchange))) or bool(should_stop and should_stop())

    try:
        yield from _answer(exchange, started, stopped)
    except GeneratorExit:  # the client went away: record what we have
        _finish(exchange, started, Exchange.Status.CANCELLED)
        raise
    except Cancelled:
        _finish(exchange, started, Exchange.Status.CANCELLED)
        yield AnswerEvent("done")
    except Exception as exc:
        logger.exception("exchange %s failed", exchange.public_id)
        exchange.error_message = f"{type(exc).__name__}: {exc}"[:2000]
        if not exchange.answer:
            exchange.answer = GENERATION_FAILED.get(exchange.language, GENERATION_FAILED["en"])
        _finish(exchange, started, Exchange.Status.ERROR)
        yield AnswerEvent("error", exchange.answer)
    finally:
        generation_queue.release(key)


def _answer(
    exchange: Exchange, started: float, stopped: Callable[[], bool]
) -> Iterator[AnswerEvent]:
    from assistant.backends.llm import get_llm

    language = exchange.language
    collection_ids = list(exchange.searched_collections.values_list("id", flat=True))
    result = retrieve(
        user=exchange.user, question=exchange.question, collection_ids=collection_ids or [-1],
        language=language,
    )  # fmt: skip
    exchange.retrieval_ms = result.retrieval_ms
    exchange.max_score = result.max_score
    if not result.passages:
        exchange.answer = REFUSAL.get(language, REFUSAL["en"])
        exchange.refused = True
        exchange.answer_path = Exchange.AnswerPath.REFUSAL
        _finish(exchange, started, Exchange.Status.REFUSED)
        yield AnswerEvent("done")
        return
    llm = get_llm()
    masker = _masker(exchange, llm_is_local=llm.is_local)
    history = [
        Turn(masker(e.question), masker(e.answer))
        for e in exchange.conversation.exchanges.filter(
            status=Exchange.Status.DONE, created_at__lt=exchange.created_at
        ).order_by("-created_at")[:3][::-1]
    ]
    sources = [
        Source(i + 1, p.document_title, p.page, masker(p.text))
        for i, p in enumerate(result.passages)
    ]
    prompt = build_prompt(
        question=masker(exchange.question),
        language=language,
        sources=sources,
        history=history,
        tokenizer=llm,
        context_length=llm.spec.context_length,
        max_answer_tokens=settings.RAG_MAX_ANSWER_TOKENS,
    )
    exchange.model_id = llm.model_id
    exchange.model_sha256 = llm.model_sha256
    exchange.prompt_sha256 = prompt.sha256
    exchange.prompt_tokens = prompt.token_count
    _save_citations(exchange, result.passages[: len(prompt.sources)], prompt.sources)
    exchange.save()
    key = str(exchange.public_id)
    for position in generation_queue.wait_turn(key, should_stop=stopped):
        yield AnswerEvent("queued", str(position))
    pieces: list[str] = []
    try:
        for piece in llm.stream(
            prompt.text,
            max_tokens=settings.RAG_MAX_ANSWER_TOKENS,
            stop=prompt.stop,
            should_stop=stopped,
        ):
            if not pieces:
                exchange.ttft_ms = _ms(started)
            pieces.append(piece)
            exchange.answer = "".join(pieces)
            yield AnswerEvent("token", piece)
    finally:
        generation_queue.finish(key)
    raw = "".join(pieces).strip()
    answer, invalid = drop_invalid_citations(raw, {s.number for s in prompt.sources})
    exchange.answer = masker(answer)
    exchange.invalid_citation = invalid
    exchange.completion_tokens = llm.count_tokens(raw) if raw else 0
    cited = set(cited_numbers(answer))
    exchange.citations.filter(number__in=cited).update(cited_in_answer=True)
    status = Exchange.Status.CANCELLED if stopped() else Exchange.Status.DONE
    _finish(exchange, started, status)
    yield AnswerEvent("done")


def _masker(exchange: Exchange, *, llm_is_local: bool) -> Callable[[str], str]:
    """Identity, or a redactor with one placeholder map for the whole exchange when a searched
    collection (or a non-local model) requires mask_everywhere."""
    try:
        from privacy.policy import must_mask_everywhere
    except ModuleNotFoundError as exc:  # privacy app not installed yet
        if exc.name not in ("privacy.policy", "privacy"):
            raise
        return lambda text: text
    if not must_mask_everywhere(exchange.searched_collections.all(), llm_is_local=llm_is_local):
        return lambda text: text
    from privacy.redaction import PlaceholderMap, get_redactor

    redactor = get_redactor()
    placeholders = PlaceholderMap()
    language = exchange.language

    def mask(text: str) -> str:
        if not text:
            return text
        return str(redactor.redact(text, language=language, placeholders=placeholders).text)

    exchange.metrics = {**exchange.metrics, "mask_everywhere": True}
    return mask


def _save_citations(exchange: Exchange, passages: list[Passage], sources: list[Source]) -> None:
    Citation.objects.bulk_create(
        Citation(
            exchange=exchange,
            number=source.number,
            collection_id_at_answer=passage.collection_id,
            document_id_at_answer=passage.document_id,
            document_version=passage.document_version,
            document_title=passage.document_title[:300],
            chunk_id_at_answer=passage.chunk_id,
            point_id=passage.point_id,
            page=passage.page,
            score=round(passage.score, 4),
            snippet=source.text[:SNIPPET_CHARS],
        )
        for passage, source in zip(passages, sources, strict=True)
    )


def _finish(exchange: Exchange, started: float, status: str) -> None:
    exchange.status = status
    exchange.total_ms = _ms(started)
    exchange.finished_at = timezone.now()
    exchange.save()
    _audit(exchange)


def _audit(exchange: Exchange) -> None:
    try:
        from privacy.services import audit_exchange
    except ModuleNotFoundError as exc:
        if exc.name not in ("privacy.services", "privacy"):
            raise
        logger.warning("privacy.services missing: exchange %s not audited", exchange.public_id)
        return
    audit_exchange(exchange)


def answer_question(
    *,
    user: AbstractBaseUser,
    question: str,
    collection_ids: Iterable[int] | None = None,
    conversation: Conversation | None = None,
) -> Exchange:
    """Ask and wait for the whole answer (the `ask` command, tests). Same rules as the web."""
    exchange = create_exchange(
        user=user, question=question, collection_ids=collection_ids, conversation=conversation
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


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
