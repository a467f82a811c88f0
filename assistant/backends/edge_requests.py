"""Request builders for the embedded qdrant-edge store (assistant.backends.vectorstore_edge):
small adapters between our calls and the engine's request objects, imported lazily."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from assistant.backends.vectorstore import SearchHit


def querier(request: Any) -> Callable[[Any], list[Any]]:
    def query(shard: Any) -> list[Any]:
        return list(shard.query(request))

    return query


def hit_from(point: Any, score: float) -> SearchHit:
    return SearchHit(point_id=str(point.id), score=score, payload=point.payload or {})


def scroller(request: Any) -> Callable[[Any], tuple[list[Any], Any]]:
    def scroll(shard: Any) -> tuple[list[Any], Any]:
        records, offset = shard.scroll(request)
        return list(records), offset

    return scroll


def edge_engine() -> Any:
    """qdrant_edge, imported on first use (it is a heavy native module)."""
    import qdrant_edge

    return qdrant_edge


def count_request(flt: Any = None) -> Any:
    qe = edge_engine()

    return qe.CountRequest(exact=True, filter=flt)


def match_value(qe: Any, key: str, value: int) -> Any:
    return qe.FieldCondition(key=key, match=qe.MatchValue(value=int(value)))


def match_any(qe: Any, values: Sequence[int]) -> Any:
    return qe.MatchAny(any=[int(v) for v in values])
