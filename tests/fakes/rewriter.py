"""A fake model the registry calls capable of rewriting follow-ups (assistant.chat.followup).

Registered by the follow-up tests as the `fake-rewriter` LLM backend. It replies
`settings.RAG_FAKE_LLM_REPLY` like the fake LLM, or raises LLMUnavailable when
`settings.RAG_FAKE_LLM_FAILS` is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from django.conf import settings

from assistant.backends.llm import CancelCheck, LLMUnavailable
from tests.fakes.llm import FakeLLM


class RewritingFakeLLM(FakeLLM):
    def __init__(self) -> None:
        super().__init__()
        self.spec = replace(self.spec, can_rewrite=True)

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str],
        should_stop: CancelCheck | None = None,
    ) -> Iterator[str]:
        if getattr(settings, "RAG_FAKE_LLM_FAILS", False):
            raise LLMUnavailable("the fake rewriter is down")
        yield from super().stream(prompt, max_tokens=max_tokens, stop=stop, should_stop=should_stop)
