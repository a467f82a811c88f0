"""A deterministic language model for fast unit tests of the answer paths.

Registered as the `fake` LLM backend by tests/settings.py (never by the product). A test selects it
with `settings.RAG_LLM_BACKEND = "fake"` (then `reset_llm()`), or with a `{"kind": "fake"}` route.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from django.conf import settings

from assistant.backends.llm import CancelCheck
from assistant.backends.model_registry import ModelSpec, current_model_spec

DEFAULT_REPLY = "According to the documents, the answer is in the first source [1]."


class FakeLLM:
    """Replies `settings.RAG_FAKE_LLM_REPLY` if a test set it, else a fixed sentence citing source
    [1]; one word per piece, with an optional pause of `RAG_FAKE_LLM_DELAY` seconds between pieces
    so tests can watch it stream. `RAG_FAKE_LLM_LANGUAGES` makes it claim a model's languages.
    Every prompt it received is kept in `prompts`."""

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
        reply = getattr(settings, "RAG_FAKE_LLM_REPLY", None) or DEFAULT_REPLY
        delay = float(getattr(settings, "RAG_FAKE_LLM_DELAY", 0) or 0)
        words = reply.split(" ")
        for position, word in enumerate(words[:max_tokens]):
            if delay:
                time.sleep(delay)
            yield word if position == 0 else " " + word
            if should_stop is not None and should_stop():
                break
