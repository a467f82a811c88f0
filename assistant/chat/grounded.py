"""Grounding glue for the chat service: which path answers (generated or quotations), how many
passages fit the time-to-first-token budget, and the verification and metrics of an answer.

The pure logic lives in assistant.chat.grounding; this module adds what needs settings, the model
registry and the database (collection defaults), so assistant.chat.services stays one readable path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings

from assistant.chat.grounding import (
    Passage,
    Verification,
    choose_path,
    exchange_metrics,
    quote_answer,
    ttft_passage_budget,
    verify_answer,
)
from assistant.chat.grounding.metrics import verification_to_dict
from assistant.chat.grounding.paths import MODES, PATH_GENERATED, PATH_QUOTE
from assistant.chat.grounding.verify import add_missing_citations
from assistant.chat.prompting import Source, Tokenizer, build_prompt, system_prefix

# Most restrictive first: when several searched collections disagree, the strictest one wins.
_RESTRICTIVENESS = (PATH_QUOTE, "auto", PATH_GENERATED)


def resolve_mode(requested: str | None, collection_ids: Iterable[int]) -> str:
    """The answer mode of a question: the request's when given, else the most restrictive default
    of the searched collections (quote > auto > generated), else auto. Raises ValueError for an
    unknown requested mode."""
    if requested:
        if requested not in MODES:
            raise ValueError(requested)
        return requested
    from ingestion.models import Collection

    defaults = set(
        Collection.objects.filter(pk__in=list(collection_ids)).values_list("answer_mode", flat=True)
    )
    for mode in _RESTRICTIVENESS:
        if mode in defaults:
            return mode
    return "auto"


def model_languages(lang: str) -> tuple[str, ...]:
    """Languages the configured model answers usefully in. A model without language claims
    (a GGUF missing from the registry, an OpenAI-compatible server) is not *known* to be weak,
    so it gets the question's language; verification still guards its answers."""
    if settings.RAG_LLM_BACKEND == "llamacpp":
        from assistant.backends.model_registry import current_model_spec

        languages = current_model_spec().languages  # no model load just to read its spec
    else:
        from assistant.backends.llm_factory import get_llm

        languages = get_llm().spec.languages
    return tuple(languages) or (lang,)


def plan_path(mode: str, lang: str, *, queue_full: bool = False) -> tuple[str, str]:
    """The path decided before generating (see assistant.chat.grounding.paths.choose_path)."""
    return choose_path(
        mode,
        model_languages=model_languages(lang),
        lang=lang,
        verification=None,
        queue_full=queue_full,
    )


def fit_sources(
    sources: Sequence[Source], *, tokenizer: Tokenizer, question: str, language: str
) -> tuple[list[int], dict[str, Any]]:
    """Indexes of the sources that fit the TTFT budget (relevance order, duplicates skipped) and
    a summary of the budget for the exchange's metrics."""
    overhead = build_prompt(
        question=question,
        language=language,
        sources=[],
        history=[],
        tokenizer=tokenizer,
        context_length=10**9,
        max_answer_tokens=0,
    ).token_count
    cached = tokenizer.count_tokens(system_prefix(language))
    budget = ttft_passage_budget(
        [(index, tokenizer.count_tokens(s.text)) for index, s in enumerate(sources)],
        overhead_tokens=overhead,
        cached_prefix_tokens=cached,
        prompt_rate_tps=150.0 * settings.RAG_LLM_BATCH_THREADS,
    )
    summary = {
        "passages": budget.count,
        "retrieved": len(sources),
        "skipped_duplicates": budget.skipped_duplicates,
        "prompt_tokens": budget.prompt_tokens,
        "estimated_ttft_s": budget.estimated_ttft_s,
        "over_budget": budget.over_budget,
    }
    return sorted(budget.passages), summary


def as_passages(sources: Sequence[Source]) -> list[Passage]:
    return [Passage(s.number, s.text, s.title, s.page) for s in sources]


def verify_generated(answer: str, passages: Sequence[Passage], lang: str) -> tuple[str, Any]:
    """(answer with citations added where a sentence copies a source but forgot its [n],
    its verification)."""
    verification = verify_answer(answer, passages, lang=lang)
    repaired = add_missing_citations(answer, verification)
    if repaired != answer:
        verification = verify_answer(repaired, passages, lang=lang)
    return repaired, verification


def after_generation(mode: str, lang: str, verification: Verification) -> tuple[str, str]:
    """Keep the generated answer or switch to quotations (auto mode only)."""
    if mode != "auto":
        return choose_path(
            mode, model_languages=(lang,), lang=lang, verification=None, queue_full=False
        )
    return choose_path(
        "auto",
        model_languages=model_languages(lang),
        lang=lang,
        verification=verification,
        queue_full=False,
    )


def quoted(question: str, passages: Sequence[Passage], lang: str) -> tuple[str, Any] | None:
    """(quotation answer, its verification), or None when no passage sentence answers."""
    answer = quote_answer(question, passages, lang=lang)
    if not answer.found:
        return None
    return answer.text, verify_answer(answer.text, passages, lang=lang)


def metrics_for(
    *,
    verification: Verification | None,
    path: str,
    reason: str,
    refused: bool,
    scores: Sequence[float],
) -> dict[str, Any]:
    """What is stored in Exchange.metrics (merged over what is already there)."""
    metrics = exchange_metrics(
        verification, path=str(path), refused=refused, retrieval_scores=list(scores)
    )
    metrics["path_reason"] = str(reason)
    metrics["verification"] = (
        verification_to_dict(verification) if verification is not None and not refused else None
    )
    return metrics


def verification_summary(metrics: dict[str, Any]) -> dict[str, Any] | None:
    """The short form `ask --json` prints."""
    if not metrics.get("sentences"):
        return None
    statuses = [s["status"] for s in (metrics.get("verification") or {}).get("sentences", [])]
    return {
        "sentences": metrics["sentences"],
        "supported": statuses.count("supported"),
        "weak": statuses.count("weak"),
        "unsupported": statuses.count("unsupported"),
        "supported_share": metrics.get("supported_share"),
        "citation_coverage": metrics.get("citation_coverage"),
        "groundedness": metrics.get("groundedness"),
        "unsupported_numbers": metrics.get("unsupported_numbers", []),
    }
