"""Answer-level evaluation of the answer paths on the generated set (grounding_set.py).

For each path (quote; generated and auto given a generate(question, passages) -> str callable):

- answer_recall: answerable questions whose answer contains every expected keyword (numbers and
  dates compared in normalised form, names without case or accents) and is not a refusal;
- keyword_recall: expected keywords found, over all answerable questions;
- supported_share: supported sentences / checked sentences, pooled over all non-refused answers
  (the issue's target: >= 0.90 for auto mode with the default model);
- refusal_accuracy: unanswerable questions answered with a refusal; false_refusals: answerable
  questions refused;
- answering_quotes: quoted sentences that contain every expected keyword of their (answerable)
  question, over all quoted sentences of answerable questions (issue 14's target: >= 0.8); a
  quoted neighbouring rule ("requests must be filed two weeks ahead" quoted for "how many days
  of leave?") counts against it;
- latency p50/p95 of producing the answer (seconds; verification is reported separately).

Run it with `python manage.py evaluate grounding`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.chat.grounding.facts import extract_facts, fold, passage_keys
from assistant.chat.grounding.metrics import is_refusal
from assistant.chat.grounding.paths import PATH_QUOTE, choose_path
from assistant.chat.grounding.quotes import quotations, quote_answer
from assistant.chat.grounding.verify import (
    Passage,
    Verification,
    add_missing_citations,
    verify_answer,
)
from assistant.evaluation.grounding_set import EvalItem, build_eval_set
from assistant.evaluation.metrics import nearest_rank

Generate = Callable[[str, list[Passage]], str]


@dataclass
class Outcome:
    item: EvalItem
    answer: str
    path: str
    refused: bool
    keywords_found: int
    seconds: float
    verification: Verification | None = None
    verify_seconds: float = 0.0


@dataclass
class PathReport:
    path: str
    lang: str
    questions: int = 0
    answer_recall: float = 0.0
    keyword_recall: float = 0.0
    supported_share: float = 0.0
    sentences: int = 0
    refusal_accuracy: float = 0.0
    false_refusals: float = 0.0
    answering_quotes: float = 0.0
    quoted_sentences: int = 0
    latency_p50_s: float = 0.0
    latency_p95_s: float = 0.0
    verify_p50_s: float = 0.0
    paths: dict[str, int] = field(default_factory=dict)


def keyword_found(answer: str, keyword: str) -> bool:
    """Whether `keyword` (a number, date, amount or name) appears in `answer`."""
    facts = [f for f in extract_facts(f"x {keyword}") if f.kind in ("number", "date")]
    if facts:
        keys = passage_keys(answer)
        return all(f.keys & keys for f in facts)
    return fold(keyword) in fold(answer)


def quote_path(embedder: Any) -> Callable[[EvalItem], tuple[str, str]]:
    def answer(item: EvalItem) -> tuple[str, str]:
        quote = quote_answer(item.question, item.passages, lang=item.lang, embedder=embedder)
        return quote.text, PATH_QUOTE if quote.found else "refused"

    return answer


def generated_path(generate: Generate) -> Callable[[EvalItem], tuple[str, str]]:
    def answer(item: EvalItem) -> tuple[str, str]:
        return generate(item.question, item.passages), "generated"

    return answer


def auto_path(
    generate: Generate,
    *,
    model_languages: Sequence[str],
    embedder: Any,
    repair_citations: bool = True,
) -> Callable[[EvalItem], tuple[str, str]]:
    """Auto mode as the chat service runs it: decide, generate, verify (adding the citations a
    backed sentence forgot, then verifying again), and fall back to quotes when too little holds.
    """

    def answer(item: EvalItem) -> tuple[str, str]:
        def decide(verification: Verification | None) -> str:
            return choose_path(
                "auto",
                model_languages=model_languages,
                lang=item.lang,
                verification=verification,
                queue_full=False,
            )[0]

        path = decide(None)
        if path == "generated":
            text = generate(item.question, item.passages)
            if is_refusal(text):
                return text, "refused"
            verification = verify_answer(text, item.passages, lang=item.lang, embedder=embedder)
            if repair_citations:
                text = add_missing_citations(text, verification)
                verification = verify_answer(text, item.passages, lang=item.lang, embedder=embedder)
            path = decide(verification)
            if path == "generated":
                return text, "generated"
        quote = quote_answer(item.question, item.passages, lang=item.lang, embedder=embedder)
        return quote.text, PATH_QUOTE if quote.found else "refused"

    return answer


def run(
    items: Sequence[EvalItem], answer: Callable[[EvalItem], tuple[str, str]], *, embedder: Any
) -> list[Outcome]:
    outcomes = []
    for item in items:
        started = time.perf_counter()
        text, path = answer(item)
        seconds = time.perf_counter() - started
        refused = path == "refused" or is_refusal(text)
        outcome = Outcome(
            item,
            text,
            path,
            refused,
            sum(keyword_found(text, k) for k in item.keywords),
            seconds,
        )
        if not refused:
            started = time.perf_counter()
            outcome.verification = verify_answer(
                text, item.passages, lang=item.lang, embedder=embedder
            )
            outcome.verify_seconds = time.perf_counter() - started
        outcomes.append(outcome)
    return outcomes


def summarise(path: str, lang: str, outcomes: Sequence[Outcome]) -> PathReport:
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    checked = [s for o in outcomes if o.verification for s in o.verification.sentences]
    keywords = sum(len(o.item.keywords) for o in answerable)
    quoted = [
        (sentence, o.item.keywords)
        for o in answerable
        if not o.refused
        for _, sentence in quotations(o.answer)
    ]
    answering = sum(all(keyword_found(s, k) for k in expected) for s, expected in quoted)
    paths: dict[str, int] = {}
    for o in outcomes:
        paths[o.path] = paths.get(o.path, 0) + 1

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    return PathReport(
        path=path,
        lang=lang,
        questions=len(outcomes),
        answer_recall=share(
            sum(not o.refused and o.keywords_found == len(o.item.keywords) for o in answerable),
            len(answerable),
        ),
        keyword_recall=share(sum(o.keywords_found for o in answerable if not o.refused), keywords),
        supported_share=share(sum(s.status == "supported" for s in checked), len(checked)),
        sentences=len(checked),
        refusal_accuracy=share(sum(o.refused for o in unanswerable), len(unanswerable)),
        false_refusals=share(sum(o.refused for o in answerable), len(answerable)),
        answering_quotes=share(answering, len(quoted)),
        quoted_sentences=len(quoted),
        latency_p50_s=round(statistics.median([o.seconds for o in outcomes]), 4),
        latency_p95_s=round(nearest_rank([o.seconds for o in outcomes], 0.95), 4),
        verify_p50_s=round(
            statistics.median([o.verify_seconds for o in outcomes if o.verification] or [0.0]), 4
        ),
        paths=paths,
    )


def evaluate_answers(
    *,
    paths: Sequence[str] = ("quote",),
    generate: Generate | None = None,
    model_languages: Sequence[str] = ("en",),
    items: Sequence[EvalItem] | None = None,
    embedder: Any = None,
) -> list[PathReport]:
    """One report per (path, language); "generated" and "auto" need `generate`."""
    if embedder is None:
        from assistant.backends.embedder import get_embedder

        embedder = get_embedder()
    items = list(items if items is not None else build_eval_set())
    reports = []
    for path in paths:
        if path == "quote":
            answer = quote_path(embedder)
        elif generate is None:
            raise ValueError(f"the {path} path needs a generate(question, passages) callable")
        elif path == "generated":
            answer = generated_path(generate)
        elif path == "auto":
            answer = auto_path(generate, model_languages=model_languages, embedder=embedder)
        else:
            raise ValueError(f"unknown path {path!r}: use quote, generated or auto")
        for lang in sorted({i.lang for i in items}):
            subset = [i for i in items if i.lang == lang]
            reports.append(summarise(path, lang, run(subset, answer, embedder=embedder)))
    return reports


def format_report(reports: Sequence[PathReport]) -> str:
    """A Markdown table of the reports."""
    lines = [
        "| path | lang | questions | answer recall | keyword recall | supported sentences "
        "| refusal accuracy | false refusals | answering quotes | p50 s | p95 s | paths |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        taken = ", ".join(f"{k} {v}" for k, v in sorted(r.paths.items()))
        lines.append(
            f"| {r.path} | {r.lang} | {r.questions} | {r.answer_recall:.0%} | "
            f"{r.keyword_recall:.0%} | {r.supported_share:.0%} ({r.sentences}) | "
            f"{r.refusal_accuracy:.0%} | {r.false_refusals:.0%} | "
            f"{_answering(r)} | {r.latency_p50_s:.3f} | "
            f"{r.latency_p95_s:.3f} | {taken} |"
        )
    return "\n".join(lines)


def _answering(report: PathReport) -> str:
    if not report.quoted_sentences:
        return "—"
    return f"{report.answering_quotes:.0%} ({report.quoted_sentences})"
