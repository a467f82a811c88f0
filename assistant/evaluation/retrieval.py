"""Index an evaluation set into a temporary embedded store and score dense, sparse and hybrid.

Each document is one `document_id` in collection 1; its text is chunked by words (dataset.py) and
embedded with the real embedder; sparse vectors come from the real lexical backend. Every query
runs through VectorStore.search in the three modes, hits are deduplicated by document, and the
rankings are scored (metrics.py). To explain a hybrid that loses to a single mode, the deep dense
and sparse chunk rankings are also fused client-side with other RRF settings ("fusion variants");
those numbers describe alternatives, the three modes are what the product does.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.evaluation.dataset import EvalSet, chunk_words
from assistant.evaluation.metrics import documents_in_order, rrf_fuse, score_run

if TYPE_CHECKING:
    from assistant.backends.vectorstore import SearchMode

COLLECTION_ID = 1
MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")
# Chunk hits fetched per query: 10 distinct documents need at most 10 x max_chunks chunks.
SEARCH_LIMIT = 50
METRICS = ("recall@5", "mrr@10", "ndcg@10")
# (name, RRF k, [dense weight, sparse weight]) fused client-side over the deep chunk rankings.
FUSION_VARIANTS: tuple[tuple[str, int, tuple[float, float]], ...] = (
    ("rrf k=2 (store default)", 2, (1.0, 1.0)),
    ("rrf k=60", 60, (1.0, 1.0)),
    ("rrf k=60, sparse x2", 60, (1.0, 2.0)),
    ("rrf k=2, sparse x2", 2, (1.0, 2.0)),
    ("rrf k=2, sparse x3", 2, (1.0, 3.0)),
    ("rrf k=2, dense x2", 2, (2.0, 1.0)),
)
_POINT_NAMESPACE = uuid.UUID("6f1c9c39-8f3c-4c6e-9a53-5d1f0e8b2a71")


@dataclass(frozen=True)
class EvalChunk:
    point_id: str
    doc_id: int
    index: int
    text: str


def chunk_set(eval_set: EvalSet, *, max_chunks: int | None) -> list[EvalChunk]:
    chunks = []
    for doc in eval_set.documents:
        for index, text in enumerate(chunk_words(doc.text, max_chunks=max_chunks)):
            point_id = str(uuid.uuid5(_POINT_NAMESPACE, f"{eval_set.name}:{doc.doc_id}:{index}"))
            chunks.append(EvalChunk(point_id, doc.doc_id, index, text))
    return chunks


def _ms_summary(samples: Sequence[float]) -> dict[str, float]:
    if not samples:
        return {"p50_ms": 0.0, "p95_ms": 0.0}
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2)}


def _index(
    store: Any, eval_set: EvalSet, chunks: Sequence[EvalChunk], sparse_vectors: Sequence[Any],
    embedder: Any, progress: Callable[[str], None],
) -> float:  # fmt: skip
    """Embed and upsert every chunk (batches of 64); return the seconds it took."""
    from assistant.backends.vectorstore import ChunkPoint

    store.ensure_collection(embed_model=embedder.model_name, dimension=embedder.dimension)
    started = time.perf_counter()
    batch = 64
    for start in range(0, len(chunks), batch):
        part = chunks[start : start + batch]
        vectors = embedder.embed_documents([chunk.text for chunk in part])
        store.upsert(
            [
                ChunkPoint(
                    point_id=chunk.point_id,
                    dense=vector,
                    sparse=sparse_vectors[start + offset],
                    payload={
                        "collection_id": COLLECTION_ID,
                        "document_id": chunk.doc_id,
                        "version": 1,
                        "chunk_index": chunk.index,
                        "lang": eval_set.language,
                    },
                )
                for offset, (chunk, vector) in enumerate(zip(part, vectors, strict=True))
            ]
        )
        progress(f"{eval_set.name}/{embedder.model_name}: {start + len(part)}/{len(chunks)}")
    seconds = time.perf_counter() - started
    if store.count(collection_ids=[COLLECTION_ID]) != len(chunks):
        raise RuntimeError("the store does not hold every indexed chunk")
    return seconds


def evaluate_model(
    eval_set: EvalSet,
    chunks: Sequence[EvalChunk],
    sparse_vectors: Sequence[Any],
    embedder: Any,
    *,
    store_dir: Path,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Index `chunks` with `embedder` into a fresh EdgeVectorStore under `store_dir`, run every
    query in the three modes and the fusion variants, return scores and timings."""
    from assistant.backends.lexical import sparse_vector
    from assistant.backends.vectorstore import prefetch_limit
    from assistant.backends.vectorstore_edge import EdgeVectorStore

    store = EdgeVectorStore(store_dir, name="eval")
    try:
        index_seconds = _index(store, eval_set, chunks, sparse_vectors, embedder, progress)
        deep = prefetch_limit(SEARCH_LIMIT)
        rankings: dict[str, list[list[int]]] = {mode: [] for mode in MODES}
        variants: dict[str, list[list[int]]] = {name: [] for name, _, _ in FUSION_VARIANTS}
        latencies: dict[str, list[float]] = {mode: [] for mode in MODES}
        embed_ms: list[float] = []
        agreement = 0
        doc_of = {chunk.point_id: chunk.doc_id for chunk in chunks}

        from assistant.chat.retrieval import sparse_weight_for

        # "hybrid" is what the chat serves: the sparse list weighted as retrieval weights it
        # for this language and embedder (equal weights when the embedder covers it).
        weight = sparse_weight_for(
            getattr(embedder, "languages", ("*",)), eval_set.question_language, ""
        )

        def search(dense: list[float], sparse: Any, mode: SearchMode, limit: int) -> list[Any]:
            return store.search(
                dense=dense,
                sparse=sparse,
                collection_ids=[COLLECTION_ID],
                limit=limit,
                mode=mode,
                sparse_weight=weight if mode == "hybrid" else 1.0,
            )

        from assistant.backends.embedder_registry import calibration_for

        calibration = calibration_for(embedder.model_name)
        across = eval_set.question_language != eval_set.language
        min_score = calibration.min_score_cross_lingual if across else calibration.min_score
        refused = 0
        for query in eval_set.queries:
            t0 = time.perf_counter()
            dense = embedder.embed_query(query.text)
            sparse = sparse_vector(query.text, lang=eval_set.question_language)
            embed_ms.append((time.perf_counter() - t0) * 1000)
            for mode in MODES:
                t0 = time.perf_counter()
                hits = search(dense, sparse, mode, SEARCH_LIMIT)
                latencies[mode].append((time.perf_counter() - t0) * 1000)
                rankings[mode].append(documents_in_order(h.payload["document_id"] for h in hits))
                if mode == "hybrid":  # what the chat does: no hit at the threshold = refusal
                    refused += not any(h.score >= min_score for h in hits)
            # Deep chunk rankings, as the store's hybrid prefetches them, fused here.
            deep_lists = [[h.point_id for h in search(dense, sparse, m, deep)] for m in MODES[:2]]
            for name, k, weights in FUSION_VARIANTS:
                fused = rrf_fuse(deep_lists, k=k, weights=weights)[:SEARCH_LIMIT]
                variants[name].append(documents_in_order(doc_of[p] for p in fused))
            client, served = variants[FUSION_VARIANTS[0][0]][-1], rankings["hybrid"][-1]
            agreement += set(client[:10]) == set(served[:10])
        relevants = [query.relevant for query in eval_set.queries]
        modes: dict[str, dict[str, float]] = {
            mode: score_run(rankings[mode], relevants) for mode in MODES
        }
        return {
            "model": embedder.model_name,
            "dimension": embedder.dimension,
            "chunks": len(chunks),
            "index_seconds": round(index_seconds, 2),
            "chunks_per_second": round(len(chunks) / index_seconds, 1) if index_seconds else None,
            "query_embed": _ms_summary(embed_ms),
            "search_latency": {mode: _ms_summary(latencies[mode]) for mode in MODES},
            "modes": modes,
            "fusion_variants": {
                name: score_run(variants[name], relevants) for name, _, _ in FUSION_VARIANTS
            },
            # Share of queries whose top-10 documents are the same set for the store's hybrid and
            # client-side RRF k=2 over the same prefetches: checks the store fuses as documented
            # (order may differ on RRF ties, which the two sides break differently).
            "store_fusion_agreement": round(agreement / len(eval_set.queries), 3)
            if eval_set.queries
            else None,
            "hybrid_vs_best_single": hybrid_verdict(modes),
            # Every query of these sets is answerable: a query whose hybrid hits all score
            # below the embedder's calibrated relevance threshold would be refused.
            "min_score": min_score,
            "false_refusals": round(refused / len(eval_set.queries), 3)
            if eval_set.queries
            else None,
        }
    finally:
        store.close()


def hybrid_verdict(modes: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Per metric: hybrid minus the best single mode (>= 0 means hybrid is at least as good)."""
    verdict: dict[str, Any] = {}
    for metric in METRICS:
        best_single = max(modes["dense"][metric], modes["sparse"][metric])
        verdict[metric] = round(modes["hybrid"][metric] - best_single, 4)
    verdict["ok"] = all(verdict[metric] >= 0 for metric in METRICS)
    return verdict


def run_retrieval_evaluation(
    eval_sets: Sequence[EvalSet],
    embedders: Sequence[Callable[[], Any]],
    *,
    max_chunks: int | None,
    progress: Callable[[str], None] = lambda message: None,
) -> list[dict[str, Any]]:
    """One result per (set, model). `embedders` are factories, called once each (models load
    lazily, one after another, so only one extra model is in memory at a time)."""
    from assistant.backends.lexical import sparse_vector

    prepared = []
    for eval_set in eval_sets:
        chunks = chunk_set(eval_set, max_chunks=max_chunks)
        t0 = time.perf_counter()
        sparse = [sparse_vector(chunk.text, lang=eval_set.language) for chunk in chunks]
        prepared.append((eval_set, chunks, sparse, time.perf_counter() - t0))
    results = []
    for factory in embedders:
        embedder = factory()
        for eval_set, chunks, sparse, sparse_seconds in prepared:
            with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
                result = evaluate_model(
                    eval_set, chunks, sparse, embedder, store_dir=Path(tmp), progress=progress
                )
            result.update(
                {
                    "set": eval_set.name,
                    "language": eval_set.language,
                    "question_language": eval_set.question_language,
                    "source": eval_set.source,
                    "documents": len(eval_set.documents),
                    "queries": len(eval_set.queries),
                    "sparse_seconds": round(sparse_seconds, 2),
                }
            )
            results.append(result)
    return results
