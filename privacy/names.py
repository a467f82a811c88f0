"""Person names in every casing and order, found from two packaged lexicons and the text's shape.

The small spaCy models are case-sensitive: ``grégoire delaunay``, ``GRÉGOIRE DELAUNAY`` or
``DELAUNAY Grégoire`` are invisible to them. This recogniser looks for a known given name
(gender-guesser's data file, ~48,000 given names with their frequency per country, read as data:
its GPL code is never imported) next to a word that is no common word of French or English
(wordfreq's frequency lists), in any casing and in both orders, plus names introduced by a cue
(``M.``, ``Mme``, ``Dear``, ``From:``, ``Signé :``, ``contact :``...). A commonness test (Zipf
frequency, the log10 of occurrences per billion words) keeps headings such as ``NOTE DE SERVICE``
or ``GRACE PERIOD`` and sentences such as "will the office open" out.

Loaded once with the presidio engine (~0.6 s, ~25 MB). Imported by privacy.redaction and the
other finders (privacy.addresses, privacy.tables).
"""

from __future__ import annotations

import importlib.util
import math
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# A word: letters with inner hyphens or apostrophes (Marc-Antoine, N'Diaye, O'Connor).
WORD = re.compile(r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*")
# Only horizontal space joins the words of one name: a line break or a cell separator ends it.
_GAP = re.compile(r"[ \u00a0\u202f]{1,3}\Z")
PARTICLES = frozenset(
    re.findall(
        r"\S+",
        "de du des d la le di da del della dos das van von der den ter ten mac st",
    )
)
# Words of a sentence that are never part of a name even when rare in the frequency lists.
_STOP = frozenset(
    re.findall(
        r"\S+",
        "à a au aux et ou est sont a été pour par sur dans avec sans chez vers the and or of to in "
        "on at by for from with is are was were has have had be will",
    )
)
# Zipf thresholds (wordfreq scale: 7 = "the", 3 = once per million words).
COMMON = 4.0  # a word this frequent in French or English is a common word, not a surname
FUNCTION = 5.3  # ... and one this frequent is a grammatical word even when capitalised
CUES = re.compile(
    r"(?:\b(?:Mme|Mlle|Mrs|Mr|Ms|Dr|Pr|Me)\b\.?|\bM\.|\b(?:Monsieur|Madame|Mademoiselle|Maître|"
    r"Docteur|Professeur|Miss|Sir|Dear|Cher|Chère|Bonjour|Bonsoir|Hello|Hi)\b|"
    r"(?:\b(?:contact|signé|signed|signature|from|to|cc|de|à|a|nom|name|prénom|first name|"
    r"last name|surname|salarié|salariée|employé|employée|employee|suivi par|dossier suivi par|"
    r"demandeur|requester|bénéficiaire|titulaire|holder)[ \u00a0]*:))[ \u00a0]*"
    r"(?P<initial>[A-Za-z]\.(?:-?[A-Za-z]\.)?[ \u00a0]*)?(?=[^\W\d_])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Lexicon:
    given: frozenset[str]  # casefolded given names
    given_here: frozenset[str]  # ... those attested in the countries where FR/EN text comes from
    given_popular: frozenset[str]  # ... those frequent in France, Belgium, Switzerland, UK, US
    zipf: dict[str, float]  # casefolded word -> highest Zipf frequency in French or English

    def frequency(self, word: str) -> float:
        return self.zipf.get(word.casefold(), 0.0)

    def is_given(self, word: str, *, here: bool = False, popular: bool = False) -> bool:
        names = self.given_popular if popular else self.given_here if here else self.given
        parts = _unaccented(word.casefold().replace("\u2019", "'")).split("-")
        return all(
            len(p) > 2
            and p in names
            and p not in _STOP
            and p not in PARTICLES
            and self.zipf.get(p, 0.0) < GRAMMATICAL
            for p in parts
        )

    def is_common(self, word: str, threshold: float = COMMON) -> bool:
        folded = word.casefold()
        if folded in _STOP:
            return True
        return self.frequency(word) >= threshold


def _unaccented(value: str) -> str:
    if value.isascii():
        return value
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(name)
    return Path(next(iter(spec.submodule_search_locations)))


# nam_dict.txt has one frequency column per country from character 30 on (gender-guesser's
# COUNTRIES order): Great Britain, Ireland, USA, Italy, Malta, Portugal, Spain, France, Belgium,
# Luxembourg (9), Swiss (14), Turkey (46), Arabia/Persia (47), India (50): where the French and
# English text this product reads mostly comes from.
_HERE_COLUMNS = (0, 1, 2, 3, 5, 6, 7, 8, 9, 14, 46, 47, 50)
_FREQUENT = frozenset("123456789ABCD")
_POPULAR_COLUMNS = (0, 2, 7, 8, 14)  # Great Britain, USA, France, Belgium, Swiss
_POPULAR = frozenset("456789ABCD")
GRAMMATICAL = 6.0  # Zipf of "les", "des", "will": never a given name, whatever the lexicon says


def _load_given_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(every name of gender-guesser's nam_dict.txt, those frequent in a _HERE_COLUMNS country);
    "+" joins the parts of a compound (Jean+Pierre)."""
    path = _package_dir("gender_guesser") / "data" / "nam_dict.txt"
    names: set[str] = set()
    here: set[str] = set()
    popular: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line[:1] in "#=" or len(line) < 30:
                continue
            name = line.split()[1].casefold()
            columns = line[30:]
            # One frequency digit per country, 1 (rare) to D; a space where the name is unknown.
            local = any(i < len(columns) and columns[i] in _FREQUENT for i in _HERE_COLUMNS)
            common = any(i < len(columns) and columns[i] in _POPULAR for i in _POPULAR_COLUMNS)
            for joined in (name.replace("+", "-"), *name.split("+")):
                for form in (joined, _unaccented(joined)):  # "Élise" is listed as "Elise"
                    names.add(form)
                    if local:
                        here.add(form)
                    if common:
                        popular.add(form)
    return frozenset(names), frozenset(here), frozenset(popular)


def _load_zipf() -> dict[str, float]:
    from wordfreq import get_frequency_dict

    zipf: dict[str, float] = {}
    for language in ("fr", "en"):
        for word, freq in get_frequency_dict(language, wordlist="small").items():
            value = math.log10(freq) + 9
            if value > zipf.get(word, 0.0):
                zipf[word] = value
    return zipf


_lexicon: Lexicon | None = None
_lexicon_lock = threading.Lock()


def lexicon() -> Lexicon:
    """The process-wide lexicon, loaded on first use."""
    global _lexicon
    if _lexicon is None:
        with _lexicon_lock:
            if _lexicon is None:
                given, here, popular = _load_given_names()
                _lexicon = Lexicon(
                    given=given, given_here=here, given_popular=popular, zipf=_load_zipf()
                )
    return _lexicon


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def upper(self) -> bool:
        return self.text.isupper()

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def tokens(text: str) -> list[Token]:
    return [Token(m.group(), m.start(), m.end()) for m in WORD.finditer(text)]


def _joined(text: str, left: Token, right: Token) -> bool:
    return bool(_GAP.match(text[left.end : right.start]))


def _surname_like(
    lex: Lexicon, token: Token, *, lower_text: bool, threshold: float = COMMON
) -> bool:
    """Could be a family name: not a grammatical word; in lower case (or a heading in capitals,
    where casing says nothing) also no common word."""
    if len(token.text) < 2 or token.text.casefold() in _STOP:
        return False
    if token.capitalised and not token.upper and not lower_text:
        return not lex.is_common(token.text, FUNCTION)
    return not lex.is_common(token.text, threshold)


def _surname_span(
    lex: Lexicon, text: str, toks: list[Token], i: int, *, lower_text: bool
) -> int | None:
    """Index of the last token of a surname starting at toks[i] (particles allowed: de La
    Fontaine, Le Gall, van der Berg), or None."""
    j = i
    while j < len(toks) and toks[j].text.casefold() in PARTICLES and j - i < 2:
        if j + 1 >= len(toks) or not _joined(text, toks[j], toks[j + 1]):
            return None
        j += 1
    if j >= len(toks):
        return None
    # After a particle ("de la fontaine") a word may be commoner and still be the name.
    threshold = 4.6 if j > i else COMMON
    if not _surname_like(lex, toks[j], lower_text=lower_text, threshold=threshold):
        return None
    if j > i and toks[j].text.casefold() in PARTICLES:
        return None
    return j


def _given_plausible(lex: Lexicon, token: Token) -> bool:
    """A known given name that is no grammatical word. In lower case or capitals ("grace",
    "MARK") the surname that must follow, no common word either, keeps "grace period" out."""
    if not lex.is_given(token.text):
        return False
    return not lex.is_common(token.text, FUNCTION + 0.5) or token.capitalised


def find_names(text: str, lex: Lexicon | None = None) -> Iterator[tuple[int, int, float]]:
    """(start, end, score) of person names in `text`."""
    lex = lex or lexicon()
    toks = tokens(text)
    used: set[int] = set()
    for i, tok in enumerate(toks):
        if i in used:
            continue
        lower_text = tok.text.islower() or tok.upper
        span = None
        # Given name(s) then surname: "Grégoire Delaunay", "grégoire delaunay", "MARC-ANTOINE
        # LEFEBVRE", "Jean de La Fontaine".
        if _given_plausible(lex, tok) and i + 1 < len(toks) and _joined(text, tok, toks[i + 1]):
            nxt = i + 1
            if (
                lex.is_given(toks[nxt].text)
                and nxt + 1 < len(toks)
                and _joined(text, toks[nxt], toks[nxt + 1])
            ):  # two given names: "Marie Claire Dubois"
                end = _surname_span(lex, text, toks, nxt + 1, lower_text=lower_text)
                if end is not None:
                    span = (i, end, 0.9)
            if span is None:
                end = _surname_span(lex, text, toks, nxt, lower_text=lower_text)
                if end is not None and not (
                    tok.capitalised and toks[end].text.islower()
                ):  # "Marie est" / "Pierre tombale": casing must agree
                    span = (i, end, 0.9)
                # "per diem", "file fanotify": a given name of elsewhere is a name in lower case
                # only when it is no common word and the next word is unknown ("aminata sow").
                if (
                    end is not None
                    and span is not None
                    and lower_text
                    and not tok.capitalised
                    and not lex.is_given(tok.text, here=True)
                    and (lex.frequency(toks[end].text) or lex.is_common(tok.text))
                ):
                    span = None
                # "mesure autorisée": a common word that is also a rare given name.
                if (
                    span is not None
                    and lower_text
                    and lex.is_common(tok.text, 4.5)
                    and not lex.is_given(tok.text, popular=True)
                ):
                    span = None
        # Surname in capitals first: "DELAUNAY Grégoire", "LE GALL Yann", "DELAUNAY GRÉGOIRE".
        if span is None and tok.upper and len(tok.text) > 1:
            end = i
            while end + 1 < len(toks) and toks[end].text.casefold() in PARTICLES:
                end += 1
            if (
                end + 1 < len(toks)
                and toks[end].upper
                and all(_joined(text, toks[k], toks[k + 1]) for k in range(i, end + 1))
                and _surname_like(lex, toks[end], lower_text=True)
                and _given_plausible(lex, toks[end + 1])
                and (toks[end + 1].capitalised)
            ):
                span = (i, end + 1, 0.9)
        # "Delaunay, Grégoire" at the end of a cell or line.
        if span is None and tok.capitalised and i + 1 < len(toks):
            gap = text[tok.end : toks[i + 1].start]
            after = text[toks[i + 1].end : toks[i + 1].end + 2]
            if (
                re.fullmatch(r", ?", gap)
                and _surname_like(lex, tok, lower_text=True)
                and (not lex.is_given(tok.text) or not after.strip() or after.lstrip()[:1] in "|<>")
                and _given_plausible(lex, toks[i + 1])
                and toks[i + 1].capitalised
                and not (  # "Cordialement, GRÉGOIRE DELAUNAY": the full name follows the comma
                    i + 2 < len(toks)
                    and _joined(text, toks[i + 1], toks[i + 2])
                    and _surname_like(lex, toks[i + 2], lower_text=True)
                )
            ):
                span = (i, i + 1, 0.86)
        if span is not None and title_follows(text, toks[span[1]].end, lex):
            span = None
        if span is not None:
            first, last, score = span
            used.update(range(first, last + 1))
            yield toks[first].start, toks[last].end, score
    yield from _initials(text, lex)
    yield from _after_cues(text, toks, lex)


_NEXT_WORD = re.compile(r"[ \u00a0]([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)")


def title_follows(text: str, end: int, lex: Lexicon | None = None) -> bool:
    """True when a capitalised common word continues the span on the same line ("Free Software
    Foundation", "GNU General Public License"): the title of a thing, not a person's name."""
    match = _NEXT_WORD.match(text, end)
    if not match:
        return False
    lex = lex or lexicon()
    word = match.group(1)
    return lex.is_common(word) and not lex.is_given(word)


_INITIAL = re.compile(
    r"(?<![\w.])([A-Z]\.(?:-?[A-Z]\.)?)[ \u00a0]+"
    r"((?:(?i:de|du|des|le|la|van|von|d')[ \u00a0]?)*[A-ZÀ-ÖØ-Þ][\w'\u2019\-]+)"
)


def _initials(text: str, lex: Lexicon) -> Iterator[tuple[int, int, float]]:
    """ "G. Delaunay", "M.-A. Lefebvre" (M. alone is the French civility title, not an initial)."""
    for match in _INITIAL.finditer(text):
        if match.group(1) == "M." or lex.is_common(match.group(2), FUNCTION):
            continue
        yield match.start(), match.end(), 0.86


def _after_cues(text: str, toks: list[Token], lex: Lexicon) -> Iterator[tuple[int, int, float]]:
    """Up to three name words after a cue, in any casing: "Mme n'diaye", "À : tom baxter",
    "Signé : g. delaunay", "Dear Tom"."""
    by_start = {tok.start: i for i, tok in enumerate(toks)}
    for cue in CUES.finditer(text):
        i = by_start.get(cue.end(), -1)
        if i < 0 or len(toks[i].text) < 2:
            continue
        tok = toks[i]
        start = tok.start - len(cue.group("initial") or "")
        end_tok = None
        for j in range(i, min(i + 3, len(toks))):
            word = toks[j]
            if j > i and not _joined(text, toks[j - 1], word):
                break
            if word.text.casefold() in PARTICLES and j + 1 < len(toks):
                continue
            fits = lex.is_given(word.text) or (
                _surname_like(lex, word, lower_text=not word.capitalised)
            )
            if not fits:
                break
            end_tok = j
        if end_tok is not None:
            yield start, toks[end_tok].end, 0.86
