"""Language model backends behind one small protocol.

- `llamacpp`: llama-cpp-python in process. One model instance per process, loaded once, its sha256
  checked before loading; llama.cpp contexts are not thread safe, so generation holds a lock.
- `openai`: any OpenAI-compatible server (llama-server, vLLM, an external API), streamed over SSE
  with timeouts. Falling back to another model is the route chain's job (assistant.chat.routing).
- `fake`: deterministic replies for fast unit tests (RAG_LLM_BACKEND=fake), never for production.

All backends take an already formatted prompt string (see assistant.chat.prompting): the fixed system
prefix stays byte-identical between requests, so llama.cpp reuses its KV cache for it.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from django.conf import settings

from assistant.backends.model_registry import ModelSpec, current_model_spec
from assistant.health import file_sha256

logger = logging.getLogger(__name__)

CancelCheck = Callable[[], bool]


class LLMError(Exception):
    """Generation failed; the message is safe to show to the user."""


class LLMUnavailable(LLMError):
    """The model server cannot be reached, failed (5xx) or timed out before its first token
    (transient: another route may answer)."""


class LLMTimedOut(LLMUnavailable):
    """The server did not answer within the timeout, before its first token."""


class LLMRateLimited(LLMUnavailable):
    """The server answered 429; `retry_after` is its Retry-After in seconds, when it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelIntegrityError(LLMError):
    """The model file is missing or its sha256 does not match the pin: it is never loaded."""


class LLM(Protocol):
    model_id: str
    model_sha256: str
    spec: ModelSpec
    is_local: bool

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` with the model's own tokenizer (special tokens parsed)."""

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str],
        should_stop: CancelCheck | None = None,
    ) -> Iterator[str]:
        """Yield text pieces as the model produces them. Stops early when `should_stop()` turns
        true (stop button, client gone). Raises LLMError (LLMUnavailable for a dead server)."""


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


class FakeLLM:
    """Deterministic backend for fast unit tests. Replies `settings.RAG_FAKE_LLM_REPLY` if set
    (a test-only setting), else a fixed sentence citing source [1]; one word per piece, with an
    optional pause `RAG_FAKE_LLM_DELAY` seconds between pieces so tests can watch it stream."""

    is_local = True
    model_id = "fake"
    model_sha256 = ""

    def __init__(self) -> None:
        self.spec = ModelSpec(
            name="fake",
            path=current_model_spec().path,
            sha256="",
            licence="n/a",
            quantisation="n/a",
            context_length=settings.RAG_MODEL_CONTEXT,
            chat_template="chatml",
            # Test-only setting: make the fake claim the languages of a given model.
            languages=tuple(getattr(settings, "RAG_FAKE_LLM_LANGUAGES", None) or ("en", "fr")),
        )
        self.prompts: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split()) + text.count("<|")

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str],
        should_stop: CancelCheck | None = None,
    ) -> Iterator[str]:
        self.prompts.append(prompt)
        reply = getattr(settings, "RAG_FAKE_LLM_REPLY", None) or (
            "According to the documents, the answer is in the first source [1]."
        )
        delay = float(getattr(settings, "RAG_FAKE_LLM_DELAY", 0) or 0)
        words = reply.split(" ")
        for position, word in enumerate(words[:max_tokens]):
            if delay:
                time.sleep(delay)
            yield word if position == 0 else " " + word
            if should_stop is not None and should_stop():
                break


_instance: LLM | None = None
_instance_key: tuple[str, str] | None = None
_instance_lock = threading.Lock()


def _get(backend: str) -> LLM:
    global _instance, _instance_key
    key = (backend, str(settings.RAG_MODEL_PATH) if backend == "llamacpp" else backend)
    with _instance_lock:
        if _instance is not None and _instance_key == key:
            return _instance
    if backend == "llamacpp":
        return local_llm()
    if backend == "openai":
        from assistant.backends.llm_openai import OpenAICompatibleLLM

        llm: LLM = OpenAICompatibleLLM()
    else:
        llm = FakeLLM()
    with _instance_lock:
        _instance, _instance_key = llm, key
    return llm


_load_lock = threading.Lock()
_local: LLM | None = None
_local_path = ""


def local_llm() -> LLM:
    """The process-wide llama.cpp model (RAG_MODEL_PATH), loaded once on first use: the default
    backend and every llamacpp route share it. Loading happens outside the instance lock so a
    slow load never blocks the fake path, but only one thread loads (the load lock)."""
    global _local, _local_path
    path = str(settings.RAG_MODEL_PATH)
    with _load_lock:
        if _local is None or _local_path != path:
            local = LlamaCppLLM()
            atexit.register(local.close)
            _local, _local_path = local, path
        return _local


def get_llm() -> LLM:
    """The process-wide model for settings.RAG_LLM_BACKEND, loaded on first use.
    Raises ModelIntegrityError when the local model file is missing or not the pinned one."""
    return _get(settings.RAG_LLM_BACKEND)


def reset_llm() -> None:
    """Forget the process-wide model (tests; settings change)."""
    global _instance, _instance_key, _local
    with _instance_lock:
        _instance, _instance_key = None, None
    with _load_lock:
        _local = None
