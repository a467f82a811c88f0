"""The answering pipeline of one exchange: retrieve, then refuse, quote or generate, verify, and
record the answer, its path, citations and metrics. Called by assistant.chat.services, which owns
the exchange: answer() yields the stream's events and returns the status the exchange ends with;
it never finishes (saves, audits, caches) the exchange itself.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from assistant.chat.admission import generation_queue
from assistant.chat.events import REFUSAL, AnswerEvent, elapsed_ms
from assistant.chat.models import Citation, Exchange
from assistant.chat.prompting import (
    BuiltPrompt,
    Source,
    Turn,
    build_prompt,
    cited_numbers,
    drop_invalid_citations,
)
from assistant.chat.retrieval import Passage, retrieve

SNIPPET_CHARS = 1200
# How an answer ends: the status the owner of the exchange finishes it with.
Status = Exchange.Status
Answering = Generator[AnswerEvent, None, str]

if TYPE_CHECKING:
    from assistant.backends.llm import LLM
    from assistant.chat.grounding.gate import SentenceGate
    from assistant.chat.routing.config import RouteConfig


def answer(exchange: Exchange, started: float, stopped: Callable[[], bool]) -> Answering:
    """Answer a claimed exchange: yields "queued" and "token" events, and returns the status it
    ends with (DONE, REFUSED or CANCELLED). Errors propagate to the owner of the exchange."""
    language = exchange.language
    collection_ids = list(exchange.searched_collections.values_list("id", flat=True))
    # A follow-up is retrieved by its standalone form (assistant.chat.followup).
    result = retrieve(
        user=exchange.user, question=exchange.retrieval_query or exchange.question,
        collection_ids=collection_ids or [-1], language=language,
    )  # fmt: skip
    exchange.retrieval_ms = result.retrieval_ms
    if result.rerank_ms is not None:
        exchange.metrics = {**exchange.metrics, "rerank_ms": result.rerank_ms}
    exchange.max_score = result.max_score
    scores = [p.score for p in result.passages]
    if not result.passages:
        return _refuse(exchange, scores)
    mode = exchange.metrics.get("answer_mode", "auto")
    if exchange.metrics.get("planned_path") == Exchange.AnswerPath.QUOTE:
        # No model involved: nothing leaves the process, nothing waits for the generation slot.
        return _answer_with_quotes(exchange, started, result.passages)
    return (yield from _generate(exchange, started, stopped, result.passages, mode))


def _generate(
    exchange: Exchange,
    started: float,
    stopped: Callable[[], bool],
    retrieved: list[Passage],
    mode: str,
) -> Answering:
    """Generate down the exchange's route chain (assistant.chat.routing): the first route whose
    first token arrives answers; a route that is down, times out or rate limits us before that
    hands over to the next. Without any usable route the answer is made of quotations (auto and
    quote modes) or the exchange fails (generated mode)."""
    from django.utils.translation import gettext as _

    from assistant.backends.llm import LLMError, LLMUnavailable
    from assistant.chat import grounded
    from assistant.chat.routing.chain import RouteRun

    language = exchange.language
    scores = [p.score for p in retrieved]
    earlier = list(
        exchange.conversation.exchanges.filter(
            status=Exchange.Status.DONE, created_at__lt=exchange.created_at
        ).order_by("-created_at")[:3]
    )[::-1]
    # What would leave with the prompt: these passages, and the earlier turns (whose answers
    # came from their own passages).
    sent_collections = {p.collection_id for p in retrieved} | set(
        Citation.objects.filter(exchange__in=earlier).values_list(
            "collection_id_at_answer", flat=True
        )
    )
    run = RouteRun.start(exchange, sent_collections)
    if not run.chain:
        reason = _("Quoted from the documents: no model may receive this data.")
        return _answer_with_quotes(exchange, started, retrieved, reason=reason)
    key = str(exchange.public_id)
    for position in generation_queue.wait_turn(key, should_stop=stopped):
        yield AnswerEvent("queued", str(position))
    attempt: _Attempt | None = None
    pieces: list[str] = []
    gate: SentenceGate | None = None
    try:
        for route in run.candidates():
            candidate = _prepare_attempt(exchange, route, retrieved, earlier)
            begun = time.perf_counter()
            stream = candidate.llm.stream(
                candidate.prompt.text,
                max_tokens=settings.RAG_MAX_ANSWER_TOKENS,
                stop=candidate.prompt.stop,
                should_stop=stopped,
            )
            try:
                first = next(stream, None)
            except LLMError as exc:
                run.failed(route, candidate.llm, exc, begun)
                if not isinstance(exc, LLMUnavailable):
                    raise
                exchange.citations.all().delete()  # the next route numbers its own sources
                continue
            run.answering(route, candidate.llm, begun)
            attempt = candidate
            # The reader sees generated text only sentence by sentence, once each is checked;
            # exchange.answer holds what was shown (a cancelled or failed answer keeps only that).
            gate = _gate(exchange, candidate, mode)
            try:
                for piece in itertools.chain([first] if first else [], stream):
                    if not pieces:
                        exchange.ttft_ms = elapsed_ms(started)
                        yield AnswerEvent("checking")
                    pieces.append(piece)
                    yield from _show(exchange, gate, gate.feed(piece), started)
                yield from _show(exchange, gate, gate.close(), started)
            except LLMError as exc:  # text already reached the user: no fallback now
                run.failed(route, candidate.llm, exc, begun)
                raise
            run.finished(begun)
            busy_seconds = time.perf_counter() - begun
            break
    finally:
        generation_queue.finish(key)
    if attempt is None:
        if mode == "generated":
            raise run.last_error or LLMUnavailable("no model route is available")
        reason = _("Quoted from the documents: no model is reachable right now.")
        return _answer_with_quotes(exchange, started, retrieved, reason=reason)
    from assistant.chat.routing.backends import record_usage_and_cost

    prompt, masker = attempt.prompt, attempt.masker
    raw = "".join(pieces).strip()
    answer, invalid = drop_invalid_citations(raw, {s.number for s in prompt.sources})
    exchange.invalid_citation = invalid
    record_usage_and_cost(exchange, attempt.route, attempt.llm, raw, busy_seconds)
    if stopped():
        _mark_cited(exchange)
        return Status.CANCELLED
    assert gate is not None
    passages = grounded.as_passages(prompt.sources)
    text, verification, withheld = grounded.verify_generated(masker(answer), gate.verifier)
    path, reason = grounded.after_generation(mode, language, verification, withheld=bool(withheld))
    if withheld:
        exchange.metrics = {**exchange.metrics, **grounded.injection_metrics(withheld, prompt)}
    if path == Exchange.AnswerPath.QUOTE:
        asked = attempt.masker(exchange.retrieval_query) if exchange.retrieval_query else None
        quote = grounded.quoted(asked or attempt.question, passages, language)
        if quote is None:
            exchange.citations.all().delete()
            return _refuse(exchange, scores)
        text, verification = quote
    exchange.metrics = {**exchange.metrics, "path_reason": reason}
    _record(exchange, text, verification, path, scores)
    if withheld and path != Exchange.AnswerPath.QUOTE:
        exchange.answer = grounded.with_withheld_note(exchange.answer, len(withheld), language)
    return Status.DONE


def _gate(exchange: Exchange, attempt: _Attempt, mode: str) -> SentenceGate:
    from assistant.chat import grounded

    valid = {s.number for s in attempt.prompt.sources}

    def present(sentence: str) -> str:
        return attempt.masker(drop_invalid_citations(sentence, valid)[0])

    verifier = grounded.answer_verifier(
        grounded.as_passages(attempt.prompt.sources), exchange.language
    )
    return grounded.sentence_gate(verifier, mode, present)


def _show(
    exchange: Exchange, gate: SentenceGate, released: list[str], started: float
) -> Generator[AnswerEvent, None, None]:
    for text in released:
        if "first_shown_ms" not in exchange.metrics:
            exchange.metrics = {**exchange.metrics, "first_shown_ms": elapsed_ms(started)}
        exchange.answer = gate.shown
        yield AnswerEvent("token", text)


@dataclass
class _Attempt:
    route: RouteConfig
    llm: LLM
    masker: Callable[[str], str]
    question: str  # as sent (masked for a non-local route)
    prompt: BuiltPrompt


def _prepare_attempt(
    exchange: Exchange, route: RouteConfig, retrieved: list[Passage], earlier: list[Exchange]
) -> _Attempt:
    """The prompt for one route: masked when the route is not local (or a collection asks for
    it), fitted with the route's tokenizer and context; its citations saved."""
    from assistant.chat import grounded
    from assistant.chat.routing.backends import llm_for

    llm = llm_for(route)
    exchange.metrics = {k: v for k, v in exchange.metrics.items() if k != "mask_everywhere"}
    masker = _masker(exchange, llm_is_local=route.local)
    history = [Turn(masker(e.question), masker(e.answer)) for e in earlier]
    question = masker(exchange.question)
    sources = [
        grounded.source_for(i + 1, p, masker, exchange.language) for i, p in enumerate(retrieved)
    ]
    fitted, budget = grounded.fit_sources(
        sources, tokenizer=llm, question=question, language=exchange.language
    )
    kept = [retrieved[i] for i in fitted]
    sources = [sources[i] for i in fitted]
    exchange.metrics = {**exchange.metrics, "prompt_budget": budget}
    prompt = build_prompt(
        question=question,
        language=exchange.language,
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
    _save_citations(exchange, kept[: len(prompt.sources)], prompt.sources)
    exchange.save()
    return _Attempt(route, llm, masker, question, prompt)


def _answer_with_quotes(
    exchange: Exchange, started: float, retrieved: list[Passage], *, reason: str = ""
) -> str:
    """Quotations from the passages, or a refusal when none answers. No model involved: nothing
    leaves the process. Recorded as route "quote", costing the machine's busy time."""
    from assistant.chat import grounded
    from assistant.kpi.costing import self_hosted_cost

    scores = [p.score for p in retrieved]
    exchange.citations.all().delete()
    masker = _masker(exchange, llm_is_local=True)
    sources = [
        grounded.source_for(i + 1, p, masker, exchange.language) for i, p in enumerate(retrieved)
    ]
    passages = grounded.as_passages(sources)
    asked = exchange.retrieval_query or exchange.question  # a follow-up's standalone form
    quote = grounded.quoted(masker(asked), passages, exchange.language)
    if quote is None:
        return _refuse(exchange, scores)
    exchange.ttft_ms = elapsed_ms(started)
    exchange.route = "quote"
    exchange.estimated_cost = self_hosted_cost(time.perf_counter() - started)
    if reason:
        exchange.metrics = {**exchange.metrics, "path_reason": reason}
    _save_citations(exchange, retrieved, sources)
    _record(exchange, quote[0], quote[1], Exchange.AnswerPath.QUOTE, scores)
    return Status.DONE


def _record(
    exchange: Exchange, answer: str, verification: Any, path: str, scores: list[float]
) -> None:
    """Set the final answer, its path, verification and metrics (before the exchange's owner
    finishes and audits it)."""
    from assistant.chat import grounded

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


def _refuse(exchange: Exchange, scores: list[float]) -> str:
    from assistant.chat import grounded

    exchange.answer = REFUSAL.get(exchange.language, REFUSAL["en"])
    exchange.refused = True
    exchange.answer_path = Exchange.AnswerPath.REFUSAL
    exchange.metrics = {
        **exchange.metrics,
        **grounded.metrics_for(
            verification=None, path="refused", reason="", refused=True, scores=scores
        ),
    }
    return Status.REFUSED


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
