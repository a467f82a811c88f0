"""ACL-filtered hybrid retrieval.

The collections searched are the intersection of what the server-side selector says the user may
read and what the request asked for: ids the user may not read are dropped silently, never trusted.
Every hit is then re-checked against the database (chunk exists, its document is the current
INDEXED version, its collection is readable), because the database is the source of truth and the
index may lag behind a revocation or a deletion.

Ranking uses one hybrid query (dense + sparse, fused by reciprocal rank). The store reports each
fused hit's dense cosine similarity as its score, so the relevance threshold (calibrated per
embedder: assistant.backends.embedder_registry) keeps a meaning (0..1).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from assistant.backends.vectorstore import SearchHit
from ingestion.models import Chunk, Document
from ingestion.pipeline.injection import REASONS, injection_reasons
from ingestion.selectors import readable_collection_ids

MERGE_MAX_CHUNKS = 3  # a merged passage never grows past this many neighbouring chunks


@dataclass
class Passage:
    """One source for the prompt: a chunk, or neighbouring chunks of one document merged."""

    chunk_ids: list[int]  # in document order
    chunk_id: int  # the best-ranked chunk of the passage
    point_id: str  # of that chunk
    document_id: int
    document_title: str
    document_version: int
    collection_id: int
    page_start: int | None
    page_end: int | None
    page: int | None  # where the best-ranked chunk starts: the page a citation points to
    text: str
    score: float  # dense cosine similarity of the best chunk (0..1)
    fused_rank: int
    # Instruction-like text (ingestion.pipeline.injection): stored on its chunks at ingestion and
    # looked for again here (chunks indexed before the check existed, RAG_TRUSTED_HOSTS changed).
    injection_reasons: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return bool(self.injection_reasons)


@dataclass
class RetrievalResult:
    searched_collection_ids: list[int]
    passages: list[Passage]
    raw_hits: list[SearchHit] = field(default_factory=list)  # as the vector store returned them
    max_score: float | None = None
    retrieval_ms: float = 0.0
    rerank_ms: float | None = None  # None: the reranking stage is off


def searchable_collection_ids(
    user: AbstractBaseUser | AnonymousUser, requested: Iterable[int] | None = None
) -> list[int]:
    """Readable collections ∩ requested (None or empty = all readable)."""
    readable = readable_collection_ids(user)
    if not requested:
        return readable
    wanted = {int(x) for x in requested}
    return [cid for cid in readable if cid in wanted]


def sparse_weight_for(
    embedder_languages: Iterable[str], language: str | None, question: str
) -> float:
    """Weight of the lexical list in the hybrid fusion. An English-only embedder ranks French
    questions poorly, and equal-weight fusion then lost to sparse-only search on the French
    evaluation set (manpages-fr: nDCG@10 0.671 hybrid vs 0.697 sparse); weighting sparse x3 for
    languages the embedder does not cover made hybrid the best mode in both languages."""
    from assistant.backends.language import detect_language

    languages = set(embedder_languages)
    lang = language or detect_language(question)
    if "*" in languages or lang in languages:
        return 1.0
    return settings.RAG_SPARSE_WEIGHT_UNCOVERED


def retrieve(
    *,
    user: AbstractBaseUser | AnonymousUser,
    question: str,
    collection_ids: Iterable[int] | None = None,
    language: str | None = None,
    top_k: int | None = None,
    min_score: float | None = None,
) -> RetrievalResult:
    """Passages relevant to `question` from collections `user` may read, best first.

    Returns an empty passage list when nothing clears `min_score` (the caller refuses). Raises
    VectorStoreUnavailable when the store cannot be reached.
    """
    from assistant.backends.embedder import get_embedder
    from assistant.backends.embedder_registry import thresholds
    from assistant.backends.language import detect_language
    from assistant.backends.lexical import sparse_vector
    from assistant.backends.reranker import get_reranker, rerank
    from assistant.backends.vectorstore_factory import get_vector_store

    started = time.perf_counter()
    top_k = top_k or settings.RAG_TOP_K
    calibrated = thresholds()
    threshold = calibrated.min_score if min_score is None else min_score
    # A passage in another language than the question scores lower with any embedder (MiniLM
    # far lower): it has its own calibrated threshold, so a French question over an English
    # document is not refused for its language (RAG_MIN_SCORE or `min_score` sets both).
    across = calibrated.min_score_cross_lingual if min_score is None else min_score
    question_language = language or detect_language(question)
    searched = searchable_collection_ids(user, collection_ids)
    if not searched:
        return RetrievalResult(searched, [], retrieval_ms=_ms(started))
    embedder = get_embedder()
    dense = embedder.embed_query(question)
    sparse = sparse_vector(question, lang=question_language)
    store = get_vector_store()
    reranker = get_reranker()
    # Ask for more than top_k: some hits may be dropped by the database re-check or merged (and
    # the reranker, when on, reorders a wider candidate list).
    limit = max(top_k * 3, settings.RAG_RERANK_CANDIDATES if reranker else 0)
    hits = store.search(
        dense=dense,
        sparse=sparse,
        collection_ids=searched,
        limit=limit,
        mode="hybrid",
        sparse_weight=sparse_weight_for(
            getattr(embedder, "languages", ("*",)), question_language, question
        ),
    )
    allowed = set(searched)
    hits = [h for h in hits if _payload_int(h.payload, "collection_id") in allowed]
    chunks = {
        c.point_id: c
        for c in Chunk.objects.filter(
            point_id__in=[h.point_id for h in hits],
            document__status=Document.Status.INDEXED,
            document__collection_id__in=searched,
        ).select_related("document")
        if c.version == c.document.version
    }
    scored: list[tuple[int, float, Chunk]] = []
    for rank, hit in enumerate(hits):
        chunk = chunks.get(hit.point_id)
        if chunk is None:
            continue
        scored.append((rank, hit.score, chunk))
    max_score = max((s for _, s, _ in scored), default=None)
    relevant = [
        (rank, score, chunk)
        for rank, score, chunk in scored
        if score >= (across if _other_language(chunk, question_language) else threshold)
    ]
    rerank_ms = None
    if reranker is not None and len(relevant) > 1:
        begun = time.perf_counter()
        reordered = rerank(
            reranker, question, relevant, lambda item: item[2].text,
            candidates=settings.RAG_RERANK_CANDIDATES,
        )  # fmt: skip
        relevant = [
            (new_rank, score, chunk) for new_rank, (_, score, chunk) in enumerate(reordered)
        ]
        rerank_ms = _ms(begun)
    passages = _merge_neighbours(relevant)[:top_k]
    return RetrievalResult(
        searched_collection_ids=searched,
        passages=passages,
        raw_hits=hits,
        max_score=max_score,
        retrieval_ms=_ms(started),
        rerank_ms=rerank_ms,
    )


def _other_language(chunk: Chunk, question_language: str) -> bool:
    document_language = chunk.document.language
    return bool(document_language) and document_language != question_language


def _merge_neighbours(scored: list[tuple[int, float, Chunk]]) -> list[Passage]:
    """Group hits of one document whose chunk indices touch (i, i+1) into one passage, kept at
    the rank of its best chunk. Overlapping text between consecutive chunks is not repeated."""
    by_doc: dict[tuple[int, int], list[tuple[int, float, Chunk]]] = {}
    for item in scored:
        chunk = item[2]
        by_doc.setdefault((chunk.document_id, chunk.version), []).append(item)
    passages: list[Passage] = []
    for items in by_doc.values():
        items.sort(key=lambda item: item[2].index)
        group: list[tuple[int, float, Chunk]] = []
        for item in items:
            if group and item[2].index == group[-1][2].index + 1 and len(group) < MERGE_MAX_CHUNKS:
                group.append(item)
            else:
                if group:
                    passages.append(_passage(group))
                group = [item]
        if group:
            passages.append(_passage(group))
    passages.sort(key=lambda p: p.fused_rank)
    return passages


def _passage(group: list[tuple[int, float, Chunk]]) -> Passage:
    best = min(group, key=lambda item: item[0])
    text = group[0][2].text
    end = group[0][2].char_end
    for _, _, chunk in group[1:]:
        overlap = end - chunk.char_start
        text += " " + (chunk.text[overlap:] if 0 < overlap < len(chunk.text) else chunk.text)
        end = chunk.char_end
    document = best[2].document
    pages = [p for _, _, c in group for p in (c.page_start, c.page_end) if p is not None]
    found = set(injection_reasons(text, trusted_hosts=settings.RAG_TRUSTED_HOSTS))
    for _, _, chunk in group:
        found.update(chunk.injection_reasons or [])
    return Passage(
        chunk_ids=[c.pk for _, _, c in group],
        chunk_id=best[2].pk,
        point_id=best[2].point_id,
        document_id=document.pk,
        document_title=document.title or document.original_name,
        document_version=document.version,
        collection_id=document.collection_id,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        page=best[2].page_start,
        text=text,
        score=max(score for _, score, _ in group),
        fused_rank=best[0],
        injection_reasons=[reason for reason in REASONS if reason in found],
    )


def _payload_int(payload: dict[str, Any], key: str) -> int | None:
    try:
        return int(payload[key])
    except (KeyError, TypeError, ValueError):
        return None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
