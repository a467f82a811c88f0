"""Checkable facts of a sentence: numbers, amounts, dates and proper nouns, in normalised form.

The hard rule of verification is that every such fact of an answer sentence appears in a passage
it cites. Writing conventions differ, so each fact carries a set of normalised keys and matches a
passage when one of its keys is among the passage's keys:

- numbers: "1 200 €", "1200", "1,200", "1.200,00" all give ``n:1200``. A lone separator followed
  by three digits is ambiguous ("1,200" is 1200 in English and 1.2 in French) and gives both
  readings. Currency signs and units are ignored: the number itself must appear.
- dates: "12/03/2024", "2024-03-12", "12 mars 2024", "March 12, 2024" give ``d:2024-03-12``
  (a numeric date whose day and month could be swapped gives both readings). Passages also index
  the month (``m:2024-03``), the day without year (``dm:03-12``) and the year, so "en mars 2024"
  is backed by "le 12 mars 2024".
- proper nouns: capitalised words that do not start the sentence, and acronyms anywhere, compared
  lowercase and without accents ("Société Générale" ~ "societe generale").
Number words in passages ("three", "trois") also index their value, so "3 days" is backed by
"three days"; the reverse is not needed because answers are checked, not passages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from assistant.backends.language import ENGLISH_STOPWORDS, FRENCH_STOPWORDS


@dataclass(frozen=True)
class Fact:
    text: str  # as written in the sentence
    kind: str  # "number" | "date" | "name"
    keys: frozenset[str]


_MONTHS = {
    **{
        name: i + 1
        for i, names in enumerate(
            [
                ("janvier", "january", "jan", "janv"),
                ("février", "fevrier", "february", "feb", "févr", "fevr"),
                ("mars", "march", "mar"),
                ("avril", "april", "apr", "avr"),
                ("mai", "may"),
                ("juin", "june", "jun"),
                ("juillet", "july", "jul", "juil"),
                ("août", "aout", "august", "aug"),
                ("septembre", "september", "sep", "sept"),
                ("octobre", "october", "oct"),
                ("novembre", "november", "nov"),
                ("décembre", "decembre", "december", "dec", "déc"),
            ]
        )
        for name in names
    }
}
_DAYS = frozenset(
    [
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
_NUMBER_WORDS = {
    word: value
    for value, words in enumerate(
        [
            "zero zéro",
            "one un une",
            "two deux",
            "three trois",
            "four quatre",
            "five cinq",
            "six",
            "seven sept",
            "eight huit",
            "nine neuf",
            "ten dix",
            "eleven onze",
            "twelve douze",
        ]
    )
    for word in words.split()
} | {"twenty": 20, "vingt": 20, "thirty": 30, "trente": 30, "hundred": 100, "cent": 100}

_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_SPACE = r"[ \u00a0\u202f]"
_DATE_PATTERNS = [
    # 2024-03-12
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), "ymd"),
    # 12/03/2024, 12.03.2024, 12-03-24
    (re.compile(r"(?<![\d.,])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d])"), "numeric"),
    # 12 mars 2024, 1er mars 2024, 12th of March 2024, 12 March, 2024
    (
        re.compile(
            rf"(?<!\d)(\d{{1,2}})(?:er|st|nd|rd|th)?{_SPACE}+(?:of{_SPACE}+)?({_MONTH_RE})\.?"
            rf"(?:,?{_SPACE}+(\d{{4}}))?(?!\w)",
            re.IGNORECASE,
        ),
        "dmy",
    ),
    # March 12, 2024 / March 12th 2024 / March 12
    (
        re.compile(
            rf"\b({_MONTH_RE})\.?{_SPACE}+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?{_SPACE}+(\d{{4}}))?",
            re.IGNORECASE,
        ),
        "mdy",
    ),
    # mars 2024, March 2024
    (re.compile(rf"\b({_MONTH_RE}){_SPACE}+(\d{{4}})(?!\d)", re.IGNORECASE), "my"),
]
_NUMBER = re.compile(
    rf"(?<![\w.,])(?:\d{{1,3}}(?:(?:{_SPACE}|[.,])\d{{3}})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?!\d)"
)
_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")  # noqa: RUF001
_LIST_MARKER = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])\s+")  # noqa: RUF001
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ][\w’'-]*", re.UNICODE)  # noqa: RUF001
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = FRENCH_STOPWORDS | ENGLISH_STOPWORDS | {"i", "ok", "yes", "no", "oui", "non"}


def fold(text: str) -> str:
    """Lowercase without accents: the comparison form of names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def strip_markup(sentence: str) -> str:
    """The sentence without citation markers and a leading list marker (blanked, same length)."""
    blanked = _CITATION.sub(lambda m: " " * len(m.group(0)), sentence)
    return _LIST_MARKER.sub(lambda m: " " * len(m.group(0)), blanked)


def number_keys(raw: str) -> frozenset[str]:
    """Normalised readings of one written number ("1 200,50" -> {"n:1200.5"})."""
    compact = re.sub(_SPACE, "", raw)
    readings: list[str] = []
    if "," in compact and "." in compact:
        decimal_sep = "," if compact.rfind(",") > compact.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        readings.append(compact.replace(thousands, "").replace(decimal_sep, "."))
    elif "," in compact or "." in compact:
        sep = "," if "," in compact else "."
        parts = compact.split(sep)
        if len(parts) > 2:
            readings.append("".join(parts))
        elif len(parts[1]) == 3:
            readings += ["".join(parts), ".".join(parts)]
        else:
            readings.append(".".join(parts))
    else:
        readings.append(compact)
    keys = set()
    for reading in readings:
        try:
            value = Decimal(reading)
        except InvalidOperation:
            continue
        keys.add("n:" + _decimal_str(value))
    return frozenset(keys)


def _decimal_str(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _year(raw: str) -> int:
    year = int(raw)
    return year + 2000 if year < 100 else year


def _date_keys(kind: str, groups: tuple[str | None, ...]) -> frozenset[str]:
    keys: set[str] = set()

    def add(year: int | None, month: int, day: int | None) -> None:
        if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            return
        if day is None:
            keys.add(f"m:{year:04d}-{month:02d}")
        elif year is None:
            keys.add(f"dm:{month:02d}-{day:02d}")
        else:
            keys.add(f"d:{year:04d}-{month:02d}-{day:02d}")

    if kind == "ymd":
        add(_year(groups[0] or "0"), int(groups[1] or 0), int(groups[2] or 0))
    elif kind == "numeric":
        a, b, y = int(groups[0] or 0), int(groups[1] or 0), _year(groups[2] or "0")
        add(y, b, a)  # day/month (French, British)
        add(y, a, b)  # month/day (American)
    elif kind == "dmy":
        month = _MONTHS[(groups[1] or "").lower()]
        add(_year(groups[2]) if groups[2] else None, month, int(groups[0] or 0))
    elif kind == "mdy":
        month = _MONTHS[(groups[0] or "").lower()]
        add(_year(groups[2]) if groups[2] else None, month, int(groups[1] or 0))
    elif kind == "my":
        add(_year(groups[1] or "0"), _MONTHS[(groups[0] or "").lower()], None)
    return frozenset(keys)


def _dates(text: str) -> list[tuple[int, int, Fact]]:
    found: list[tuple[int, int, Fact]] = []
    for pattern, kind in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e, _ in found):
                continue
            keys = _date_keys(kind, match.groups())
            if keys:
                found.append((match.start(), match.end(), Fact(match.group(0), "date", keys)))
    return found


def extract_facts(sentence: str) -> list[Fact]:
    """Numbers, dates and proper nouns of an answer sentence that a passage must back.

    Citation markers and list markers are ignored; the first word of the sentence is not taken
    for a proper noun (unless it is an acronym) because capitalisation tells nothing there.
    """
    text = strip_markup(sentence)
    dates = _dates(text)
    taken = [(s, e) for s, e, _ in dates]
    facts = [fact for _, _, fact in sorted(dates, key=lambda item: item[0])]
    for match in _NUMBER.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        keys = number_keys(match.group(0))
        if keys:
            facts.append(Fact(match.group(0).strip(), "number", keys))
    first_word = _WORD.search(text)
    first_start = first_word.start() if first_word else -1
    for match in _CAPITALISED.finditer(text):
        word = match.group(0).rstrip("’'-")  # noqa: RUF001
        for suffix in ("’s", "'s"):  # noqa: RUF001
            word = word.removesuffix(suffix)
        folded = fold(word)
        is_acronym = len(word) >= 2 and word.isupper() and word.isalpha()
        if match.start() == first_start and not is_acronym:
            continue
        if len(word) < 2 or folded in _STOPWORDS or folded in _DAYS or folded in _MONTHS:
            continue
        if any(s <= match.start() < e for s, e in taken):
            continue
        # "Jean-Pierre", "L'Oréal": the longest part is the one a passage must contain.
        key = max(_WORD.findall(folded), key=len, default=folded)
        facts.append(Fact(word, "name", frozenset({"w:" + key})))
    return facts


def passage_keys(text: str) -> frozenset[str]:
    """Every key a passage can back: its numbers, dates (with month, day and year), words."""
    keys: set[str] = set()
    for _, _, fact in _dates(text):
        keys |= fact.keys
        for key in fact.keys:
            if key.startswith("d:"):
                year, month, day = key[2:].split("-")
                keys |= {f"m:{year}-{month}", f"dm:{month}-{day}", f"n:{int(year)}"}
    for match in _NUMBER.finditer(text):
        keys |= number_keys(match.group(0))
    for word in _WORD.findall(text):
        folded = fold(word)
        keys.add("w:" + folded)
        if folded in _NUMBER_WORDS:
            keys.add(f"n:{_NUMBER_WORDS[folded]}")
    return frozenset(keys)


def missing_facts(facts: list[Fact], keys: frozenset[str]) -> list[Fact]:
    """The facts none of whose readings is among `keys`."""
    return [fact for fact in facts if not (fact.keys & keys)]
