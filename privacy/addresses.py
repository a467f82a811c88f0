"""Places that identify a person: street addresses and a town tied to someone by a residence cue.

A street address is a number, a street type and a name, optionally followed by a postcode and
town (French ``12 rue des Lilas, 69003 Lyon``; British and American ``221B Baker Street, London
NW1 6XE``, ``42 Elm Street, Springfield, IL 62704``), in any casing, on one line or as a postal
block. A town or region counts only when the sentence ties it to a person ("habite à",
"domicilié", "lives in", "moved to", "né à"...): a city in a policy or a question ("the hotel
ceiling in Paris") is a context entity and stays visible (see PERSONAL_IDENTIFIER_TYPES in
privacy.redaction). Pure regular expressions; imported by privacy.recognizers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_SPACE = r"[ \u00a0]"
_NUMBER = rf"\b\d{{1,4}}(?:{_SPACE}?(?:bis|ter|quater|[A-Ha-h])\b)?,?{_SPACE}+"
_FR_STREET = (
    r"(?:rue|avenue|av\.|boulevard|bd|place|allée|allee|impasse|chemin|route|quai|cours|square|"
    r"passage|résidence|residence|lotissement|faubourg|chaussée|sentier|voie|cité|rond-point|"
    r"hameau|lieu-dit|parvis|esplanade|promenade|mail)"
)
_WORDS = r"(?:[^\W\d_][\w'\u2019.\-]*)"
# French: "12 rue des Lilas", "4 bis, avenue Jean Jaurès", "3 RUE DU GÉNÉRAL LECLERC".
FR_STREET = re.compile(rf"{_NUMBER}{_FR_STREET}(?:{_SPACE}+{_WORDS}){{1,5}}", re.IGNORECASE)
_EN_STREET = (
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?|Boulevard|Blvd\.?|Court|"
    r"Ct\.?|Place|Pl\.?|Way|Terrace|Close|Crescent|Square|Sq\.?|Gardens|Grove|Parkway|Highway|"
    r"Hwy\.?|Row|Mews|Walk|Hill)"
)
# English: "42 Elm Street", "221B BAKER STREET", "1600 Pennsylvania Avenue NW".
EN_STREET = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?{_SPACE}+(?:[^\W\d_][\w'\u2019.\-]*{_SPACE}+){{1,3}}{_EN_STREET}\b"
    rf"(?:{_SPACE}+(?:NW|NE|SW|SE|N|S|E|W)\b)?",
    re.IGNORECASE,
)
_TOWN = rf"[^\W\d_][\w'\u2019\-]*(?:{_SPACE}+(?:[^\W\d_][\w'\u2019\-]*)){{0,3}}?"
# What may follow a street on the same line or the next: "69003 Lyon", "75011 PARIS CEDEX 11".
FR_TOWN_LINE = re.compile(
    rf"(?:,{_SPACE}*|{_SPACE}+|{_SPACE}*\n{_SPACE}*)(?:\d{{5}}|\d{{2}}{_SPACE}\d{{3}}){_SPACE}+"
    rf"{_TOWN}(?:{_SPACE}+CEDEX(?:{_SPACE}+\d{{1,2}})?)?(?=$|[\s,.;)|])",
    re.IGNORECASE | re.MULTILINE,
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \u00a0]?\d[A-Z]{2}"
_EN_TOWN_WORD = r"(?![A-Z]{1,2}\d)(?![A-Z]{2}[ \u00a0]+\d{5})[A-Z][\w'\-]*"
_US_STATE_ZIP = rf"[A-Z]{{2}}{_SPACE}+\d{{5}}(?:-\d{{4}})?"
EN_TOWN_LINE = re.compile(
    rf"(?:,{_SPACE}*|{_SPACE}*\n{_SPACE}*)(?:{_EN_TOWN_WORD}(?:{_SPACE}+{_EN_TOWN_WORD}){{0,2}})"
    rf"(?:,?{_SPACE}+(?:{_UK_POSTCODE}|{_US_STATE_ZIP}|\d{{5}}))?\b"
)
# A town named right after a residence cue, in any casing: "habite à Rennes", "lives in leeds",
# "domicilié à Saint-Étienne", "née le 3 mars 1987 à Lyon" (the birth date itself is
# privacy.birthdates' job), "moved to Le Havre".
RESIDENCE_CUE = re.compile(
    r"\b(?:habit(?:e|es|ent|ons|ez|ait|ais|é|ée)|réside(?:nt|s)?|demeurant|domicilié(?:e|s|es)?|"
    r"vi(?:s|t|vent|vait|vais)|installé(?:e|s|es)?|déménag\w*|"
    r"né(?:e|s|es)?(?:[ \u00a0]+le[ \u00a0]+[\w/.\-\u00a0 ]{4,24}?)?|originaire|"
    r"lives?|living|lived|resides?|resident|residing|moved|moving|relocat\w*|"
    r"born(?:[ \u00a0]+on[ \u00a0]+[\w/.\-\u00a0 ]{4,24}?)?|grew[ \u00a0]+up|hometown)"
    r"[ \u00a0]+(?:(?:actuellement|maintenant|désormais|currently|now|still)[ \u00a0]+)?"
    r"(?:à|au|aux|en|dans|sur|vers|in|at|to|near)[ \u00a0]+"
    r"(?-i:(?:(?:la|le|les|the)[ \u00a0]+|l['\u2019]))?",
    re.IGNORECASE,
)
_PLACE_WORD = re.compile(r"[^\W\d_][\w'\u2019\-]*")
# Words after a residence cue that are no place: "habite à la campagne", "lives in a flat".
_NOT_PLACES = frozenset(
    re.findall(
        r"\S+",
        "campagne ville centre banlieue montagne étranger etranger province france maison "
        "appartement vis même meme proximité proximite côté cote bord face rez étage etage "
        "périphérie "
        "a an the same city town centre center countryside suburbs flat house apartment abroad "
        "house hotel office office company",
    )
)


def street_addresses(text: str) -> Iterator[tuple[int, int]]:
    """Street addresses, extended over a following postcode-and-town line."""
    for pattern, town in ((FR_STREET, FR_TOWN_LINE), (EN_STREET, EN_TOWN_LINE)):
        for match in pattern.finditer(text):
            end = _trim(text, match.start(), match.end())
            tail = town.match(text, end)
            if tail and tail.end() > end:
                end = _trim(text, match.start(), tail.end())
            yield match.start(), end


def _trim(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " ,.;:\u00a0\n":
        end -= 1
    return end


def _town_after(text: str, start: int) -> int:
    """End of a town name starting at `start`: one to three words, hyphens included; a lower
    case word after the first ends it unless it joins a compound ("Aix-en-Provence"). A lower
    case first word must not be a grammatical word ("moved to the next step")."""
    from privacy.names import FUNCTION, lexicon

    lex = lexicon()
    end, count = start, 0
    pos = start
    while count < 3:
        word = _PLACE_WORD.match(text, pos)
        if not word:
            break
        value = word.group()
        if count > 0 and not value[:1].isupper():
            break
        if count == 0 and (
            value.casefold() in _NOT_PLACES
            or (not value[:1].isupper() and lex.is_common(value, FUNCTION))
        ):
            return start
        end, count = word.end(), count + 1
        gap = re.match(r"[ \u00a0]", text[end : end + 1])
        if not gap or not value[:1].isupper():
            break
        pos = end + 1
    return end


def tied_places(text: str) -> Iterator[tuple[int, int]]:
    """Towns tied to a person by a residence cue."""
    for cue in RESIDENCE_CUE.finditer(text):
        if re.match(r"\d", text[cue.end() : cue.end() + 1]):
            continue  # "habite au 12 rue ...": the street address pattern has it
        end = _town_after(text, cue.end())
        if end > cue.end():
            yield cue.end(), end


def find_addresses(text: str) -> Iterator[tuple[int, int, float]]:
    """(start, end, score) of street addresses and of towns tied to a person."""
    for start, end in street_addresses(text):
        yield start, end, 0.8
    for start, end in tied_places(text):
        yield start, end, 0.7


def near_residence_cue(text: str, start: int) -> bool:
    """True when the place at `start` follows a residence cue (to keep a spaCy LOCATION)."""
    return any(cue.end() == start for cue in RESIDENCE_CUE.finditer(text[: start + 1]))
