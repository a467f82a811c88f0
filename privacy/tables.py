"""Personal data in table cells and CSV rows, where a name is split over columns.

An HR export writes ``4512;DELAUNAY;Grégoire;Paie`` or a header ``nom;prénom;date_naissance``: no
sentence surrounds the values. Two rules: a column whose header names a person, a birth date or
an address makes every cell below it that kind of entity; and in a row without such a header, a
surname-like cell next to a given-name cell (``DELAUNAY;Grégoire``) are both a name. Separators:
``;``, ``,``, tab and ``|`` (Markdown tables). Imported by privacy.recognizers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.names import Lexicon, lexicon

SEPARATORS = (";", "\t", "|", ",")
HEADER_TYPES = (
    ("DATE_OF_BIRTH", re.compile(r"naissance|birth|\bdob\b|\bddn\b|date_?nais|\bné\b", re.I)),
    (
        "ADDRESS",
        re.compile(r"adresse|address|domicile|\brue\b|street|code.?postal|postcode|zip", re.I),
    ),
    (
        "PERSON",
        re.compile(
            r"^\s*(?:nom|prénom|prenom|nom.?de.?famille|nom.?complet|name|first.?name|last.?name|"
            r"full.?name|surname|given.?name|forename|employé|employée|salarié|salariée|"
            r"employee|collaborateur|collaboratrice|titulaire|holder|contact|demandeur|"
            r"requester|bénéficiaire|beneficiary|responsable|manager)\s*$",
            re.I,
        ),
    ),
)
_CELL_TEXT = re.compile(r"\S(?:.*\S)?")


def _cells(line: str, offset: int, sep: str) -> list[tuple[int, int]]:
    """(start, end) of each cell's trimmed text in the whole text."""
    spans, pos = [], 0
    for piece in line.split(sep):
        match = _CELL_TEXT.search(piece)
        if match:
            spans.append((offset + pos + match.start(), offset + pos + match.end()))
        else:
            spans.append((offset + pos, offset + pos))
        pos += len(piece) + len(sep)
    return spans


def _separator(line: str) -> str | None:
    for sep in SEPARATORS:
        if line.count(sep) >= 2 or (sep in ";\t" and line.count(sep) >= 1):
            return sep
    return None


def _lines(text: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"[\s|:\-+]*", line)) and "-" in line


def _name_cell(lex: Lexicon, value: str) -> str:
    """ "given", "surname" or "" for one cell's text."""
    words = value.split()
    if (
        not words
        or len(words) > 4
        or not all(re.fullmatch(r"[^\W\d_][\w'\u2019\-]*", w) for w in words)
    ):
        return ""
    if len(words) == 1 and lex.is_given(value) and value[:1].isupper() and not value.isupper():
        return "given"
    last = words[-1]
    threshold = 4.6 if len(words) > 1 else 4.0  # "DE LA FONTAINE"
    if (value.isupper() or value[:1].isupper()) and not lex.is_common(last, threshold):
        return "surname" if len(last) > 1 else ""
    return ""


def find_table_cells(
    text: str, lex: Lexicon | None = None
) -> Iterator[tuple[str, int, int, float]]:
    """(type, start, end, score) of personal data in table cells and CSV rows."""
    if "\n" not in text and not any(text.count(s) >= 2 for s in ";\t|") and text.count(",") < 3:
        return
    lex = lex or lexicon()
    columns: dict[int, str] = {}
    header_sep: str | None = None
    for offset, line in _lines(text):
        sep = _separator(line)
        if sep is None:
            columns, header_sep = {}, None
            continue
        if _is_rule(line):
            continue
        cells = _cells(line, offset, sep)
        values = [text[s:e] for s, e in cells]
        typed = {}
        for index, value in enumerate(values):
            for entity_type, pattern in HEADER_TYPES:
                if value and len(value) < 40 and pattern.search(value):
                    typed[index] = entity_type
                    break
        if typed and not any(re.search(r"\d", v) for v in values):
            columns, header_sep = typed, sep  # a header row: its cells are no data
            continue
        if columns and sep == header_sep:
            for index, entity_type in columns.items():
                if index < len(cells) and cells[index][1] > cells[index][0]:
                    yield entity_type, cells[index][0], cells[index][1], 0.75
            continue
        kinds = [_name_cell(lex, value) for value in values]
        yield from _name_pairs(cells, kinds, [value.isupper() for value in values])


def _name_pairs(
    cells: list[tuple[int, int]], kinds: list[str], upper: list[bool]
) -> Iterator[tuple[str, int, int, float]]:
    """Surname cell then given-name cell (the usual export order), else given name then
    surname; each given-name cell pairs once ("LE GALL;Yann;Logistique": Logistique is no
    name)."""
    paired: set[int] = set()
    for wanted in (("surname", "given"), ("given", "given"), ("given", "surname")):
        for index in range(len(kinds) - 1):
            if (kinds[index], kinds[index + 1]) == wanted and not {index, index + 1} & paired:
                if wanted[1] == "surname" and not upper[index + 1]:
                    continue  # given name first: only before a surname in capitals
                paired.update((index, index + 1))
    for k in sorted(paired):
        yield "PERSON", cells[k][0], cells[k][1], 0.86
