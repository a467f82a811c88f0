"""The language model protocol and its errors. No implementation is imported here.

- `llamacpp` (assistant.backends.llm_llamacpp): llama-cpp-python in process. One model instance per
  process, loaded once, its sha256 checked before loading; llama.cpp contexts are not thread safe,
  so generation holds a lock.
- `openai` (assistant.backends.llm_openai): any OpenAI-compatible server (llama-server, vLLM, an
  external API), streamed over SSE with timeouts. Falling back to another model is the route
  chain's job (assistant.chat.routing).

assistant.backends.llm_factory builds them (and any backend registered there, such as the test
suite's fake). All backends take an already formatted prompt string (see assistant.chat.prompting):
the fixed system prefix stays byte-identical between requests, so llama.cpp reuses its KV cache
for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from assistant.backends.model_registry import ModelSpec

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
