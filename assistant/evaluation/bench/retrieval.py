"""Retrieval benchmark: our VectorStore.search against the raw library, same data, same run.

For each size N, on a temporary folder: N synthetic chunks (random unit 384-d dense vectors and
sparse term vectors drawn from a Zipf-like vocabulary) spread over 20 collections; then `queries`
searches filtered on 3 readable collections, timed through our store and through the raw library
issuing the same query directly, interleaved query by query so a busy neighbour hurts both alike:

- embedded: EdgeVectorStore.search vs qdrant_edge EdgeShard.query on the same shard;
- client: QdrantServerVectorStore.search over qdrant-client's in-process mode vs
  QdrantClient.query_points on the same client (qdrant-client local mode is a Python loop over
  every point for filters, so its query count is capped at large sizes).

Our hybrid search also returns each hit's dense vector to report the cosine as the score (the
fused RRF value is not a similarity); that extra work is part of what the ratio measures.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.backends.vectorstore import (
    DENSE,
    RRF_K,
    SPARSE,
    ChunkPoint,
    SearchMode,
    SparseVector,
    prefetch_limit,
)
from assistant.evaluation.metrics import nearest_rank

DIM = 384
COLLECTIONS = 20
READABLE = 3
LIMIT = 8
VOCABULARY = 5000
MODEL = "bench-random-384"
TARGET_RATIO = 1.2


def _unit_vectors(rng: Any, count: int) -> Any:
    import numpy as np

    vectors = rng.standard_normal((count, DIM)).astype("float32")
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _sparse(rng: random.Random, terms: int) -> SparseVector:
    # Zipf-like: low indices are frequent, so IDF has something to weigh.
    picked = {min(int(rng.paretovariate(1.1)), VOCABULARY) for _ in range(terms)}
    indices = sorted(picked)
    return SparseVector(indices=indices, values=[1.0 + rng.random() for _ in indices])


def _points(n: int, seed: int) -> list[ChunkPoint]:
    import numpy as np

    rng = random.Random(seed)
    dense = _unit_vectors(np.random.default_rng(seed), n)
    return [
        ChunkPoint(
            point_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            dense=dense[i].tolist(),
            sparse=_sparse(rng, 12),
            payload={
                "collection_id": 1 + i % COLLECTIONS,
                "document_id": i // 10,
                "version": 1,
                "chunk_index": i % 10,
                "chunk_id": i,
                "page_start": 1,
                "page_end": 1,
                "lang": "en",
            },
        )
        for i in range(n)
    ]


def _percentiles(samples: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = nearest_rank(ordered, 0.95)
    return p50 * 1000, p95 * 1000


def _compare(
    ours: Callable[[int], list[str]], raw: Callable[[int], list[str]], queries: int
) -> dict[str, float]:
    for i in range(min(5, queries)):  # warm caches and lazy imports
        ours(i)
        raw(i)
    ours_t: list[float] = []
    raw_t: list[float] = []
    same_top = 0
    for i in range(queries):
        first, second = (ours, raw) if i % 2 else (raw, ours)
        start = time.perf_counter()
        a = first(i)
        middle = time.perf_counter()
        b = second(i)
        end = time.perf_counter()
        (ours_t if first is ours else raw_t).append(middle - start)
        (raw_t if first is ours else ours_t).append(end - middle)
        same_top += bool(a) and bool(b) and a[0] == b[0]
    ours_p50, ours_p95 = _percentiles(ours_t)
    raw_p50, raw_p95 = _percentiles(raw_t)
    return {
        "ours_p50_ms": round(ours_p50, 3),
        "ours_p95_ms": round(ours_p95, 3),
        "raw_p50_ms": round(raw_p50, 3),
        "raw_p95_ms": round(raw_p95, 3),
        "ratio_p50": round(ours_p50 / raw_p50, 3) if raw_p50 else 0.0,
        "ratio_p95": round(ours_p95 / raw_p95, 3) if raw_p95 else 0.0,
        "same_top_hit": round(same_top / queries, 3),
        "queries": queries,
    }


def _bench_edge(folder: Path, points: list[ChunkPoint], qs: list[Any], readable: list[int]) -> Any:
    from assistant.backends.edge_requests import edge_engine
    from assistant.backends.vectorstore_edge import EdgeVectorStore

    qe = edge_engine()

    store = EdgeVectorStore(folder / "edge", name="bench")
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    start = time.perf_counter()
    store.upsert(points)
    upsert_rate = len(points) / (time.perf_counter() - start)
    shard = store._shard  # the raw engine object our store wraps: same data, same process
    flt = qe.Filter(must=[qe.FieldCondition(key="collection_id", match=qe.MatchAny(any=readable))])
    exact = qe.SearchParams(exact=True)

    def raw_request(i: int, mode: str) -> Any:
        dense, sparse = qs[i]
        dense_q = qe.Query.Nearest(dense, using=DENSE)
        if mode == "dense":
            return qe.QueryRequest(
                limit=LIMIT, query=dense_q, filter=flt, params=exact, with_payload=True
            )
        sparse_q = qe.Query.Nearest(qe.SparseVector(sparse.indices, sparse.values), using=SPARSE)
        wide = prefetch_limit(LIMIT)
        return qe.QueryRequest(
            limit=LIMIT,
            prefetches=[
                qe.Prefetch(limit=wide, query=dense_q, filter=flt, params=exact),
                qe.Prefetch(limit=wide, query=sparse_q, filter=flt),
            ],
            query=qe.Fusion.Rrf(k=RRF_K),
            filter=flt,
            with_payload=True,
        )

    results = _compare_modes(
        store, qs, readable, lambda i, mode: [str(p.id) for p in shard.query(raw_request(i, mode))]
    )
    store.close()
    return results, upsert_rate


def _compare_modes(
    store: Any, qs: list[Any], readable: list[int], raw_ids: Callable[[int, str], list[str]]
) -> dict[str, Any]:
    """Our store.search vs the raw query (`raw_ids(i, mode)`), hybrid and dense, same queries."""
    results: dict[str, Any] = {}
    modes: tuple[SearchMode, ...] = ("hybrid", "dense")
    for mode in modes:

        def ours(i: int, mode: SearchMode = mode) -> list[str]:
            dense, sparse = qs[i]
            hits = store.search(
                dense=dense, sparse=sparse, collection_ids=readable, limit=LIMIT, mode=mode
            )
            return [h.point_id for h in hits]

        def raw(i: int, mode: str = mode) -> list[str]:
            return raw_ids(i, mode)

        results[mode] = _compare(ours, raw, len(qs))
    return results


def _bench_client(points: list[ChunkPoint], qs: list[Any], readable: list[int]) -> Any:
    from qdrant_client import QdrantClient, models

    from assistant.backends.vectorstore_qdrant import QdrantServerVectorStore

    client = QdrantClient(location=":memory:")
    store = QdrantServerVectorStore(client=client, name="bench")
    store.ensure_collection(embed_model=MODEL, dimension=DIM)
    start = time.perf_counter()
    store.upsert(points)
    upsert_rate = len(points) / (time.perf_counter() - start)
    flt = models.Filter(
        must=[models.FieldCondition(key="collection_id", match=models.MatchAny(any=readable))]
    )

    def raw_query(i: int, mode: str) -> Any:
        dense, sparse = qs[i]
        if mode == "dense":
            return client.query_points(
                "bench", query=dense, using=DENSE, query_filter=flt, limit=LIMIT
            )
        wide = prefetch_limit(LIMIT)
        sparse_q = models.SparseVector(indices=sparse.indices, values=sparse.values)
        return client.query_points(
            "bench",
            prefetch=[
                models.Prefetch(query=dense, using=DENSE, filter=flt, limit=wide),
                models.Prefetch(query=sparse_q, using=SPARSE, filter=flt, limit=wide),
            ],
            query=models.FusionQuery(fusion=models.Fusion.RRF),
            query_filter=flt,
            limit=LIMIT,
        )

    results = _compare_modes(
        store, qs, readable, lambda i, mode: [str(p.id) for p in raw_query(i, mode).points]
    )
    client.close()
    return results, upsert_rate


def run_retrieval_bench(
    sizes: Sequence[int] = (10_000, 100_000), queries: int = 200, quick: bool = False
) -> dict[str, Any]:
    """Latency of VectorStore.search vs the raw library at each size; quick = 2,000 points.

    Returns {"rows": [...harness rows...], "sizes": {N: {...}}, "settings": {...}}.
    """
    import numpy as np

    if quick:
        sizes, queries = (2_000,), min(queries, 50)
    rng = random.Random(42)
    readable = sorted(rng.sample(range(1, COLLECTIONS + 1), READABLE))
    dense_queries = _unit_vectors(np.random.default_rng(7), queries)
    qs = [(dense_queries[i].tolist(), _sparse(rng, 4)) for i in range(queries)]
    report: dict[str, Any] = {
        "settings": {
            "dimension": DIM,
            "collections": COLLECTIONS,
            "readable_collections": readable,
            "limit": LIMIT,
            "queries": queries,
        },
        "sizes": {},
        "rows": [],
    }
    for n in sizes:
        points = _points(n, seed=n)
        # qdrant-client local mode filters in Python (~0.5 s a query at 50k): fewer queries there.
        client_qs = qs if n <= 20_000 else qs[: max(20, queries // 10)]
        with tempfile.TemporaryDirectory(prefix="rag-bench-retrieval-") as folder:
            edge, edge_upsert = _bench_edge(Path(folder), points, qs, readable)
        client, client_upsert = _bench_client(points, client_qs, readable)
        report["sizes"][str(n)] = {
            "edge": edge,
            "client_local": client,
            "edge_upsert_points_per_s": round(edge_upsert),
            "client_upsert_points_per_s": round(client_upsert),
        }
        for backend, results in (("edge", edge), ("client local", client)):
            for mode, r in results.items():
                for pct in ("p50", "p95"):
                    report["rows"].append(
                        {
                            "metric": f"{mode} search {pct}, {backend}, {n:,} points",
                            "ours": r[f"ours_{pct}_ms"],
                            "raw": r[f"raw_{pct}_ms"],
                            "ratio": r[f"ratio_{pct}"],
                            "unit": "ms",
                            "target": f"<= {TARGET_RATIO}x",
                        }
                    )
    return report
