"""Dates of birth: a date (numeric or written, French or English) right after a birth cue.

``né le 14/03/1987``, ``née le 3 mars 1987``, ``date de naissance : 1987-03-14``, ``born on March
14, 1987``, ``DOB: 03/14/1987``. Any other date is a context entity and stays visible. Pure
regular expressions; imported by privacy.recognizers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_S = r"[ \u00a0]"
_MONTHS = (
    r"(?:janvier|janv\.?|février|fevrier|févr\.?|fev\.?|mars|avril|avr\.?|mai|juin|juillet|"
    r"juil\.?|août|aout|septembre|sept\.?|octobre|oct\.?|novembre|nov\.?|décembre|decembre|"
    r"déc\.?|january|jan\.?|february|feb\.?|march|mar\.?|april|apr\.?|may|june|jun\.?|july|"
    r"jul\.?|august|aug\.?|september|sep\.?|october|november|december|dec\.?)"
)
_DAY = r"(?:1er|[0-3]?\d(?:st|nd|rd|th)?)"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
DATE = (
    rf"(?:{_YEAR}-[01]?\d-[0-3]?\d"  # 1987-03-14
    rf"|[0-3]?\d[/.\-][0-3]?\d[/.\-](?:{_YEAR}|\d\d)"  # 14/03/1987, 03/14/1987, 14.03.87
    rf"|(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche){_S}+)?{_DAY}{_S}+(?:of{_S}+)?"
    rf"{_MONTHS},?{_S}+{_YEAR}"  # 3 mars 1987, 14th of March 1987
    rf"|{_MONTHS}{_S}+{_DAY},?{_S}+{_YEAR})"  # March 14, 1987
)
_CUE = (
    rf"(?:\b(?:né|née|nés|nées|ne|nee){_S}+(?:le|en){_S}+"
    rf"|\bdate{_S}+de{_S}+naissance{_S}*:?{_S}*"
    rf"|\b(?:né|née)\(?e?\)?{_S}*:{_S}*"
    rf"|\bnaissance{_S}*:{_S}*"
    rf"|\bborn{_S}+(?:on{_S}+)?"
    rf"|\bdate{_S}+of{_S}+birth{_S}*:?{_S}*"
    rf"|\bbirth{_S}*(?:date|day){_S}*:?{_S}*"
    rf"|\bD\.?{_S}?O\.?{_S}?B\.?{_S}*:?{_S}*"
    rf"|\bDDN{_S}*:?{_S}*)"
)
BIRTH_DATE = re.compile(rf"{_CUE}({DATE})(?![\d/])", re.IGNORECASE)


def find_birth_dates(text: str) -> Iterator[tuple[int, int, float]]:
    """(start, end, score) of the date in each "birth cue + date"."""
    for match in BIRTH_DATE.finditer(text):
        yield match.start(1), match.end(1), 0.85
