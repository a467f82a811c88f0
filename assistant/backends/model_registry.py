"""Model registry: what we know about each GGUF we may run (licence, quantisation, template, ...).

The file to run comes from settings (RAG_MODEL_PATH, RAG_MODEL_SHA256, RAG_MODEL_CONTEXT); the
registry adds the facts a setting cannot carry. A file missing from the registry still runs, with
conservative defaults (ChatML template, no language claims), so deployments can bring any GGUF.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class ModelSpec:
    name: str
    path: Path
    sha256: str  # expected digest; empty = not pinned
    licence: str
    quantisation: str
    context_length: int
    chat_template: str  # key of assistant.backends.chat_templates.CHAT_TEMPLATES
    # Languages the model answers usefully in. SmolLM2-135M writes gibberish in French
    # (FIELD-NOTES), so the grounding layer can prefer quote mode there.
    languages: tuple[str, ...] = ()
    # Whether the model can rewrite a follow-up ("and for London?") into a standalone question
    # from the conversation (assistant.chat.followup). SmolLM2-135M cannot: it echoes or drifts,
    # so the deterministic carry-over of the previous question's key terms is used instead.
    can_rewrite: bool = False


# Keyed by file name: the same file may live in different folders on different machines.
KNOWN_MODELS: dict[str, ModelSpec] = {
    "SmolLM2-135M-Instruct.Q4_1.gguf": ModelSpec(
        name="SmolLM2-135M-Instruct",
        path=Path("SmolLM2-135M-Instruct.Q4_1.gguf"),
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        licence="Apache-2.0",
        quantisation="Q4_1",
        context_length=8192,
        chat_template="chatml",
        languages=("en",),
        can_rewrite=False,
    ),
}


def current_model_spec() -> ModelSpec:
    """The spec of the configured local model. RAG_MODEL_SHA256, when set, overrides the registry
    pin; RAG_MODEL_CONTEXT caps the context window (never above what the model was trained for)."""
    path = Path(settings.RAG_MODEL_PATH)
    known = KNOWN_MODELS.get(path.name)
    if known is None:
        known = ModelSpec(
            name=path.stem or "unknown",
            path=path,
            sha256="",
            licence="unknown",
            quantisation="unknown",
            context_length=settings.RAG_MODEL_CONTEXT,
            chat_template="chatml",
            languages=(),
        )
    return replace(
        known,
        path=path,
        sha256=settings.RAG_MODEL_SHA256 or known.sha256,
        context_length=min(settings.RAG_MODEL_CONTEXT, known.context_length),
    )


_hash_cache: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """sha256 of a file, cached by (path, size, mtime) so /healthz stays cheap."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _hash_lock:
        if key in _hash_cache:
            return _hash_cache[key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _hash_lock:
        _hash_cache[key] = value
    return value
