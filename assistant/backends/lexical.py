"""Sparse lexical vectors for hybrid search, built locally (no model download).

One function serves documents and queries so both sides land on the same terms:

1. tokenise: Unicode words (letters and digits), lowercased; French elisions ("l'entreprise",
   "qu'il") lose their article;
2. drop French and English stopwords (both lists: documents mix languages, and a stopword carries
   no lexical signal in either);
3. stem with Snowball (French or English, from `lang` or detect_language), then strip accents from
   the stem, so "contrats"/"contrat" and "résiliation"/"resiliation" meet on one term;
4. value = 1 + ln(term frequency) (sublinear, so a repeated word does not swamp the others); the
   store multiplies it by the IDF that Qdrant's IDF modifier computes over the collection;
5. index = first 31 bits of blake2b(stem): stable across processes and Python versions (never
   Python's salted hash()); two stems colliding on one index add their values.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import unicodedata
from collections import Counter
from typing import Any

from assistant.backends.language import ENGLISH_STOPWORDS, FRENCH_STOPWORDS, detect_language
from assistant.backends.vectorstore import SparseVector

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ELIDED = re.compile(r"\b(?:l|d|j|qu|n|s|c|m|t|jusqu|lorsqu|puisqu|quoiqu)['\u2019]", re.UNICODE)
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
_STEMMER_NAMES = {"fr": "french", "en": "english"}
_MAX_TOKEN_CHARS = 40  # longer "words" are hashes, base64 or junk: no lexical value


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_STOPWORDS = frozenset(
    FRENCH_STOPWORDS
    | ENGLISH_STOPWORDS
    | {strip_accents(word) for word in FRENCH_STOPWORDS | ENGLISH_STOPWORDS}
)

# Snowball stemmer objects keep per-call state: one instance per thread and language.
_local = threading.local()


def _stemmer(lang: str) -> Any:
    stemmers: dict[str, Any] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if lang not in stemmers:
        import snowballstemmer

        stemmers[lang] = snowballstemmer.stemmer(_STEMMER_NAMES[lang])
    return stemmers[lang]


def tokenize(text: str) -> list[str]:
    """Lowercased word tokens without elided articles and stopwords (accents kept for stemming)."""
    lowered = _ELIDED.sub(" ", text.lower())
    tokens = []
    for token in _TOKEN.findall(lowered):
        if len(token) > _MAX_TOKEN_CHARS or token in _STOPWORDS:
            continue
        if len(token) == 1 and not token.isdigit():
            continue
        tokens.append(token)
    return tokens


def terms(text: str, *, lang: str | None = None) -> list[str]:
    """Accent-free stems of the text's content words, in order (repeats kept)."""
    language = lang if lang in _STEMMER_NAMES else detect_language(text)
    tokens = tokenize(text)
    if not tokens:
        return []
    stems = _stemmer(language).stemWords(tokens)
    return [strip_accents(stem) for stem in stems]


def term_index(term: str) -> int:
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


def sparse_vector(text: str, *, lang: str | None = None) -> SparseVector:
    """Stemmed French/English term frequencies with hashed indices (sorted, unique); an empty
    vector for text without content words."""
    weights: dict[int, float] = {}
    for term, count in Counter(terms(text, lang=lang)).items():
        index = term_index(term)
        weights[index] = weights.get(index, 0.0) + 1.0 + math.log(count)
    indices = sorted(weights)
    return SparseVector(indices=indices, values=[weights[i] for i in indices])
