"""Component health for /healthz. Cheap checks only: nothing here loads torch or llama.cpp."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import connection

from assistant.backends.health import ComponentHealth
from assistant.backends.model_registry import current_model_spec, file_sha256


def check_database() -> ComponentHealth:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return ComponentHealth(True, connection.vendor)
    except Exception as exc:
        return ComponentHealth(False, f"unreachable: {type(exc).__name__}")


def check_broker() -> ComponentHealth:
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    kind = "embedded" if settings.RAG_EMBEDDED_BROKER else url.split("://", 1)[0]
    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return ComponentHealth(True, kind)
    except Exception as exc:
        return ComponentHealth(False, f"{kind} unreachable: {type(exc).__name__}")


def check_vector_store() -> ComponentHealth:
    from assistant.backends.vectorstore_factory import vector_store_health

    return vector_store_health()


def check_model_file(path: Path, expected_sha256: str) -> ComponentHealth:
    """The GGUF must exist and, when a sha256 is pinned, match it exactly."""
    if not path.is_file():
        return ComponentHealth(False, f"model file missing: {path.name or '(not configured)'}")
    if expected_sha256:
        actual = file_sha256(path)
        if actual != expected_sha256:
            return ComponentHealth(
                False,
                f"sha256 mismatch for {path.name}: expected {expected_sha256[:12]}…, "
                f"found {actual[:12]}…",
            )
        return ComponentHealth(True, f"{path.name} (sha256 verified)")
    return ComponentHealth(True, f"{path.name} (sha256 not pinned)")


def check_llm() -> ComponentHealth:
    backend = settings.RAG_LLM_BACKEND
    if backend == "openai":
        import httpx

        try:
            response = httpx.get(f"{settings.RAG_LLM_URL.rstrip('/')}/models", timeout=2)
            response.raise_for_status()
            return ComponentHealth(True, "openai-compatible server")
        except Exception as exc:
            return ComponentHealth(False, f"model server unreachable: {type(exc).__name__}")
    if backend != "llamacpp":  # a kind that another settings module registered
        return ComponentHealth(True, f"{backend} (not checked)")
    # The registry pins known models (e.g. the shipped SmolLM2); RAG_MODEL_SHA256 overrides it.
    spec = current_model_spec()
    return check_model_file(spec.path, spec.sha256)


def check_embedder() -> ComponentHealth:
    model = settings.RAG_EMBED_MODEL
    path = Path(model)
    if path.is_absolute() or model.startswith("."):
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            return ComponentHealth(False, f"embedding model folder incomplete: {path.name}")
        return ComponentHealth(True, path.parent.name if path.name == "model" else path.name)
    return ComponentHealth(True, model)


CHECKS = {
    "database": check_database,
    "broker": check_broker,
    "vector_store": check_vector_store,
    "llm": check_llm,
    "embedder": check_embedder,
}


def system_health() -> dict[str, ComponentHealth]:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a broken check is itself a failing component
            results[name] = ComponentHealth(False, f"check failed: {type(exc).__name__}")
    return results
