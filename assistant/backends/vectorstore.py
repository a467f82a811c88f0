"""Vector store protocol. Backends: embedded qdrant-edge (default) and a Qdrant server.

Interface agreed for all features (ingestion writes, retrieval reads). Implementation: see the
backend modules; `get_vector_store()` returns the process-wide instance chosen by settings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from django.conf import settings

from assistant.health import ComponentHealth

SearchMode = Literal["hybrid", "dense", "sparse"]


class VectorStoreUnavailable(Exception):
    """Transient: the store cannot be reached or is locked. Tasks retry on this."""


class IndexModelMismatch(Exception):
    """The index was built with another embedding model or dimension: a reindex is needed."""


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@dataclass(frozen=True)
class ChunkPoint:
    point_id: str  # UUID string derived from (document id, version, chunk index)
    dense: list[float]
    sparse: SparseVector
    # collection_id, document_id, version, chunk_index, chunk_id, page_start, page_end, lang
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    point_id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class IndexInfo:
    embed_model: str
    dimension: int


class VectorStore(Protocol):
    def ensure_collection(self, *, embed_model: str, dimension: int) -> None:
        """Create the collection (dense + sparse with IDF modifier, payload indexes) if missing.
        Raises IndexModelMismatch when it exists with another model or dimension."""

    def index_info(self) -> IndexInfo | None: ...

    def upsert(self, points: Sequence[ChunkPoint]) -> None:
        """Insert or overwrite points by id (a redelivered task overwrites, never duplicates)."""

    def delete_points(self, point_ids: Sequence[str]) -> None: ...

    def delete_by_document(self, document_id: int, *, version: int | None = None) -> None: ...

    def delete_by_collection(self, collection_id: int) -> None: ...

    def search(
        self,
        *,
        dense: Sequence[float],
        sparse: SparseVector,
        collection_ids: Sequence[int],
        limit: int,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        """Top `limit` hits restricted to `collection_ids` (an empty list returns nothing).
        Hybrid = prefetch dense and sparse, fused with reciprocal-rank fusion."""

    def count(self, *, collection_ids: Sequence[int] | None = None) -> int: ...

    def iter_points(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every (point id, payload), for reconcile."""

    def drop(self) -> None:
        """Delete the whole collection (reindex from the database)."""

    def health(self) -> ComponentHealth: ...


def vector_store_health() -> ComponentHealth:
    if settings.RAG_QDRANT_URL:
        import httpx

        try:
            response = httpx.get(f"{settings.RAG_QDRANT_URL.rstrip('/')}/readyz", timeout=2)
            response.raise_for_status()
            return ComponentHealth(True, "qdrant server")
        except Exception as exc:
            return ComponentHealth(False, f"qdrant server unreachable: {type(exc).__name__}")
    path = settings.RAG_QDRANT_PATH
    path.mkdir(parents=True, exist_ok=True)
    return ComponentHealth(True, "embedded qdrant-edge")
