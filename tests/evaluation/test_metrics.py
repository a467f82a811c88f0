"""Ranking metrics and the report percentile against values computed by hand."""

import math

import pytest

from assistant.evaluation.metrics import (
    documents_in_order,
    ndcg_at_k,
    nearest_rank,
    recall_at_k,
    reciprocal_rank,
    rrf_fuse,
    score_run,
)


def test_documents_in_order_keeps_each_document_at_its_best_chunk():
    assert documents_in_order([7, 3, 7, 9, 3, 1]) == [7, 3, 9, 1]


def test_recall_at_k_counts_relevant_documents_within_k():
    ranked = [4, 1, 8, 2, 6, 3]
    assert recall_at_k(ranked, {2, 3}, 5) == 0.5  # 2 at rank 4, 3 at rank 6
    assert recall_at_k(ranked, {2, 3}, 6) == 1.0
    assert recall_at_k(ranked, {9}, 5) == 0.0


def test_reciprocal_rank_is_one_over_the_first_relevant_rank_within_k():
    ranked = [4, 1, 8, 2]
    assert reciprocal_rank(ranked, {8, 2}, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {2}, 3) == 0.0  # rank 4 is beyond k
    assert reciprocal_rank([], {2}, 10) == 0.0


def test_ndcg_single_relevant_document():
    # Relevant at rank 3: DCG = 1/log2(4) = 0.5; ideal = 1/log2(2) = 1.
    assert ndcg_at_k([5, 6, 1, 7], {1}, 10) == pytest.approx(0.5)


def test_ndcg_two_relevant_documents():
    # Relevant at ranks 1 and 3: DCG = 1 + 0.5; ideal (ranks 1, 2) = 1 + 1/log2(3).
    expected = 1.5 / (1 + 1 / math.log2(3))
    assert ndcg_at_k([1, 9, 2], {1, 2}, 10) == pytest.approx(expected)
    assert ndcg_at_k([1, 2, 9], {1, 2}, 10) == pytest.approx(1.0)
    assert ndcg_at_k([9, 8], {1, 2}, 10) == 0.0


def test_ndcg_only_counts_the_first_k():
    assert ndcg_at_k([9, 8, 1], {1}, 2) == 0.0


def test_metrics_reject_a_query_without_relevant_document():
    with pytest.raises(ValueError):
        recall_at_k([1], set(), 5)
    with pytest.raises(ValueError):
        ndcg_at_k([1], set(), 5)


def test_score_run_averages_over_queries():
    scores = score_run([[1, 2], [3, 4]], [{1}, {4}])
    assert scores["recall@5"] == 1.0
    assert scores["mrr@10"] == pytest.approx((1 + 0.5) / 2)
    assert scores["ndcg@10"] == pytest.approx((1 + 1 / math.log2(3)) / 2)
    assert scores["queries"] == 2
    with pytest.raises(ValueError):
        score_run([[1]], [{1}, {2}])


def test_rrf_uses_qdrant_ranks_from_zero():
    # k=2, ranks from 0: a = 1/2 + 1/4 = 0.75, b = 1/3 + 1/2 = 0.833, c = 1/4 + 1/3 = 0.583
    assert rrf_fuse([["a", "b", "c"], ["b", "c", "a"]], k=2) == ["b", "a", "c"]


def test_weighted_rrf_lets_one_ranking_dominate():
    dense, sparse = ["a", "b"], ["b", "a"]
    assert rrf_fuse([dense, sparse], k=2, weights=[3, 1])[0] == "a"
    assert rrf_fuse([dense, sparse], k=2, weights=[1, 3])[0] == "b"
    with pytest.raises(ValueError):
        rrf_fuse([dense, sparse], weights=[1])


def test_nearest_rank_returns_a_measured_value_never_an_interpolated_one():
    assert math.isnan(nearest_rank([], 0.95))
    assert nearest_rank([7.0], 0.95) == 7.0
    assert nearest_rank([6000, 100, 2000, 400, 1000], 0.95) == 6000  # rank round(3.8) = 4
    assert nearest_rank([4, 3, 2, 1], 0.5) == 3  # rank round(1.5) = 2: the third value
    assert nearest_rank([1, 2, 3, 4, 5, 6], 0.5) == 3  # round(2.5) = 2: Python rounds half to even
