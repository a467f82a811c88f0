"""The one LLM factory: the class that builds each backend kind, and the models this process shares.

Kinds map to dotted paths, so importing this module loads no backend (nor llama_cpp, nor httpx)
until one is built. Two kinds ship: `llamacpp` (in process) and `openai` (a server). A test suite
registers its own doubles the same way (tests/settings.py).

- An in-process backend loads a model into this process: it is built with no argument (the model
  is RAG_MODEL_PATH), once, and every caller shares it until that path changes or reset_llm().
- A server backend is a cheap client: create_llm() builds a fresh one per call from plain values
  (it holds that request's token usage); get_llm() keeps one built from the RAG_LLM_* settings.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from assistant.backends.llm import LLM


@dataclass(frozen=True)
class _Backend:
    path: str  # dotted path of the class
    in_process: bool


_backends: dict[str, _Backend] = {
    "llamacpp": _Backend("assistant.backends.llm_llamacpp.LlamaCppLLM", in_process=True),
    "openai": _Backend("assistant.backends.llm_openai.OpenAICompatibleLLM", in_process=False),
}


def register_llm_backend(kind: str, path: str, *, in_process: bool) -> None:
    """Make `kind` buildable by the class at the dotted `path` (imported on first build). An
    in-process class is built with no argument; a server class with the keyword arguments of
    create_llm() after `kind`. Registering a kind again replaces it."""
    _backends[kind] = _Backend(path, in_process)


def llm_backend_kinds() -> dict[str, bool]:
    """Every buildable kind, mapped to whether it runs in this process (routing validates its
    routes against this)."""
    return {kind: backend.in_process for kind, backend in _backends.items()}


def _backend(kind: str) -> _Backend:
    try:
        return _backends[kind]
    except KeyError:
        known = ", ".join(sorted(_backends))
        raise ImproperlyConfigured(f"unknown LLM backend {kind!r} (known: {known})") from None


def create_llm(
    kind: str,
    *,
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    context_length: int | None = None,
    is_local: bool = False,
) -> LLM:
    """The model of `kind`. An in-process kind gives the process-wide model (loaded on first use;
    the other arguments do not apply to it); a server kind gives a fresh client built from them,
    None meaning the RAG_LLM_* setting (an empty `api_key` sends no key). Raises
    ImproperlyConfigured for an unknown kind, ModelIntegrityError when the local model file is
    missing or not the pinned one."""
    backend = _backend(kind)
    if backend.in_process:
        return _shared_model(kind, backend)
    client: LLM = import_string(backend.path)(
        base_url=base_url,
        model=model,
        api_key=api_key,
        timeout=timeout,
        context_length=context_length,
        is_local=is_local,
    )
    return client


# In-process models by kind, with the RAG_MODEL_PATH each was loaded from.
_models: dict[str, tuple[str, LLM]] = {}
_load_lock = threading.Lock()
# get_llm()'s client when settings.RAG_LLM_BACKEND is a server kind.
_client: LLM | None = None
_client_kind = ""
_client_lock = threading.Lock()


def _shared_model(kind: str, backend: _Backend) -> LLM:
    """Only one thread loads (the load lock); the server client has its own lock, so a slow load
    never blocks get_llm() on a server backend."""
    path = str(settings.RAG_MODEL_PATH)
    with _load_lock:
        loaded = _models.get(kind)
        if loaded is not None and loaded[0] == path:
            return loaded[1]
        model: LLM = import_string(backend.path)()
        close = getattr(model, "close", None)
        if callable(close):
            atexit.register(close)  # frees llama.cpp before the interpreter tears its bindings down
        _models[kind] = (path, model)
        return model


def get_llm() -> LLM:
    """The process-wide model for settings.RAG_LLM_BACKEND, loaded on first use (for a server
    backend, one client built from the RAG_LLM_* settings). Raises ModelIntegrityError when the
    local model file is missing or not the pinned one."""
    global _client, _client_kind
    kind = settings.RAG_LLM_BACKEND
    backend = _backend(kind)
    if backend.in_process:
        return _shared_model(kind, backend)
    with _client_lock:
        if _client is None or _client_kind != kind:
            _client, _client_kind = create_llm(kind), kind
        return _client


def reset_llm() -> None:
    """Forget the process-wide models and client (tests; settings change)."""
    global _client, _client_kind
    with _client_lock:
        _client, _client_kind = None, ""
    with _load_lock:
        _models.clear()
