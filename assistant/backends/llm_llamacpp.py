"""The in-process backend: llama-cpp-python, imported only when a model is really loaded.

One model per process (assistant.backends.llm_factory shares it), its sha256 checked against the
pin before loading; llama.cpp contexts are not thread safe, so generation holds a lock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from assistant.backends.llm import CancelCheck, ModelIntegrityError
from assistant.backends.model_registry import ModelSpec, current_model_spec, file_sha256

logger = logging.getLogger(__name__)


def verify_model_file(spec: ModelSpec) -> str:
    """Return the file's sha256; raise ModelIntegrityError if missing or not the pinned digest."""
    if not spec.path.is_file():
        raise ModelIntegrityError(f"model file missing: {spec.path}")
    actual = file_sha256(spec.path)
    if spec.sha256 and actual != spec.sha256:
        raise ModelIntegrityError(
            f"refusing to load {spec.path.name}: sha256 mismatch "
            f"(expected {spec.sha256}, found {actual})"
        )
    return actual


class LlamaCppLLM:
    """llama-cpp-python in process. Thread budget from RAG_LLM_THREADS / RAG_LLM_BATCH_THREADS."""

    is_local = True

    def __init__(self, spec: ModelSpec | None = None) -> None:
        self.spec = spec or current_model_spec()
        self.model_sha256 = verify_model_file(self.spec)
        self.model_id = self.spec.name
        from llama_cpp import Llama  # heavy: imported only when a model is really loaded

        started = time.perf_counter()
        self._llama = Llama(
            model_path=str(self.spec.path),
            n_ctx=self.spec.context_length,
            n_threads=settings.RAG_LLM_THREADS,
            n_threads_batch=settings.RAG_LLM_BATCH_THREADS,
            n_batch=512,
            seed=0,
            verbose=False,
        )
        self.lock = threading.Lock()
        self.last_prompt = ""  # for the benchmark: replay the exact prompt on raw llama.cpp
        logger.info(
            "loaded %s (%s, ctx %d) in %.2fs",
            self.spec.path.name,
            self.spec.quantisation,
            self.spec.context_length,
            time.perf_counter() - started,
        )

    @property
    def llama(self) -> Any:
        return self._llama

    def close(self) -> None:
        """Free llama.cpp now (at exit, before the interpreter tears its bindings down)."""
        with self.lock:
            self._llama.close()

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str],
        should_stop: CancelCheck | None = None,
    ) -> Iterator[str]:
        with self.lock:
            self.last_prompt = prompt
            pieces: Any = self._llama.create_completion(
                prompt,
                max_tokens=max_tokens,
                stop=stop,
                temperature=0.0,  # greedy: answers are reproducible and audit-friendly
                repeat_penalty=1.1,
                stream=True,
            )
            try:
                for piece in pieces:
                    text = piece["choices"][0]["text"]
                    if text:
                        yield text
                    if should_stop is not None and should_stop():
                        break
            finally:
                pieces.close()  # frees llama.cpp before the lock is released
