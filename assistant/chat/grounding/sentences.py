"""French/English sentence splitting that keeps character offsets.

Answers are verified and passages are quoted sentence by sentence, and the UI highlights sentences
by offset, so every Span is an exact slice of the input: ``text[span.start:span.end] == span.text``.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quote or bracket and any citation
markers such as ``[1]`` or ``[1, 2]`` that follow it) when whitespace and then something other than
a lowercase letter comes next. It does not end:

- inside numbers (``3.5``, ``1.200,00``: no whitespace follows the dot);
- after a title or reference abbreviation (``M.``, ``Mme``, ``Dr.``, ``e.g.``, ``art. 5``);
- after a single capital initial (``J. Dupont``);
- before a lowercase word (``etc. and``), which covers most other abbreviations.

Blank lines, list items and a line ending with a terminator or a colon also end a sentence; any
other single newline is a soft wrap (PDF text) and does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    text: str
    start: int
    end: int


# Lowercased, without the final dot. Titles that precede a name, and reference abbreviations.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "me",
        "mm",
        "sr",
        "jr",
        "gen",
        "col",
        "lt",
        "sgt",
        "rev",
        "hon",
        "pr",
        "e.g",
        "i.e",
        "cf",
        "vs",
        "viz",
        "env",
        "approx",
        "av",
        "bd",
        "ste",
        "cie",
    ]
)
# Abbreviations that only hide a boundary when a number follows ("art. 5", "p. 12", "no. 3").
_NUMBERED_ABBREVIATIONS = frozenset(
    ["art", "arts", "p", "pp", "vol", "ch", "chap", "fig", "no", "nos", "n°", "nr", "sec", "al"]
)

_END = re.compile(
    r"""
    (?:[.!?…]+|:(?=[ \t]*\n))              # terminator, or a colon that ends its line
    (?:[ \t\u00a0\u202f]?[»"”\u2019)\]])*    # closing quotes and brackets ("... fin. »")
    (?:[ \t\u00a0\u202f]*\[\s*\d+(?:\s*[,;\u2013-]\s*\d+)*\s*\])*   # citations [1] [1, 2]
    """,
    re.VERBOSE,
)
_HARD_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]*(?:[-*•·–]|\d{1,2}[.)])[ \t])")  # noqa: RUF001
_WORD_BEFORE = re.compile(r"([\w°][\w.°-]*)$")


def split_sentences(text: str, lang: str = "en") -> list[Span]:
    """Spans of the sentences of `text`, in order, stripped of surrounding whitespace.

    `lang` ("fr" or "en") is accepted for symmetry with the other language-aware helpers; both
    languages' abbreviations are always recognised because documents mix them.
    """
    spans: list[Span] = []
    block_start = 0
    for brk in _HARD_BREAK.finditer(text):
        _split_block(text, block_start, brk.start(), spans)
        block_start = brk.end()
    _split_block(text, block_start, len(text), spans)
    return spans


def _split_block(text: str, start: int, stop: int, out: list[Span]) -> None:
    sentence_start = start
    for match in _END.finditer(text, start, stop):
        end = match.end()
        if not _is_boundary(text, match.start(), end, stop):
            continue
        _emit(text, sentence_start, end, out)
        sentence_start = end
    _emit(text, sentence_start, stop, out)


def _is_boundary(text: str, term_start: int, end: int, stop: int) -> bool:
    rest = text[end:stop]
    stripped = rest.lstrip()
    if not stripped:
        return True
    if len(stripped) == len(rest):
        return False  # no whitespace after: "3.5", "www.example.org", "a.b"
    if text[term_start] == ":" and "\n" not in rest[: len(rest) - len(stripped)]:
        return False
    following = stripped[0]
    if following.islower():
        return False
    if text[term_start] != ".":
        return True
    before = _WORD_BEFORE.search(text, max(0, term_start - 40), term_start)
    if before is None:
        return True
    word = before.group(1)
    lowered = word.lower().rstrip(".")
    if lowered in _ABBREVIATIONS:
        return False
    if following.isdigit() and lowered in _NUMBERED_ABBREVIATIONS:
        return False
    # A single capital initial ("J. Dupont", "M. Martin"), including hyphenated "J.-P.".
    return not (len(word) == 1 and word.isupper()) and not re.fullmatch(
        r"(?:[A-Z]\.-?)+[A-Z]", word
    )


def _emit(text: str, start: int, end: int, out: list[Span]) -> None:
    chunk = text[start:end]
    left = len(chunk) - len(chunk.lstrip())
    right = len(chunk.rstrip())
    if right <= left:
        return
    s, e = start + left, start + right
    piece = text[s:e]
    if out and re.fullmatch(r"(?:\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]\s*)+", piece):  # noqa: RUF001
        # A lone citation on its own line belongs to the sentence before it.
        previous = out.pop()
        out.append(Span(text[previous.start : e], previous.start, e))
        return
    out.append(Span(piece, s, e))
