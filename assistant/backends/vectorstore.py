"""Vector store backends (embedded qdrant-edge / Qdrant server). Placeholder health probe only;
the VectorStore protocol and both backends land with the ingestion work."""

from __future__ import annotations

from django.conf import settings

from assistant.health import ComponentHealth


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
