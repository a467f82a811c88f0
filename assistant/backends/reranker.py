"""Second-stage reranking: a small protocol and its sentence-transformers CrossEncoder
implementation, off by default.

Retrieval (assistant.chat.retrieval) fuses dense and sparse hits, then, when RAG_RERANK_MODEL
names a cross-encoder folder, reorders the first RAG_RERANK_CANDIDATES chunks by the reranker's
score before merging neighbours and cutting to RAG_TOP_K. A passage keeps its dense cosine as its
score, so the relevance threshold keeps its meaning; the reranker only changes the order.

No cross-encoder ships with its weights in a package on the index we install from (FIELD-NOTES,
README), so the stage is off unless a deployment brings a model folder (for example
cross-encoder/mmarco-mMiniLMv2-L12-H384-v1, multilingual). Like every model, it is loaded from
local files only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings


class RerankerUnavailable(Exception):
    """The configured reranking model cannot be loaded."""


class Reranker(Protocol):
    model_name: str

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """One relevance score per text (higher is more relevant), in order."""


class CrossEncoderReranker:
    def __init__(self, model: str, *, threads: int | None = None, batch_size: int = 16) -> None:
        path = Path(model)
        if not (path / "config.json").is_file():
            raise RerankerUnavailable(
                f"reranking model folder not found or incomplete: {model} "
                "(set RAG_RERANK_MODEL to a sentence-transformers CrossEncoder folder; no "
                "download is attempted)"
            )
        import torch
        from sentence_transformers import CrossEncoder

        torch.set_num_threads(threads or settings.RAG_EMBED_THREADS)
        try:
            self._model: Any = CrossEncoder(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise RerankerUnavailable(
                f"cannot load reranking model {model}: {type(exc).__name__}: {exc}"
            ) from exc
        self.model_name = path.name if path.name != "model" else path.parent.name
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        with self._lock:
            scores = self._model.predict(
                [(query, text) for text in texts],
                batch_size=self._batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return [float(value) for value in scores.reshape(len(texts), -1)[:, -1]]


_instance: Reranker | None = None
_loaded_for = ""
_lock = threading.Lock()


def get_reranker() -> Reranker | None:
    """The process-wide reranker for settings.RAG_RERANK_MODEL, or None when the stage is off."""
    global _instance, _loaded_for
    model = settings.RAG_RERANK_MODEL
    if not model:
        return None
    with _lock:
        if _instance is None or _loaded_for != model:
            _instance = CrossEncoderReranker(model)
            _loaded_for = model
        return _instance


def rerank(
    reranker: Reranker, query: str, items: Sequence[Any], text_of: Any, *, candidates: int
) -> list[Any]:
    """`items` (best first) with the first `candidates` reordered by the reranker's score; the
    rest keep their order after them. Ties keep the first stage's order."""
    head, tail = list(items[:candidates]), list(items[candidates:])
    scores = reranker.score(query, [text_of(item) for item in head])
    order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
    return [head[i] for i in order] + tail
