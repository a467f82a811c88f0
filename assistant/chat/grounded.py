"""Grounding glue for the chat service: which path answers (generated or quotations), how many
passages fit the time-to-first-token budget, and the verification and metrics of an answer.

The pure logic lives in assistant.chat.grounding; this module adds what needs settings, the model
registry and the database (collection defaults), so assistant.chat.services stays one readable path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

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
from assistant.chat.grounding.gate import SentenceGate
from assistant.chat.grounding.injection import remove_instructions, without_spans
from assistant.chat.grounding.metrics import verification_to_dict
from assistant.chat.grounding.paths import MODES, PATH_GENERATED, PATH_QUOTE
from assistant.chat.grounding.sentences import split_sentences
from assistant.chat.grounding.verify import AnswerVerifier, add_missing_citations
from assistant.chat.prompting import BuiltPrompt, Source, Tokenizer, build_prompt, system_prefix

if TYPE_CHECKING:
    from assistant.chat.retrieval import Passage as RetrievedPassage

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


def source_for(
    number: int, passage: RetrievedPassage, masker: Callable[[str], str], language: str
) -> Source:
    """A retrieved passage as the prompt, the quotations, the verification and the source panel
    see it: when it is flagged, without its instructions (assistant.chat.grounding.injection)
    and marked untrusted."""
    text = passage.text
    removed: tuple[str, ...] = ()
    if passage.flagged:
        screened = remove_instructions(text, language, trusted_hosts=settings.RAG_TRUSTED_HOSTS)
        text, removed = screened.text, screened.removed
    return Source(
        number,
        passage.document_title,
        passage.page,
        masker(text),
        untrusted=passage.flagged,
        removed=tuple(masker(sentence) for sentence in removed),
    )


def as_passages(sources: Sequence[Source]) -> list[Passage]:
    return [
        Passage(s.number, s.text, s.title, s.page, flagged=s.untrusted, removed=s.removed)
        for s in sources
    ]


def answer_verifier(passages: Sequence[Passage], lang: str) -> AnswerVerifier:
    return AnswerVerifier(passages, lang=lang)


def sentence_gate(
    verifier: AnswerVerifier, mode: str, present: Callable[[str], str]
) -> SentenceGate:
    """The gate a generated answer streams through: auto mode shows a sentence as it streams only
    when it is supported (auto may still switch to quotations), generated mode when it is at
    least weakly backed; the others wait for the final answer."""
    shown = {"supported"} if mode == "auto" else {"supported", "weak"}
    return SentenceGate(verifier, frozenset(shown), present)


def verify_generated(
    answer: str, verifier: AnswerVerifier
) -> tuple[str, Any, list[dict[str, Any]]]:
    """(the answer without its withheld sentences, with citations added where a sentence copies
    a source but forgot its [n]; its verification; the withheld sentences with their reasons)."""
    withheld = []
    for span in split_sentences(answer, verifier.lang):
        reasons = verifier.withheld(span.text)
        if reasons:
            withheld.append((span, reasons))
    shown = without_spans(answer, [span for span, _ in withheld]) if withheld else answer
    verification = verifier.verify(shown)
    repaired = add_missing_citations(shown, verification)
    if repaired != shown:
        verification = verifier.verify(repaired)
    return repaired, verification, [{"text": s.text, "reasons": r} for s, r in withheld]


def after_generation(
    mode: str, lang: str, verification: Verification, *, withheld: bool = False
) -> tuple[str, str]:
    """Keep the generated answer or switch to quotations (auto mode only, and always when a
    sentence had to be withheld: the model may have followed a document's instructions)."""
    if mode == "auto" and withheld:
        from django.utils.translation import gettext as _

        return PATH_QUOTE, _(
            "Quoted from the documents: the generated answer contained instructions, a request "
            "for credentials or a link that no trusted source gives."
        )
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


def injection_metrics(withheld: list[dict[str, Any]], prompt: BuiltPrompt) -> dict[str, Any]:
    """What Exchange.metrics records of withheld sentences (the review queue reads it; the audit
    redacts it like every metric)."""
    return {
        "injection": {
            "withheld": withheld,
            "untrusted_sources": [s.number for s in prompt.sources if s.untrusted],
        }
    }


def with_withheld_note(answer: str, count: int, language: str) -> str:
    """`answer` followed by a note, in the answer's language, saying that sentences were withheld
    (appended after verification: the note is ours, not a claim to check)."""
    from django.utils import translation
    from django.utils.translation import ngettext

    with translation.override(language):
        note = ngettext(
            "⚠ %(count)d sentence of the generated answer was withheld: it gave instructions, "
            "asked for credentials or contained a link or contact detail that no trusted source "
            "gives.",
            "⚠ %(count)d sentences of the generated answer were withheld: they gave instructions, "
            "asked for credentials or contained links or contact details that no trusted source "
            "gives.",
            count,
        ) % {"count": count}
    return f"{answer}\n\n*{note}*" if answer else f"*{note}*"


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
