"""How many passages fit in the prompt within the time-to-first-token budget.

On CPU the time to first token is almost all prompt processing: ~300 tokens/s for SmolLM2-135M
with 2 threads, ~155 with 1 (FIELD-NOTES), so a 3 s budget allows ~850 prompt tokens. The fixed
part of the prompt (system prompt, instructions) costs nothing when llama.cpp reuses its cached
prefix, which the caller states with `cached_prefix_tokens`.

Passages are taken in relevance order; a passage that repeats one already taken (same text, one
inside the other, or most of its words shared) is skipped; a passage that does not fit is skipped
in favour of a later, shorter one only while the count stays within `max_passages`. The most
relevant passage is always kept: answering from one passage a little late beats not answering
(the result then says over_budget=True and the caller may truncate it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from assistant.chat.grounding.facts import fold

T = TypeVar("T")

# SmolLM2-135M Q4_1, 2 prompt threads, measured (FIELD-NOTES): tokens per second.
DEFAULT_PROMPT_RATE_TPS = 300.0
# Fixed cost of a request before the first prompt token is processed (s).
FIXED_LATENCY_S = 0.15
# Word-set Jaccard similarity at or above which a passage repeats one already chosen.
DUPLICATE_JACCARD = 0.8

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class PassageBudget(Generic[T]):
    passages: list[T] = field(default_factory=list)  # chosen items, in relevance order
    prompt_tokens: int = 0  # estimated tokens to process (overhead minus cache + passages)
    estimated_ttft_s: float = 0.0
    token_budget: int = 0
    over_budget: bool = False
    skipped_duplicates: int = 0

    @property
    def count(self) -> int:
        return len(self.passages)


def _text_of(item: Any) -> str:
    return item if isinstance(item, str) else str(getattr(item, "text", item))


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(fold(text)))


def _repeats(words: frozenset[str], text: str, taken: list[tuple[frozenset[str], str]]) -> bool:
    for other_words, other_text in taken:
        if text in other_text or other_text in text:
            return True
        union = words | other_words
        if union and len(words & other_words) / len(union) >= DUPLICATE_JACCARD:
            return True
    return False


def ttft_passage_budget(
    passages: Sequence[tuple[T, int]],
    *,
    overhead_tokens: int,
    prompt_rate_tps: float = DEFAULT_PROMPT_RATE_TPS,
    budget_s: float | None = None,
    cached_prefix_tokens: int = 0,
    max_passages: int | None = None,
) -> PassageBudget[T]:
    """Choose the passages of the prompt from (passage, token_count) pairs sorted by relevance.

    `overhead_tokens` is the rest of the prompt (system prompt, question, template), in the
    model's tokens; `cached_prefix_tokens` of it are already in llama.cpp's cache.
    `budget_s` defaults to settings.RAG_TTFT_BUDGET_S. A passage may be a Passage, any object with
    a `.text`, or a str; the same items come back. Raises ValueError for a non-positive rate.
    """
    if prompt_rate_tps <= 0:
        raise ValueError("prompt_rate_tps must be positive")
    if budget_s is None:
        from django.conf import settings

        budget_s = float(settings.RAG_TTFT_BUDGET_S)
    fixed = max(0, overhead_tokens - max(0, cached_prefix_tokens))
    token_budget = int((budget_s - FIXED_LATENCY_S) * prompt_rate_tps)
    result: PassageBudget[T] = PassageBudget(token_budget=token_budget)
    used = fixed
    taken: list[tuple[frozenset[str], str]] = []
    for item, tokens in passages:
        if max_passages is not None and len(result.passages) >= max_passages:
            break
        text = fold(" ".join(_text_of(item).split()))
        words = _words(text)
        if _repeats(words, text, taken):
            result.skipped_duplicates += 1
            continue
        if used + tokens > token_budget and result.passages:
            continue  # too long: a later, shorter passage may still fit
        result.passages.append(item)
        taken.append((words, text))
        used += max(0, tokens)
    result.prompt_tokens = used
    result.over_budget = used > token_budget
    result.estimated_ttft_s = round(FIXED_LATENCY_S + used / prompt_rate_tps, 3)
    return result
