"""Ranking metrics with binary relevance, on document-level rankings, and the latency percentile
of the evaluation and benchmark reports.

A search returns chunks; several chunks of one document would count that document several times,
so `documents_in_order` first keeps each document at the rank of its best chunk.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from statistics import fmean
from typing import TypeVar

T = TypeVar("T", bound=Hashable)


def documents_in_order(doc_ids: Iterable[T]) -> list[T]:
    """Chunk-level hits (their document ids, best first) -> unique documents, best first."""
    seen: set[T] = set()
    ranked: list[T] = []
    for doc_id in doc_ids:
        if doc_id not in seen:
            seen.add(doc_id)
            ranked.append(doc_id)
    return ranked


def recall_at_k(ranked: Sequence[T], relevant: set[T] | frozenset[T], k: int) -> float:
    """Share of the relevant documents found in the first k."""
    if not relevant:
        raise ValueError("a query needs at least one relevant document")
    return len(set(ranked[:k]) & relevant) / len(relevant)


def reciprocal_rank(ranked: Sequence[T], relevant: set[T] | frozenset[T], k: int) -> float:
    """1 / rank of the first relevant document within the first k, else 0 (MRR@k per query)."""
    for rank, doc_id in enumerate(ranked[:k], start=1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[T], relevant: set[T] | frozenset[T], k: int) -> float:
    """Binary-gain nDCG@k: DCG = sum of 1/log2(rank + 1) over relevant hits, divided by the DCG
    of the ideal ranking (all relevant documents first)."""
    if not relevant:
        raise ValueError("a query needs at least one relevant document")
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc_id in enumerate(ranked[:k], start=1)
        if doc_id in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def score_run(
    rankings: Sequence[Sequence[T]], relevants: Sequence[set[T] | frozenset[T]]
) -> dict[str, float]:
    """Mean recall@5, MRR@10 and nDCG@10 over queries (one ranking per query, same order)."""
    if len(rankings) != len(relevants):
        raise ValueError("one ranking per query")
    if not rankings:
        return {"recall@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0, "queries": 0}
    return {
        "recall@5": fmean(
            recall_at_k(r, rel, 5) for r, rel in zip(rankings, relevants, strict=True)
        ),
        "mrr@10": fmean(
            reciprocal_rank(r, rel, 10) for r, rel in zip(rankings, relevants, strict=True)
        ),
        "ndcg@10": fmean(ndcg_at_k(r, rel, 10) for r, rel in zip(rankings, relevants, strict=True)),
        "queries": len(rankings),
    }


def rrf_fuse(
    rankings: Sequence[Sequence[T]], *, k: float = 2, weights: Sequence[float] | None = None
) -> list[T]:
    """Client-side (weighted) reciprocal-rank fusion, to explore fusion settings without
    re-querying the store. Qdrant's convention, so `k` means what Fusion.Rrf(k=...) means:
    score(d) = sum_i w_i / (k + rank_i(d)) with ranks counted FROM 0 (Qdrant's default k=2 is
    Cormack's k=1 with ranks from 1). Ties keep the order of first appearance."""
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[T, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


def nearest_rank(values: Sequence[float], share: float) -> float:
    """The `share` (0-1) percentile by nearest rank: the measured value at rank
    round(share x (n - 1)), never an interpolated one; NaN when there is no value. Evaluation and
    benchmark reports use it; the KPI dashboard interpolates (assistant.kpi.selectors.percentile),
    so figures from the two are not interchangeable."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]
