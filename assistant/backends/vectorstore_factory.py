"""The process-wide vector store: a Qdrant server when RAG_QDRANT_URL is set, else the embedded
qdrant-edge shard under RAG_QDRANT_PATH. Each backend module is imported only when it is chosen."""

from __future__ import annotations

import atexit
import logging
import threading

from django.conf import settings

from assistant.backends.health import ComponentHealth
from assistant.backends.vectorstore import VectorStore

logger = logging.getLogger(__name__)

_store: VectorStore | None = None
_store_key: tuple[str, str, str] | None = None
_store_lock = threading.Lock()


def _settings_key() -> tuple[str, str, str]:
    return (
        settings.RAG_QDRANT_URL,
        str(settings.RAG_QDRANT_PATH),
        settings.RAG_QDRANT_COLLECTION,
    )


def get_vector_store() -> VectorStore:
    """The process-wide store: a Qdrant server when RAG_QDRANT_URL is set, else the embedded
    qdrant-edge shard under RAG_QDRANT_PATH (opened lazily, once per process: the engine locks its
    folder, so a second process gets VectorStoreUnavailable). A settings change (tests) reopens."""
    global _store, _store_key
    key = _settings_key()
    with _store_lock:
        if _store is not None and _store_key == key:
            return _store
        if _store is not None:
            _close_quietly(_store)
        store: VectorStore
        if settings.RAG_QDRANT_URL:
            from assistant.backends.vectorstore_qdrant import QdrantServerVectorStore

            store = QdrantServerVectorStore(
                url=settings.RAG_QDRANT_URL,
                api_key=settings.RAG_QDRANT_API_KEY or None,
                name=settings.RAG_QDRANT_COLLECTION,
            )
        else:
            from assistant.backends.vectorstore_edge import EdgeVectorStore

            store = EdgeVectorStore(settings.RAG_QDRANT_PATH, name=settings.RAG_QDRANT_COLLECTION)
        _store, _store_key = store, key
        return store


def reset_vector_store() -> None:
    """Close and forget the process-wide store (tests; settings change)."""
    global _store, _store_key
    with _store_lock:
        if _store is not None:
            _close_quietly(_store)
        _store, _store_key = None, None


# Close (and so flush) the embedded shard on a normal exit; a killed process recovers from the WAL.
atexit.register(reset_vector_store)


def _close_quietly(store: object) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            logger.warning("closing the vector store failed", exc_info=True)


def vector_store_health() -> ComponentHealth:
    """Health of the process-wide store (counts its points).

    In the embedded mode the web server and the worker are one process, so opening the shard here
    takes no lock away from anyone; when another process holds it, this reports it as unhealthy
    instead of waiting.
    """
    try:
        return get_vector_store().health()
    except Exception as exc:
        return ComponentHealth(False, f"vector store unavailable: {type(exc).__name__}: {exc}")
