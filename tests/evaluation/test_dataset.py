"""Word chunker, query grouping and deterministic slices."""

import pytest

from assistant.evaluation.dataset import (
    EvalDocument,
    EvalQuery,
    EvalSet,
    chunk_words,
    group_queries,
)


def test_chunk_words_windows_overlap_and_cap():
    text = " ".join(f"w{i}" for i in range(25))
    chunks = chunk_words(text, size=10, overlap=2)
    assert [c.split()[0] for c in chunks] == ["w0", "w8", "w16"]
    assert chunks[1].split()[:2] == ["w8", "w9"]  # the overlap
    assert chunks[-1].split()[-1] == "w24"
    assert chunk_words(text, size=10, overlap=2, max_chunks=2) == chunks[:2]
    assert chunk_words("", size=10, overlap=2) == []
    assert chunk_words("a b c", size=10, overlap=2) == ["a b c"]
    with pytest.raises(ValueError):
        chunk_words(text, size=5, overlap=5)


def test_group_queries_merges_identical_questions():
    queries = group_queries(
        [
            ("a.1", "Copier  des fichiers", 1),
            ("b.1", "copier des fichiers", 2),
            ("c.1", "Autre chose", 3),
        ]
    )
    assert queries == [
        EvalQuery("a.1", "Copier des fichiers", frozenset({1, 2})),
        EvalQuery("c.1", "Autre chose", frozenset({3})),
    ]


def _set(n: int) -> EvalSet:
    docs = [EvalDocument(i, f"d{i}", f"text {i}") for i in range(1, n + 1)]
    queries = [EvalQuery(f"q{i}", f"question {i}", frozenset({i})) for i in range(1, n + 1)]
    return EvalSet("fake", "en", "memory", docs, queries)


def test_slice_is_deterministic_and_keeps_relevant_documents_plus_distractors():
    full = _set(40)
    first, second = full.sliced(5), full.sliced(5)
    assert [q.query_id for q in first.queries] == [q.query_id for q in second.queries]
    assert len(first.queries) == 5 and len(first.documents) == 10
    kept = {doc.doc_id for doc in first.documents}
    assert all(q.relevant <= kept for q in first.queries)
    assert full.sliced(0) is full and full.sliced(100) is full
