"""A reranker double for the retrieval tests: scores a text by how many of its favoured words
it contains, so a test decides which chunk the second stage puts first."""

from __future__ import annotations

from collections.abc import Sequence


class WordReranker:
    model_name = "word-reranker"

    def __init__(self, *favoured: str) -> None:
        self.favoured = [word.lower() for word in favoured]
        self.calls: list[tuple[str, int]] = []

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        self.calls.append((query, len(texts)))
        return [float(sum(word in text.lower() for word in self.favoured)) for text in texts]
