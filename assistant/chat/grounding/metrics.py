"""Per-exchange quality metrics (issue 7, layer 1): computed on 100 % of exchanges, stored as JSON
with the exchange, aggregated by the evaluation command, and used to send weak answers to review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from assistant.chat.grounding.verify import SentenceCheck, Verification

# An answer whose share of supported sentences is below this goes to the compliance review queue.
REVIEW_MIN_SUPPORTED = 0.5
# So does one with a groundedness below this, or any invalid citation or unsupported number.
REVIEW_MIN_GROUNDEDNESS = 0.4

_REFUSAL = re.compile(
    r"(je ne sais pas|je n'ai pas trouvé|je ne trouve pas|ne contien(?:nen)?t (?:pas|aucun)|"
    r"pas d'information|aucune information|aucun passage|aucune phrase|impossible de répondre|"
    r"i don't know|i do not know|i couldn't find|i could not find|i can't find|cannot answer|"
    r"can't answer|no information|not (?:mentioned|contained|found) in|do(?:es)? not (?:contain|"
    r"mention|say)|contain no (?:sentence|passage|information)|"
    r"no (?:relevant )?(?:passage|document))",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """Whether an answer declines to answer (FR/EN phrasings of "the documents don't say")."""
    return bool(_REFUSAL.search(text.replace("’", "'")))  # noqa: RUF001


def verification_to_dict(verification: Verification) -> dict[str, Any]:
    """JSON-ready form (lists instead of tuples) for a JSONField."""
    data = asdict(verification)
    for sentence in data["sentences"]:
        if sentence["best_span"] is not None:
            sentence["best_span"] = list(sentence["best_span"])
    return data


def verification_from_dict(data: dict[str, Any]) -> Verification:
    sentences = []
    for raw in data.get("sentences", []):
        item = dict(raw)
        span = item.get("best_span")
        item["best_span"] = tuple(span) if span is not None else None
        sentences.append(SentenceCheck(**item))
    return Verification(
        sentences=sentences,
        supported_share=float(data.get("supported_share", 0.0)),
        citation_coverage=float(data.get("citation_coverage", 0.0)),
        groundedness=float(data.get("groundedness", 0.0)),
        unsupported_numbers=list(data.get("unsupported_numbers", [])),
        invalid_citations=list(data.get("invalid_citations", [])),
    )


def exchange_metrics(
    verification: Verification | None,
    *,
    path: str,
    refused: bool,
    retrieval_scores: Sequence[float] = (),
) -> dict[str, Any]:
    """The automatic metrics of one exchange, as stored with it.

    `verification` is None for a refusal (nothing to check). `path` is "generated", "quote" or
    "refused".
    """
    scores = [round(float(s), 4) for s in retrieval_scores]
    metrics: dict[str, Any] = {
        "path": path,
        "refused": refused,
        "retrieval_top_score": max(scores) if scores else None,
        "retrieval_scores": scores,
        "sentences": 0,
        "supported_share": None,
        "weak_share": None,
        "citation_coverage": None,
        "groundedness": None,
        "unsupported_numbers": [],
        "invalid_citations": [],
    }
    if verification is not None and not refused:
        count = len(verification.sentences)
        weak = sum(s.status == "weak" for s in verification.sentences)
        metrics.update(
            sentences=count,
            supported_share=verification.supported_share,
            weak_share=round(weak / count, 4) if count else 0.0,
            citation_coverage=verification.citation_coverage,
            groundedness=verification.groundedness,
            unsupported_numbers=list(verification.unsupported_numbers),
            invalid_citations=list(verification.invalid_citations),
        )
    return metrics


def needs_review(metrics: dict[str, Any]) -> tuple[bool, str]:
    """(True, reason) when an exchange's automatic metrics call for a human look."""
    if metrics.get("refused"):
        return False, ""
    judge = metrics.get("judge") or {}
    if judge.get("faithfulness") is not None and judge["faithfulness"] <= 2:
        return True, "low faithfulness (model-as-judge)"
    if not metrics.get("sentences"):
        return False, ""
    if metrics.get("invalid_citations"):
        return True, "invalid citations"
    if metrics.get("unsupported_numbers"):
        return True, "numbers or dates not found in the sources"
    if (metrics.get("supported_share") or 0.0) < REVIEW_MIN_SUPPORTED:
        return True, "low share of supported sentences"
    if (metrics.get("groundedness") or 0.0) < REVIEW_MIN_GROUNDEDNESS:
        return True, "low groundedness"
    return False, ""


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregates of stored exchange metrics (for `evaluate answers --since`)."""
    answered = [r for r in rows if not r.get("refused") and r.get("sentences")]

    def mean(key: str) -> float | None:
        values = [float(r[key]) for r in answered if r.get(key) is not None]
        return round(sum(values) / len(values), 4) if values else None

    paths: dict[str, int] = {}
    for row in rows:
        paths[row.get("path", "?")] = paths.get(row.get("path", "?"), 0) + 1
    return {
        "exchanges": len(rows),
        "refused": sum(bool(r.get("refused")) for r in rows),
        "paths": paths,
        "supported_share": mean("supported_share"),
        "citation_coverage": mean("citation_coverage"),
        "groundedness": mean("groundedness"),
        "with_unsupported_numbers": sum(bool(r.get("unsupported_numbers")) for r in answered),
        "with_invalid_citations": sum(bool(r.get("invalid_citations")) for r in answered),
        "to_review": sum(needs_review(r)[0] for r in rows),
    }
