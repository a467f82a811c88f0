"""Vector store on a Qdrant server through qdrant-client (scale-out mode, RAG_QDRANT_URL).

The collection has a named dense vector "dense" (cosine) and a named sparse vector "sparse" with
Qdrant's IDF modifier, and integer payload indexes on collection_id, document_id and version.

The embedding model and dimension are recorded in a reserved metadata point (fixed id, no
collection_id, so no filtered query ever returns it) rather than in collection metadata, which
Qdrant servers before 1.16 (the compose file pins 1.15) silently drop.

Tests inject `QdrantClient(location=":memory:")` (qdrant-client's in-process mode, exact numpy
search) through the constructor; the same contract suite runs against a real server when
RAG_QDRANT_TEST_URL is set.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any, TypeVar

from assistant.backends.health import ComponentHealth
from assistant.backends.vectorstore import (
    DENSE,
    INDEXED_FIELDS,
    SPARSE,
    ChunkPoint,
    IndexInfo,
    IndexModelMismatch,
    SearchHit,
    SearchMode,
    SparseVector,
    VectorStoreUnavailable,
    check_dimension,
    check_index_info,
    cosine,
    fuse_weighted,
    index_info_from,
    prefetch_limit,
)

T = TypeVar("T")
META_POINT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "private-rag-assistant:index-metadata"))
_META_KEY = "_rag_index"
_BATCH = 256


class _Missing(Exception):
    """The collection does not exist (404 from a server, ValueError from local mode)."""


class QdrantServerVectorStore:
    def __init__(
        self,
        *,
        url: str | None = None,
        api_key: str | None = None,
        name: str = "rag_chunks",
        client: Any = None,
        timeout: int = 10,
    ) -> None:
        if client is None:
            from qdrant_client import QdrantClient

            # No version probe here: constructing the store must not block on the network.
            client = QdrantClient(
                url=url,
                api_key=api_key,
                timeout=timeout,
                prefer_grpc=False,
                check_compatibility=False,
            )
        self.client = client
        self.name = name
        self._url = url or "in-process"
        # Checked on every search; refreshed by index_info(), ensure_collection() and drop().
        self._info: IndexInfo | None = None

    def _call(self, action: Callable[[], T], *, default: T | None = None) -> T:
        """Run a client call, mapping transport failures to VectorStoreUnavailable and a missing
        collection to `default` (raised as _Missing when no default is given)."""
        from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

        try:
            return action()
        except UnexpectedResponse as exc:
            if exc.status_code == 404:
                if default is None:
                    raise _Missing(str(exc)) from exc
                return default
            if exc.status_code is None or exc.status_code >= 500 or exc.status_code == 429:
                raise VectorStoreUnavailable(f"qdrant server {self._url}: {exc}") from exc
            raise
        except ValueError as exc:
            if "not found" in str(exc):  # local mode's missing collection
                if default is None:
                    raise _Missing(str(exc)) from exc
                return default
            raise
        except (ResponseHandlingException, OSError, TimeoutError) as exc:
            raise VectorStoreUnavailable(f"qdrant server {self._url} unreachable: {exc}") from exc
        except Exception as exc:
            import httpx

            if isinstance(exc, httpx.HTTPError):
                raise VectorStoreUnavailable(f"qdrant server {self._url}: {exc}") from exc
            raise

    def close(self) -> None:
        self.client.close()

    # --- VectorStore ---------------------------------------------------------------------------

    def _exists(self) -> bool:
        return bool(self._call(lambda: self.client.collection_exists(self.name)))

    def index_info(self) -> IndexInfo | None:
        try:
            records = self._call(lambda: self.client.retrieve(self.name, [META_POINT_ID]))
        except _Missing:
            records = []
        self._info = index_info_from((records[0].payload or {}).get(_META_KEY)) if records else None
        return self._info

    def ensure_collection(self, *, embed_model: str, dimension: int) -> None:
        from qdrant_client import models

        if self._exists():
            recorded = self.index_info()
            check_index_info(recorded, embed_model=embed_model, dimension=dimension)
            if recorded is not None:
                return
            if self.count() > 0:
                raise IndexModelMismatch(
                    f"Qdrant collection {self.name} holds points but no record of its embedding "
                    "model: run `python manage.py reindex` to rebuild it"
                )
        else:
            self._call(
                lambda: self.client.create_collection(
                    self.name,
                    vectors_config={
                        DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
                    },
                    sparse_vectors_config={
                        SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)
                    },
                )
            )
            for field in INDEXED_FIELDS:
                self._call(partial(self._create_index, field))
        unit = [1.0] + [0.0] * (dimension - 1)  # cosine needs a non-zero vector
        meta = models.PointStruct(
            id=META_POINT_ID,
            vector={DENSE: unit},
            payload={_META_KEY: {"embed_model": embed_model, "dimension": dimension}},
        )
        self._call(lambda: self.client.upsert(self.name, [meta], wait=True))
        self._info = IndexInfo(embed_model=embed_model, dimension=dimension)

    def _create_index(self, field: str) -> Any:
        from qdrant_client import models

        with warnings.catch_warnings():
            # In-process mode ignores payload indexes (and warns); a server uses them.
            warnings.filterwarnings("ignore", message="Payload indexes have no effect")
            return self.client.create_payload_index(
                self.name, field, field_schema=models.PayloadSchemaType.INTEGER
            )

    def upsert(self, points: Sequence[ChunkPoint]) -> None:
        if not points:
            return
        from qdrant_client import models

        info = self.index_info()
        if info is None:
            raise RuntimeError("upsert before ensure_collection(): the index has no model yet")
        for point in points:
            check_dimension(point.dense, info)
        for start in range(0, len(points), _BATCH):
            batch = [
                models.PointStruct(
                    id=p.point_id,
                    vector={
                        DENSE: list(p.dense),
                        SPARSE: models.SparseVector(
                            indices=list(p.sparse.indices), values=list(p.sparse.values)
                        ),
                    },
                    payload=dict(p.payload),
                )
                for p in points[start : start + _BATCH]
            ]
            self._call(partial(self.client.upsert, self.name, batch, wait=True))

    def delete_points(self, point_ids: Sequence[str]) -> None:
        if point_ids:
            from qdrant_client import models

            selector = models.PointIdsList(points=[str(i) for i in point_ids])
            self._delete(selector)

    def delete_by_document(self, document_id: int, *, version: int | None = None) -> None:
        from qdrant_client import models

        must = [_match(models, "document_id", document_id)]
        if version is not None:
            must.append(_match(models, "version", version))
        self._delete(models.FilterSelector(filter=models.Filter(must=must)))

    def delete_by_collection(self, collection_id: int) -> None:
        from qdrant_client import models

        flt = models.Filter(must=[_match(models, "collection_id", collection_id)])
        self._delete(models.FilterSelector(filter=flt))

    def _delete(self, selector: Any) -> None:
        self._call(
            lambda: self.client.delete(self.name, points_selector=selector, wait=True), default=True
        )

    def search(
        self,
        *,
        dense: Sequence[float],
        sparse: SparseVector,
        collection_ids: Sequence[int],
        limit: int,
        mode: SearchMode = "hybrid",
        sparse_weight: float = 1.0,
    ) -> list[SearchHit]:
        """See VectorStore.search. Hybrid: one query_points call with dense and sparse prefetches
        under the collection filter and FusionQuery(RRF); the dense vectors of the fused hits come
        back with them and each score is replaced by their cosine with the query (numpy)."""
        if not collection_ids or limit <= 0:
            return []
        info = self._info or self.index_info()
        if info is not None:
            check_dimension(dense, info)
        from qdrant_client import models

        flt = models.Filter(
            must=[
                models.FieldCondition(
                    key="collection_id",
                    match=models.MatchAny(any=[int(c) for c in collection_ids]),
                )
            ]
        )
        sparse_query = models.SparseVector(indices=list(sparse.indices), values=list(sparse.values))
        kwargs: dict[str, Any]
        if mode == "dense":
            kwargs = {"query": list(dense), "using": DENSE}
        elif mode == "sparse":
            if not sparse.indices:
                return []
            kwargs = {"query": sparse_query, "using": SPARSE}
        else:
            wide = prefetch_limit(limit)
            prefetch = [models.Prefetch(query=list(dense), using=DENSE, filter=flt, limit=wide)]
            if sparse.indices:
                prefetch.append(
                    models.Prefetch(query=sparse_query, using=SPARSE, filter=flt, limit=wide)
                )
            if sparse.indices and sparse_weight != 1.0:
                return self._weighted_hybrid(flt, dense, sparse_query, limit, wide, sparse_weight)
            kwargs = {
                "prefetch": prefetch,
                "query": models.FusionQuery(fusion=models.Fusion.RRF),
                "with_vectors": [DENSE],
            }
        try:
            response = self._call(
                lambda: self.client.query_points(
                    self.name, query_filter=flt, limit=limit, with_payload=True, **kwargs
                )
            )
        except _Missing:
            return []
        scores = [float(point.score) for point in response.points]
        if mode == "hybrid":
            stored = [(point.vector or {}).get(DENSE) for point in response.points]
            if all(vector is not None for vector in stored):
                scores = cosine(dense, [vector for vector in stored if vector is not None])
        return [
            SearchHit(point_id=str(point.id), score=score, payload=point.payload or {})
            for point, score in zip(response.points, scores, strict=True)
        ]

    def _weighted_hybrid(
        self,
        flt: Any,
        dense: Sequence[float],
        sparse_query: Any,
        limit: int,
        wide: int,
        sparse_weight: float,
    ) -> list[SearchHit]:
        """Hybrid with a sparse weight: both candidate lists, fused by weighted_rrf here (RRF
        weights are not available on every server version nor in the client's local mode)."""
        lists = []
        for query, using in ((list(dense), DENSE), (sparse_query, SPARSE)):

            def run(q: Any = query, u: str = using) -> Any:
                return self.client.query_points(
                    self.name,
                    query=q,
                    using=u,
                    query_filter=flt,
                    limit=wide,
                    with_payload=True,
                    with_vectors=[DENSE],
                )

            try:
                response = self._call(run)
            except _Missing:
                return []
            lists.append(list(response.points))
        return fuse_weighted(
            lists,
            sparse_weight=sparse_weight,
            dense=dense,
            limit=limit,
            vector_of=lambda point: (point.vector or {})[DENSE],
        )

    def count(self, *, collection_ids: Sequence[int] | None = None) -> int:
        from qdrant_client import models

        if collection_ids is not None and not collection_ids:
            return 0
        if collection_ids is None:
            flt = models.Filter(must_not=[models.HasIdCondition(has_id=[META_POINT_ID])])
        else:
            flt = models.Filter(
                must=[
                    models.FieldCondition(
                        key="collection_id",
                        match=models.MatchAny(any=[int(c) for c in collection_ids]),
                    )
                ]
            )
        try:
            result = self._call(lambda: self.client.count(self.name, count_filter=flt, exact=True))
        except _Missing:
            return 0
        return int(result.count)

    def iter_points(self) -> Iterator[tuple[str, dict[str, Any]]]:
        offset: Any = None
        while True:
            try:
                records, offset = self._call(
                    partial(
                        self.client.scroll,
                        self.name,
                        limit=_BATCH,
                        offset=offset,
                        with_payload=True,
                        with_vectors=False,
                    )
                )
            except _Missing:
                return
            for record in records:
                if str(record.id) != META_POINT_ID:
                    yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def drop(self) -> None:
        self._call(lambda: self.client.delete_collection(self.name), default=True)
        self._info = None

    def health(self) -> ComponentHealth:
        try:
            total = self.count()
            info = self.index_info()
        except Exception as exc:
            return ComponentHealth(False, f"qdrant server unreachable: {type(exc).__name__}")
        model = f", {info.embed_model}/{info.dimension}" if info else ", empty index"
        return ComponentHealth(True, f"qdrant server: {total} points{model}")


def _match(models: Any, key: str, value: int) -> Any:
    return models.FieldCondition(key=key, match=models.MatchValue(value=int(value)))
