"""Spreadsheet-safe cells for every CSV export (review queue, KPI series, audit trail).

A spreadsheet opening a CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula
(`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`), and some skip a leading tab, carriage return or NUL
and then see the formula behind it. OWASP's CSV-injection advice (and ASVS 1.2.10)
is to prefix those cells with a single quote so they are read as text. A leading quote is
escaped the same way, so the prefix is reversible: `restore_cell` gives back the exact value,
which the audit export needs for a reader who recomputes digests from a CSV file.

Numbers stay numbers: an int, float or Decimal is returned untouched, and so is a string that is
one plain decimal number (`-3.5`, `+2`, `1e-07`): a spreadsheet reads it as a number and it
cannot call anything. That is what the KPI series (numbers formatted to strings) relies on.

JSON lines are not neutralised: each line is one JSON object that starts with `{`, programs
(jq, a SIEM, an auditor's digest check) read it and need the exact text, and a spreadsheet does
not open `.jsonl` as cells. README: "Exports cannot run formulas".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# OWASP: = + - @ tab CR; ASVS 1.2.10 adds NUL. The quote itself is escaped for reversibility.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
ESCAPE = "'"

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """The value a CSV writer may emit safely: non-strings and plain numbers unchanged, any
    other string starting with a formula trigger (or with the escape quote) prefixed by `'`."""
    if not isinstance(value, str) or not value.startswith((*FORMULA_TRIGGERS, ESCAPE)):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return ESCAPE + value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise_cell(value) for value in values]


def restore_cell(text: str) -> str:
    """Undo neutralise_cell on a CSV cell read back as text."""
    return text[1:] if text.startswith(ESCAPE) else text
