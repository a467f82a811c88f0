"""The answering pipeline of one exchange: retrieve, then refuse, quote or generate, verify, and
record the answer, its path, citations and metrics. Called by assistant.services.stream_answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

from assistant.admission import generation_queue
from assistant.models import Citation, Exchange
from assistant.prompting import Source, Turn, build_prompt, cited_numbers, drop_invalid_citations
from assistant.retrieval import Passage, retrieve
from assistant.services import REFUSAL, SNIPPET_CHARS, AnswerEvent, _finish, _ms


def answer(
    exchange: Exchange, started: float, stopped: Callable[[], bool]
) -> Iterator[AnswerEvent]:
    from assistant import grounded

    language = exchange.language
    collection_ids = list(exchange.searched_collections.values_list("id", flat=True))
    result = retrieve(
        user=exchange.user, question=exchange.question, collection_ids=collection_ids or [-1],
        language=language,
    )  # fmt: skip
    exchange.retrieval_ms = result.retrieval_ms
    exchange.max_score = result.max_score
    scores = [p.score for p in result.passages]
    if not result.passages:
        _refuse(exchange, started, scores)
        yield AnswerEvent("done")
        return
    mode = exchange.metrics.get("answer_mode", "auto")
    if exchange.metrics.get("planned_path") == Exchange.AnswerPath.QUOTE:
        # No model involved: nothing leaves the process, nothing waits for the generation slot.
        masker = _masker(exchange, llm_is_local=True)
        sources = [
            Source(i + 1, p.document_title, p.page, masker(p.text))
            for i, p in enumerate(result.passages)
        ]
        passages = grounded.as_passages(sources)
        quote = grounded.quoted(masker(exchange.question), passages, language)
        if quote is None:
            _refuse(exchange, started, scores)
            yield AnswerEvent("done")
            return
        exchange.ttft_ms = _ms(started)
        _save_citations(exchange, result.passages, sources)
        _record(exchange, quote[0], quote[1], Exchange.AnswerPath.QUOTE, scores)
        _finish(exchange, started, Exchange.Status.DONE)
        yield AnswerEvent("done")
        return
    yield from _generate(exchange, started, stopped, result.passages, mode)


def _generate(
    exchange: Exchange,
    started: float,
    stopped: Callable[[], bool],
    retrieved: list[Passage],
    mode: str,
) -> Iterator[AnswerEvent]:
    from assistant import grounded
    from assistant.backends.llm import get_llm

    language = exchange.language
    scores = [p.score for p in retrieved]
    llm = get_llm()
    masker = _masker(exchange, llm_is_local=llm.is_local)
    history = [
        Turn(masker(e.question), masker(e.answer))
        for e in exchange.conversation.exchanges.filter(
            status=Exchange.Status.DONE, created_at__lt=exchange.created_at
        ).order_by("-created_at")[:3][::-1]
    ]
    question = masker(exchange.question)
    sources = [
        Source(i + 1, p.document_title, p.page, masker(p.text)) for i, p in enumerate(retrieved)
    ]
    fitted, budget = grounded.fit_sources(
        sources, tokenizer=llm, question=question, language=language
    )
    retrieved = [retrieved[i] for i in fitted]
    sources = [sources[i] for i in fitted]
    exchange.metrics = {**exchange.metrics, "prompt_budget": budget}
    prompt = build_prompt(
        question=question,
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
    _save_citations(exchange, retrieved[: len(prompt.sources)], prompt.sources)
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
    if stopped():
        _mark_cited(exchange)
        _finish(exchange, started, Exchange.Status.CANCELLED)
        yield AnswerEvent("done")
        return
    passages = grounded.as_passages(prompt.sources)
    text, verification = grounded.verify_generated(exchange.answer, passages, language)
    path, reason = grounded.after_generation(mode, language, verification)
    if path == Exchange.AnswerPath.QUOTE:
        quote = grounded.quoted(question, passages, language)
        if quote is None:
            exchange.citations.all().delete()
            _refuse(exchange, started, scores)
            yield AnswerEvent("done")
            return
        text, verification = quote
    exchange.metrics = {**exchange.metrics, "path_reason": reason}
    _record(exchange, text, verification, path, scores)
    _finish(exchange, started, Exchange.Status.DONE)
    yield AnswerEvent("done")


def _record(
    exchange: Exchange, answer: str, verification: Any, path: str, scores: list[float]
) -> None:
    """Set the final answer, its path, verification and metrics (before _finish audits it)."""
    from assistant import grounded

    exchange.answer = answer
    exchange.answer_path = path
    reason = exchange.metrics.get("path_reason", "")
    exchange.metrics = {
        **exchange.metrics,
        **grounded.metrics_for(
            verification=verification, path=path, reason=reason, refused=False, scores=scores
        ),
    }
    _mark_cited(exchange)


def _mark_cited(exchange: Exchange) -> None:
    cited = set(cited_numbers(exchange.answer))
    exchange.citations.update(cited_in_answer=False)
    exchange.citations.filter(number__in=cited).update(cited_in_answer=True)


def _refuse(exchange: Exchange, started: float, scores: list[float]) -> None:
    from assistant import grounded

    exchange.answer = REFUSAL.get(exchange.language, REFUSAL["en"])
    exchange.refused = True
    exchange.answer_path = Exchange.AnswerPath.REFUSAL
    exchange.metrics = {
        **exchange.metrics,
        **grounded.metrics_for(
            verification=None, path="refused", reason="", refused=True, scores=scores
        ),
    }
    _finish(exchange, started, Exchange.Status.REFUSED)


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
