"""One contract for every VectorStore backend: embedded qdrant-edge, qdrant-client against an
in-process collection, and a real Qdrant server when RAG_QDRANT_TEST_URL is set."""

from __future__ import annotations

import math
import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.backends.lexical import sparse_vector
from assistant.backends.vectorstore import (
    ChunkPoint,
    IndexInfo,
    IndexModelMismatch,
    SparseVector,
    VectorStore,
)
from assistant.backends.vectorstore_edge import EdgeVectorStore
from assistant.backends.vectorstore_qdrant import QdrantServerVectorStore

DIM = 8
MODEL = "test-model"
BACKENDS = ["edge", "qdrant-local", "qdrant-server"]


def make_store(kind: str, path: Path) -> VectorStore:
    if kind == "edge":
        return EdgeVectorStore(path / "qdrant", name="chunks")
    from qdrant_client import QdrantClient

    name = f"contract_{uuid.uuid4().hex[:12]}"
    if kind == "qdrant-local":
        return QdrantServerVectorStore(client=QdrantClient(location=":memory:"), name=name)
    url = os.environ.get("RAG_QDRANT_TEST_URL", "")
    if not url:
        pytest.skip("RAG_QDRANT_TEST_URL is not set: no Qdrant server to test against")
    return QdrantServerVectorStore(url=url, name=name)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path: Path) -> Iterator[VectorStore]:
    instance = make_store(request.param, tmp_path)
    yield instance
    instance.drop()
    instance.close()  # type: ignore[attr-defined]


def unit(rng: random.Random, dim: int = DIM) -> list[float]:
    values = [rng.gauss(0, 1) for _ in range(dim)]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def point(
    rng: random.Random,
    *,
    collection: int,
    document: int,
    version: int = 1,
    index: int = 0,
    text: str = "",
    dense: list[float] | None = None,
) -> ChunkPoint:
    pid = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{document}:{version}:{index}"))
    return ChunkPoint(
        point_id=pid,
        dense=dense or unit(rng),
        sparse=sparse_vector(text) if text else SparseVector([rng.randrange(1000)], [1.0]),
        payload={
            "collection_id": collection,
            "document_id": document,
            "version": version,
            "chunk_index": index,
            "chunk_id": index + 1000 * document,
            "page_start": 1,
            "page_end": 1,
            "lang": "en",
        },
    )


def test_ensure_collection_records_the_model_and_refuses_another(store) -> None:
    assert store.index_info() is None
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)  # idempotent
    assert store.index_info() == IndexInfo(MODEL, DIM)
    with pytest.raises(IndexModelMismatch, match="reindex"):
        store.ensure_collection(embed_model="other-model", dimension=DIM)
    with pytest.raises(IndexModelMismatch):
        store.ensure_collection(embed_model=MODEL, dimension=DIM * 2)


def test_vectors_of_the_wrong_size_are_refused(store) -> None:
    rng = random.Random(1)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    with pytest.raises(IndexModelMismatch):
        store.upsert([point(rng, collection=1, document=1, dense=unit(rng, DIM + 1))])
    with pytest.raises(IndexModelMismatch):
        store.search(
            dense=unit(rng, DIM + 1), sparse=SparseVector([], []), collection_ids=[1], limit=3
        )


def test_upsert_overwrites_by_id(store) -> None:
    rng = random.Random(2)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    first = point(rng, collection=1, document=7)
    store.upsert([first])
    again = ChunkPoint(first.point_id, unit(rng), first.sparse, {**first.payload, "page_start": 9})
    store.upsert([again])
    assert store.count() == 1
    assert [(pid, payload["page_start"]) for pid, payload in store.iter_points()] == [
        (first.point_id, 9)
    ]


def test_collection_filter_never_leaks(store) -> None:
    rng = random.Random(3)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    words = ["contract", "invoice", "holiday", "salary", "server", "policy", "badge", "travel"]
    points = [
        point(
            rng,
            collection=rng.randint(1, 6),
            document=doc,
            text=" ".join(rng.choices(words, k=5)),
        )
        for doc in range(240)
    ]
    store.upsert(points)
    per_collection = {c: sum(p.payload["collection_id"] == c for p in points) for c in range(1, 8)}
    for _ in range(60):
        readable = rng.sample(range(1, 8), k=rng.randint(1, 3))  # 7 holds no points
        mode = rng.choice(["hybrid", "dense", "sparse"])
        limit = rng.choice([1, 5, 20, 100])
        hits = store.search(
            dense=unit(rng),
            sparse=sparse_vector(" ".join(rng.choices(words, k=2))),
            collection_ids=readable,
            limit=limit,
            mode=mode,
        )
        assert all(hit.payload["collection_id"] in readable for hit in hits), (mode, readable)
        assert len({hit.point_id for hit in hits}) == len(hits)
        if mode == "dense":
            assert len(hits) == min(limit, sum(per_collection[c] for c in readable))
    assert store.count(collection_ids=[1, 2]) == per_collection[1] + per_collection[2]
    assert store.count() == len(points)


def test_empty_collection_ids_return_nothing(store) -> None:
    rng = random.Random(4)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert([point(rng, collection=1, document=1, text="contract")])
    for mode in ("hybrid", "dense", "sparse"):
        hits = store.search(
            dense=unit(rng), sparse=sparse_vector("contract"), collection_ids=[], limit=5, mode=mode
        )
        assert hits == []
    assert store.count(collection_ids=[]) == 0


def test_delete_by_document_all_versions_or_one(store) -> None:
    rng = random.Random(5)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert(
        [
            point(rng, collection=1, document=10, version=v, index=i)
            for v in (1, 2)
            for i in range(3)
        ]
        + [point(rng, collection=1, document=11, index=i) for i in range(2)]
    )
    store.delete_by_document(10, version=1)
    remaining = {(p["document_id"], p["version"]) for _, p in store.iter_points()}
    assert remaining == {(10, 2), (11, 1)}
    assert store.count() == 5
    store.delete_by_document(10)
    assert {p["document_id"] for _, p in store.iter_points()} == {11}
    assert store.count() == 2


def test_delete_by_collection_and_by_ids(store) -> None:
    rng = random.Random(6)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    kept = [point(rng, collection=2, document=20 + i) for i in range(3)]
    store.upsert([point(rng, collection=1, document=i) for i in range(5)] + kept)
    store.delete_by_collection(1)
    assert store.count(collection_ids=[1]) == 0
    assert store.count() == 3
    store.delete_points([kept[0].point_id])
    assert sorted(pid for pid, _ in store.iter_points()) == sorted(p.point_id for p in kept[1:])


def test_iter_points_pages_through_everything(store) -> None:
    rng = random.Random(7)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    points = [point(rng, collection=1 + i % 3, document=i) for i in range(1300)]
    store.upsert(points)
    seen = dict(store.iter_points())
    assert set(seen) == {p.point_id for p in points}
    assert all(seen[p.point_id]["document_id"] == p.payload["document_id"] for p in points)


def test_drop_forgets_points_and_model(store) -> None:
    rng = random.Random(8)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert([point(rng, collection=1, document=1)])
    store.drop()
    assert store.count() == 0
    assert store.index_info() is None
    assert list(store.iter_points()) == []
    assert (
        store.search(dense=unit(rng), sparse=SparseVector([], []), collection_ids=[1], limit=3)
        == []
    )
    store.ensure_collection(embed_model="another-model", dimension=DIM * 2)
    assert store.index_info() == IndexInfo("another-model", DIM * 2)


def test_health_counts_points(store) -> None:
    rng = random.Random(9)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert([point(rng, collection=1, document=i) for i in range(4)])
    health = store.health()
    assert health.ok
    assert "4 points" in health.detail


PASSAGES = [
    ("fr", "Le préavis de résiliation du contrat de travail est de trois mois."),
    ("fr", "Les notes de frais sont remboursées sous trente jours sur justificatifs."),
    ("fr", "Le télétravail est autorisé deux jours par semaine après accord du manager."),
    ("en", "Employees receive twenty-five days of paid holiday per year."),
    ("en", "The VPN must be used to access the intranet from outside the office."),
    ("en", "Security badges are renewed every two years by the facilities team."),
    ("en", "The quarterly invoice from Zorblax Logistics covers warehouse storage."),
]


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Zorblax Logistics invoice", 6),
        ("Combien de jours de télétravail par semaine ?", 2),
        ("résiliation des contrats de travail", 0),
    ],
)
def test_modes_rank_the_lexical_match_first(store, embedder, mode, question, expected) -> None:
    store.ensure_collection(embed_model=embedder.model_name, dimension=embedder.dimension)
    vectors = embedder.embed_documents([text for _, text in PASSAGES])
    store.upsert(
        [
            ChunkPoint(
                point_id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"p{i}")),
                dense=vector,
                sparse=sparse_vector(text, lang=lang),
                payload={"collection_id": 1, "document_id": i, "version": 1, "chunk_index": 0},
            )
            for i, ((lang, text), vector) in enumerate(zip(PASSAGES, vectors, strict=True))
        ]
    )
    hits = store.search(
        dense=embedder.embed_query(question),
        sparse=sparse_vector(question),
        collection_ids=[1],
        limit=3,
        mode=mode,
    )
    assert hits[0].payload["document_id"] == expected
    if mode != "sparse":
        assert all(-1.0 <= hit.score <= 1.0001 for hit in hits)


def test_hybrid_scores_are_the_dense_cosine(store) -> None:
    rng = random.Random(10)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    store.upsert([point(rng, collection=1, document=i, text="contract") for i in range(20)])
    query = unit(rng)
    dense = {
        h.point_id: h.score
        for h in store.search(
            dense=query,
            sparse=sparse_vector("contract"),
            collection_ids=[1],
            limit=20,
            mode="dense",
        )
    }
    hybrid = store.search(
        dense=query, sparse=sparse_vector("contract"), collection_ids=[1], limit=5, mode="hybrid"
    )
    assert len(hybrid) == 5
    for hit in hybrid:
        assert hit.score == pytest.approx(dense[hit.point_id], abs=1e-4)


def test_sparse_weight_lets_the_lexical_list_win_the_fusion(store) -> None:
    """A is the nearest dense neighbour and a partial lexical match; B is the best lexical match
    but far in dense space behind ten dense-only fillers (possibly outside the dense prefetch).
    Equal weights put A first (RRF k=2: A 1/2+1/3 > B <=1/13+1/2); a sparse weight of 5 puts B
    first (A 1/2+5/3 < B 5/2)."""
    rng = random.Random(11)
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    query = unit(rng)

    def near(noise: float) -> list[float]:
        vector = [q + noise * rng.gauss(0, 1) for q in query]
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector]

    a = point(rng, collection=1, document=1, text="contrat", dense=near(0.001))
    fillers = [
        point(rng, collection=1, document=10 + i, text="calendrier", dense=near(0.02 + 0.001 * i))
        for i in range(10)
    ]
    b = point(rng, collection=1, document=2, text="résiliation du contrat")
    store.upsert([a, b, *fillers])
    sparse = sparse_vector("résiliation contrat")
    equal = store.search(dense=query, sparse=sparse, collection_ids=[1], limit=3, mode="hybrid")
    weighted = store.search(
        dense=query, sparse=sparse, collection_ids=[1], limit=3, mode="hybrid", sparse_weight=5.0
    )
    assert equal[0].point_id == a.point_id
    assert weighted[0].point_id == b.point_id
