"""Offline French/English language detection, fast enough to run on every chunk and question.

A stopword vote: function words ("le", "des", "est" / "the", "of", "is") are the most frequent
tokens of any text and barely overlap between the two languages, so counting them tells French from
English within a few words. French accents (é, è, à, ç, ...) break ties and carry texts made of
content words only. No model, no data file, no network; ~20 µs for a sentence.
"""

from __future__ import annotations

import re

# Each list keeps only words that are not also common in the other language ("a", "on", "pour" in
# English, "est", "son" in French are ambiguous and left out or weighted by their own side only).
FRENCH_STOPWORDS = frozenset(
    """
    le la les un une des du de au aux et ou est sont été être avoir avez avons ont ai as sommes
    êtes était étaient sera seront fait faire peut peuvent doit doivent ce cet cette ces mon ma mes
    ton ta tes son sa ses notre nos votre vos leur leurs je tu il elle nous vous ils elles on qui
    que quoi dont où quand comment pourquoi combien quel quelle quels quelles dans sur sous avec
    sans pour par chez entre vers depuis pendant avant après selon ne pas plus moins très aussi
    mais donc car ni si tout tous toute toutes autre autres même mêmes lui eux y en se ça cela
    ceci celui celle ceux celles lorsque alors ainsi comme afin jusqu
    """.split()  # noqa: SIM905 - a word list reads better as text
)

ENGLISH_STOPWORDS = frozenset(
    """
    the a an and or of to in is are was were be been being have has had do does did will would
    shall should can could may might must this that these those it its he she they we you i me my
    your his her our their them him us what which who whom whose when where why how all any each
    every both few more most other some such no nor not only own same so than too very just from
    with without by at about against between into through during before after above below up down
    out off over under again further then once here there if because as until while for on
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
_FRENCH_ACCENTS = frozenset("éèêëàâîïôûùüÿçœæ")
_SUPPORTED = ("fr", "en")


def detect_language(text: str, default: str = "en") -> str:
    """Return "fr" or "en" for `text`; `default` (coerced to "en" unless it is "fr") when the text
    gives no signal (empty, numbers only, proper nouns only)."""
    fallback = default if default in _SUPPORTED else "en"
    sample = text[:4000].lower()
    if not sample.strip():
        return fallback
    french = english = 0.0
    for match in _WORD.finditer(sample):
        word = match.group(0)
        if "'" in word or "\u2019" in word:
            head, _, tail = word.replace("\u2019", "'").partition("'")
            # "l'entreprise", "qu'il" are French; "don't", "it's", "company's" are English.
            if head in {"l", "d", "j", "qu", "n", "s", "c", "m", "t", "jusqu", "lorsqu"}:
                french += 1
            elif tail in {"t", "s", "re", "ve", "ll", "d", "m"}:
                english += 1
            continue
        in_fr = word in FRENCH_STOPWORDS
        in_en = word in ENGLISH_STOPWORDS
        if in_fr and not in_en:
            french += 1
        elif in_en and not in_fr:
            english += 1
        if any(char in _FRENCH_ACCENTS for char in word):
            french += 0.5
    if french == english:
        return fallback
    return "fr" if french > english else "en"
