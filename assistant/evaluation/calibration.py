"""`manage.py calibrate`: the cosine thresholds of one embedder, measured on a fixed set.

Scores of different embedders are not comparable, so each threshold is derived from the
embedder's own score distributions, the same way for every model, deterministically:

- **relevance** (``min_score``): for answerable questions, the best cosine between the question
  and the passages that answer it, per language, on the generated grounding set (templated HR
  policies) and on real text no one here wrote (Debian's manpages-fr NAME lines against their
  pages, python3.11-doc synopses against theirs). The threshold is the lowest per-language
  ``RELEVANCE_QUANTILE`` quantile, rounded down: at most that share of answerable questions is
  refused in any language (the issue's target is 0.05; the quantile leaves a margin for text
  unlike the set). ``min_score_cross_lingual`` is the same quantile of the French NAME lines
  against the English pages of the same commands and the reverse: it applies to passages in
  another language than the question, which every embedder scores lower. Unanswerable questions
  are not used to set it (later gates handle them: the sentence check, the quotation matcher);
  their share refused at this gate is reported.
- **review** (``review_low_score``): the ``REVIEW_QUANTILE`` quantile of the same answerable
  scores: the weakest tenth of answered exchanges gets a human look.
- **cache** (``cache_threshold``): paraphrases of one question (the `bench cache` set) against
  its first wording; the threshold is the lowest per-language ``CACHE_QUANTILE`` quantile of
  their cosines, raised above every non-equivalent pair that has the same key terms (those are
  the pairs the key-term check cannot tell apart). In-sample for `bench cache`: say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.backends.embedder_registry import Calibration
from assistant.evaluation.dataset import EvalSet, chunk_words

RELEVANCE_QUANTILE = 0.02
REVIEW_QUANTILE = 0.10
CACHE_QUANTILE = 0.05
CACHE_MARGIN = 0.01
REAL_QUERIES_PER_SET = 200
REAL_CHUNKS_PER_PAGE = 4


@dataclass
class ScoreSet:
    """Best cosines of one kind of question, by language."""

    answerable: dict[str, list[float]] = field(default_factory=dict)
    unanswerable: dict[str, list[float]] = field(default_factory=dict)

    def add(self, lang: str, score: float, *, answerable: bool) -> None:
        target = self.answerable if answerable else self.unanswerable
        target.setdefault(lang, []).append(score)


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile (no interpolation: the value of a real question)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no value to take a quantile of")
    index = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[index]


def _floor(value: float) -> float:
    return math.floor(value * 100) / 100


def _cosines(embedder: Any, questions: list[str], texts: list[str]) -> np.ndarray:
    """questions x texts cosine matrix (the vectors are L2-normalised)."""
    q = np.asarray(embedder.embed_documents(questions), dtype=np.float32)
    t = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    return q @ t.T


def grounding_scores(embedder: Any, scores: ScoreSet) -> None:
    """Best cosine of each generated question against the passages it comes with."""
    from assistant.evaluation.grounding_set import build_eval_set

    for item in build_eval_set():
        matrix = _cosines(embedder, [item.question], [p.text for p in item.passages])
        scores.add(f"{item.lang}-generated", float(matrix.max()), answerable=item.answerable)


def real_text_scores(
    embedder: Any, eval_set: EvalSet, scores: ScoreSet, *, key: str, limit: int
) -> None:
    """Best cosine of each query against the chunks of its relevant page (answerable only)."""
    sliced = eval_set.sliced(limit)
    pages = {doc.doc_id: doc for doc in sliced.documents}
    for query in sliced.queries:
        texts = [
            chunk
            for doc_id in sorted(query.relevant)
            for chunk in chunk_words(pages[doc_id].text, max_chunks=REAL_CHUNKS_PER_PAGE)
        ]
        matrix = _cosines(embedder, [query.text], texts)
        scores.add(key, float(matrix.max()), answerable=True)


def cache_pairs(embedder: Any) -> tuple[dict[str, list[float]], list[float]]:
    """(paraphrase cosines by language, cosines of non-equivalent pairs with equal key terms)."""
    from assistant.chat.semantic_cache.terms import key_terms
    from assistant.evaluation.bench.cache_questions import SUBJECTS, question_set

    questions = question_set()
    texts = [q.text for q in questions]
    vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    keys = [key_terms(q.text, q.lang) for q in questions]
    first = {q.subject: i for i, q in enumerate(questions) if q.kind == "first"}
    positives: dict[str, list[float]] = {}
    negatives: list[float] = []
    for i, question in enumerate(questions):
        if question.kind == "repeat":
            j = first[question.subject]
            positives.setdefault(question.lang, []).append(float(vectors[i] @ vectors[j]))
    subject_of = {s.key for s in SUBJECTS}
    for i, a in enumerate(questions):
        for j in range(i + 1, len(questions)):
            b = questions[j]
            same_meaning = a.subject == b.subject and a.subject in subject_of
            if a.lang == b.lang and not same_meaning and keys[i] == keys[j] and keys[i]:
                negatives.append(float(vectors[i] @ vectors[j]))
    return positives, negatives


def calibrate(
    embedder: Any,
    real_sets: Sequence[tuple[str, EvalSet]] = (),
    *,
    real_limit: int = REAL_QUERIES_PER_SET,
    progress: Callable[[str], None] = lambda message: None,
) -> Calibration:
    """The embedder's thresholds and the figures they were derived from. `real_sets` are
    (key, set) pairs such as ("fr-manpages", <manpages-fr>), keyed by language first."""
    scores = ScoreSet()
    progress("grounding set")
    grounding_scores(embedder, scores)
    for key, eval_set in real_sets:
        progress(key)
        real_text_scores(embedder, eval_set, scores, key=key, limit=real_limit)
    by_language: dict[str, list[float]] = {}
    across: dict[str, list[float]] = {}  # a question over a document in the other language
    for key, values in scores.answerable.items():
        target = across if ">" in key else by_language
        target.setdefault(key.split("-", 1)[0], []).extend(values)
    min_score = _floor(min(quantile(v, RELEVANCE_QUANTILE) for v in by_language.values()))
    review = _floor(min(quantile(v, REVIEW_QUANTILE) for v in by_language.values()))
    cross = min_score
    if across:
        cross = min(cross, _floor(min(quantile(v, RELEVANCE_QUANTILE) for v in across.values())))
    progress("cache pairs")
    positives, negatives = cache_pairs(embedder)
    cache = _floor(min(quantile(v, CACHE_QUANTILE) for v in positives.values()))
    if negatives and max(negatives) >= cache:
        cache = math.ceil((max(negatives) + CACHE_MARGIN) * 100) / 100
    cache = min(cache, 0.99)
    measured: dict[str, Any] = {
        "false_refusals": {
            key: _below(values, cross if ">" in key else min_score)
            for key, values in sorted(scores.answerable.items())
        },
        "answerable": {key: len(v) for key, v in sorted(scores.answerable.items())},
        "unanswerable_refused_by_threshold": {
            key: _share(values, lambda s: s < min_score)
            for key, values in sorted(scores.unanswerable.items())
        },
        "queued_low_score": {
            key: _share([s for s in values if s >= min_score], lambda s: s < review)
            for key, values in sorted(scores.answerable.items())
        },
        "cache_hit_rate": {
            lang: _share(values, lambda s: s >= cache) for lang, values in sorted(positives.items())
        },
        "cache_false_hit_pairs": sum(1 for s in negatives if s >= cache),
        "cache_same_key_negative_pairs": len(negatives),
        "quantiles": {
            "relevance": RELEVANCE_QUANTILE,
            "review": REVIEW_QUANTILE,
            "cache": CACHE_QUANTILE,
        },
    }
    return Calibration(
        min_score=min_score,
        cache_threshold=cache,
        review_low_score=max(review, min_score),
        min_score_cross_lingual=cross,
        source="calibrate",
        measured=measured,
    )


def _below(values: Sequence[float], threshold: float) -> float:
    return _share(values, lambda score: score < threshold)


def _share(values: Sequence[float], predicate: Callable[[float], bool]) -> float:
    if not values:
        return 0.0
    return round(sum(1 for v in values if predicate(v)) / len(values), 3)


def calibration_markdown(model: str, calibration: Calibration) -> str:
    m = calibration.measured
    lines = [
        f"# Calibration — {model}",
        "",
        "| threshold | value |",
        "| --- | --- |",
        f"| min_score (relevance) | {calibration.min_score:.2f} |",
        f"| min_score_cross_lingual | {calibration.min_score_cross_lingual:.2f} |",
        f"| review_low_score | {calibration.review_low_score:.2f} |",
        f"| cache_threshold | {calibration.cache_threshold:.2f} |",
        "",
        "| question set | answerable | false refusals at its threshold | queued for low score |",
        "| --- | --- | --- | --- |",
    ]
    for key, count in m["answerable"].items():
        lines.append(
            f"| {key} | {count} | {m['false_refusals'][key]:.3f} | "
            f"{m['queued_low_score'][key]:.3f} |"
        )
    lines += ["", "Unanswerable (generated set) refused by the threshold alone: "]
    lines[-1] += ", ".join(
        f"{k} {v:.2f}" for k, v in m["unanswerable_refused_by_threshold"].items()
    )
    lines += [
        "",
        "Cache (in-sample: the `bench cache` set): hit rate "
        + ", ".join(f"{k} {v:.2f}" for k, v in m["cache_hit_rate"].items())
        + f"; {m['cache_false_hit_pairs']} of {m['cache_same_key_negative_pairs']} "
        "non-equivalent pairs with equal key terms would hit.",
        "",
        "Registry entry (assistant/backends/embedder_registry.py):",
        "",
        f"    calibration=Calibration(min_score={calibration.min_score:.2f}, "
        f"cache_threshold={calibration.cache_threshold:.2f}, "
        f"review_low_score={calibration.review_low_score:.2f}, "
        f"min_score_cross_lingual={calibration.min_score_cross_lingual:.2f}),",
    ]
    return "\n".join(lines)
