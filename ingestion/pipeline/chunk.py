"""Structure-aware chunking of a ParsedDocument.

The extracted text of a document is its elements joined by blank lines (document_text()); every
chunk's text is exactly document_text(doc)[char_start:char_end]. Chunks follow sections: a title
starts a new chunk unless the chunk so far is small and the new section sits under the same
heading (then they share the chunk). Within a section, chunks are packed from whole sentences up to
target_tokens, and each new chunk repeats the last sentences of the previous one (overlap_tokens).
A table that fits in target_tokens is never split; a bigger one is split between rows. Only a
single sentence longer than target_tokens is cut, between words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ingestion.pipeline.parse import ParsedDocument, ParsedElement

SEPARATOR = "\n\n"

# Abbreviations after which a period does not end a sentence (French and English).
_ABBREVIATIONS = frozenset(
    """
    m mm mme mmes mlle mlles dr pr me st ste cf ex p pp art al éd vol chap fig no nos n°
    mr mrs ms prof sr jr vs e.g i.e inc ltd co corp dept approx min max env av apr ibid op
    janv févr fév sept oct nov déc jan feb mar aug sep dec tel tél
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_BOUNDARY = re.compile(
    r"(?<=[.!?\u2026])[\"'\u00bb\u201d\u2019)\]]*\s+(?=[\"'\u00ab\u201c(\[]?[A-Z\u00c0-\u00de0-9])"
    r"|\n+"
)
_WORD_BEFORE = re.compile(r"([\w.°]+)[.]$")


@dataclass
class ChunkDraft:
    index: int
    text: str
    page_start: int | None
    page_end: int | None
    heading_path: list[str]
    char_start: int
    char_end: int
    token_count: int


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    page: int | None
    path: list[str]
    is_title: bool = False


def document_text(doc: ParsedDocument) -> str:
    """The concatenated extracted text that chunk offsets point into."""
    return SEPARATOR.join(element.text for element in doc.elements)


def chunk_document(
    doc: ParsedDocument,
    *,
    target_tokens: int,
    overlap_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[ChunkDraft]:
    """Split a parsed document into chunks of about target_tokens, following its sections."""
    if target_tokens < 8:
        raise ValueError("target_tokens must be at least 8")
    overlap_tokens = max(0, min(overlap_tokens, target_tokens // 2))
    text = document_text(doc)
    builder = _Builder(text, target_tokens, overlap_tokens, count_tokens)
    for section in _sections(doc.elements, text, count_tokens, target_tokens):
        builder.add_section(section)
    return builder.finish()


def _sections(
    elements: list[ParsedElement],
    text: str,
    count_tokens: Callable[[str], int],
    target_tokens: int,
) -> Iterator[list[_Unit]]:
    """Units (sentences, table rows, titles) grouped into sections, each starting at a title."""
    section: list[_Unit] = []
    offset = 0
    for element in elements:
        start, offset = offset, offset + len(element.text) + len(SEPARATOR)
        if element.kind == "title" and section and not all(unit.is_title for unit in section):
            yield section
            section = []
        section.extend(_units(element, start, text, count_tokens, target_tokens))
    if section:
        yield section


def _units(
    element: ParsedElement,
    start: int,
    text: str,
    count_tokens: Callable[[str], int],
    target_tokens: int,
) -> Iterator[_Unit]:
    end = start + len(element.text)
    path = list(element.heading_path)
    if element.kind == "title":
        yield _Unit(start, end, count_tokens(element.text), element.page, path, is_title=True)
        return
    if element.kind == "table":
        tokens = count_tokens(element.text)
        if tokens <= target_tokens:
            yield _Unit(start, end, tokens, element.page, path)
            return
        spans = _line_spans(text, start, end)
    else:
        spans = _sentence_spans(text, start, end)
    for span_start, span_end in spans:
        piece = text[span_start:span_end]
        tokens = count_tokens(piece)
        if tokens <= target_tokens:
            yield _Unit(span_start, span_end, tokens, element.page, path)
            continue
        for cut_start, cut_end in _word_windows(text, span_start, span_end, tokens, target_tokens):
            yield _Unit(
                cut_start, cut_end, count_tokens(text[cut_start:cut_end]), element.page, path
            )


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    position = start
    for line in text[start:end].split("\n"):
        span = _trimmed(text, position, position + len(line))
        if span:
            spans.append(span)
        position += len(line) + 1
    return spans


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    segment_start = start
    for match in _BOUNDARY.finditer(text, start, end):
        if (
            match.group().strip() == ""
            and "\n" not in match.group()
            and _is_abbreviation(text, segment_start, match.start())
        ):
            continue
        span = _trimmed(text, segment_start, match.start())
        if span:
            spans.append(span)
        segment_start = match.end()
    span = _trimmed(text, segment_start, end)
    if span:
        spans.append(span)
    return spans


def _is_abbreviation(text: str, segment_start: int, boundary: int) -> bool:
    """True when the period before `boundary` belongs to "M.", "etc.", "e.g.", an initial, ..."""
    before = text[max(segment_start, boundary - 12) : boundary].rstrip("\"'\u00bb\u201d\u2019)]")
    if not before.endswith("."):
        return False
    match = _WORD_BEFORE.search(before)
    if not match:
        return False
    word = match.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _word_windows(
    text: str, start: int, end: int, tokens: int, target_tokens: int
) -> Iterator[tuple[int, int]]:
    """Cut an over-long sentence between words into pieces of about target_tokens."""
    words = [match.span() for match in re.finditer(r"\S+", text[start:end])]
    per_word = max(tokens / max(len(words), 1), 1e-6)
    size = max(1, int(target_tokens * 0.9 / per_word))
    for first in range(0, len(words), size):
        window = words[first : first + size]
        yield start + window[0][0], start + window[-1][1]


class _Builder:
    def __init__(
        self,
        text: str,
        target_tokens: int,
        overlap_tokens: int,
        count_tokens: Callable[[str], int],
    ) -> None:
        self.text = text
        self.target = target_tokens
        self.overlap = overlap_tokens
        self.count_tokens = count_tokens
        self.current: list[_Unit] = []
        self.fresh = 0  # units of self.current not repeated from the previous chunk
        self.chunks: list[ChunkDraft] = []

    def _tokens(self) -> int:
        return sum(unit.tokens for unit in self.current)

    def add_section(self, units: list[_Unit]) -> None:
        if self.current and not self._joins(units):
            self._emit()
            self.current, self.fresh = [], 0
        for unit in units:
            only_titles = all(u.is_title for u in self.current)
            full = self._tokens() + unit.tokens > self.target
            if self.current and self.fresh and not only_titles and full:
                self._emit()
                self.current = self._overlap_tail(unit.tokens)
                self.fresh = 0
            self.current.append(unit)
            self.fresh += 1

    def _joins(self, units: list[_Unit]) -> bool:
        """Keep one chunk across a section boundary when the chunk so far is small (or only
        titles) and the new section is a subsection or a sibling of the chunk's first section
        (never a section higher up: the chunk's heading path would lose its depth)."""
        if all(unit.is_title for unit in self.current):
            return True
        tokens = self._tokens()
        incoming = sum(unit.tokens for unit in units)
        if tokens >= self.target // 2 or tokens + incoming > self.target:
            return False
        first, new = self.current[0].path, units[0].path
        return len(new) >= len(first) and bool(_common_prefix([first, new]))

    def _overlap_tail(self, incoming: int) -> list[_Unit]:
        tail: list[_Unit] = []
        budget = min(self.overlap, self.target - incoming)
        for unit in reversed(self.current):
            if unit.is_title or unit.tokens > budget:
                break
            tail.insert(0, unit)
            budget -= unit.tokens
        return tail

    def _emit(self) -> None:
        if not self.current or not self.fresh:
            return
        start, end = self.current[0].start, self.current[-1].end
        text = self.text[start:end]
        pages = [unit.page for unit in self.current if unit.page is not None]
        self.chunks.append(
            ChunkDraft(
                index=len(self.chunks),
                text=text,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                heading_path=_common_prefix([unit.path for unit in self.current]),
                char_start=start,
                char_end=end,
                token_count=self.count_tokens(text),
            )
        )

    def finish(self) -> list[ChunkDraft]:
        self._emit()
        self.current, self.fresh = [], 0
        return self.chunks


def _common_prefix(paths: list[list[str]]) -> list[str]:
    prefix: list[str] = []
    for parts in zip(*paths, strict=False):
        if any(part != parts[0] for part in parts):
            break
        prefix.append(parts[0])
    return prefix
