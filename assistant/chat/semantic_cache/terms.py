"""The key terms of a question: what a paraphrase must keep for a cached answer to fit it.

Measured on the bench question set with all-MiniLM-L6-v2 (README, Semantic cache): near misses
such as "article 12" / "article 13", "paracetamol" / "ibuprofen" or "for adults" / "for children"
score up to 0.98 cosine (p95 0.96 in English) against the question they must not match, above
most true paraphrases (p5 0.92 in English, 0.75 in French). No similarity threshold separates
them, so an entry is a candidate only when the question has exactly the same key terms:

- its content words, stemmed (assistant.backends.lexical.terms), minus the words that only frame
  a request ("could you tell me", "j'aimerais savoir", "please"), which paraphrases change freely;
- numbers, digits or spelled out ("two days" = "2 days");
- the function words that flip a meaning and that stopword lists drop: negations, comparisons
  (more/less, before/after) and the question words who/where/when/why.

A paraphrase that changes a content word ("vacation" for "leave") is then a miss: the cache
trades recall for never serving an answer to a different question.
"""

from __future__ import annotations

import re
from functools import cache

from assistant.backends.lexical import terms

FRAMING = {
    "en": """tell know like please remind want need wonder explain give say find get exactly
        kindly let help question answer would could can may might thanks thank me many much
        number""",
    "fr": """dire pouvez pourriez pouvoir peux pourrais aimerais aimerait aime voudrais voudrait
        vouloir veux connaître connaitre savoir sais indiquer indiquez rappeler rappelez
        rappelle donner donnez expliquer expliquez plaît plait merci svp exactement question moi
        nombre""",
}
NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20",
    "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
    "million": "1000000", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7",
    "huit": "8", "neuf": "9", "dix": "10", "onze": "11", "douze": "12", "quinze": "15",
    "vingt": "20", "trente": "30", "quarante": "40", "cinquante": "50", "cent": "100",
    "mille": "1000",
}  # fmt: skip
# "one"/"un"/"une" are left out: they are pronouns and articles far more often than numbers.
MEANING_WORDS = {
    "not": "neg", "no": "neg", "never": "neg", "without": "neg", "nor": "neg", "cannot": "neg",
    "ne": "neg", "pas": "neg", "jamais": "neg", "sans": "neg", "aucun": "neg", "aucune": "neg",
    "ni": "neg", "more": "more", "most": "more", "plus": "more", "less": "less", "least": "less",
    "moins": "less", "before": "before", "avant": "before", "after": "after", "après": "after",
    "above": "more", "below": "less", "who": "who", "whom": "who",
    "whose": "who", "qui": "who", "where": "where", "où": "where", "when": "when", "quand": "when",
    "why": "why", "pourquoi": "why",
}  # fmt: skip
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CONTRACTED_NOT = re.compile(r"\b(\w+?)n't\b")
_CONTRACTED_VERBS = {"ca": "can", "wo": "will", "sha": "shall"}
MAX_KEY_CHARS = 500  # CachedAnswer.key_terms


def _not(match: re.Match[str]) -> str:
    verb = match.group(1)
    return f"{_CONTRACTED_VERBS.get(verb, verb)} not"


@cache
def _framing_stems(language: str) -> frozenset[str]:
    return frozenset(terms(FRAMING.get(language, FRAMING["en"]), lang=language))


def key_terms(question: str, language: str) -> str:
    """The question's key terms, sorted and space-separated (compared for equality)."""
    lowered = _CONTRACTED_NOT.sub(_not, question.lower().replace("\u2019", "'"))
    keys: set[str] = set()
    spelled: list[str] = []
    for word in _WORD.findall(lowered):
        if word in MEANING_WORDS:
            keys.add(MEANING_WORDS[word])
        elif word in NUMBER_WORDS:
            spelled.append(word)
            keys.add(NUMBER_WORDS[word])
    text = lowered
    for word in spelled:  # counted above as digits, not again as content words
        text = re.sub(rf"\b{word}\b", " ", text)
    framing = _framing_stems(language)
    keys.update(term for term in terms(text, lang=language) if term not in framing)
    return " ".join(sorted(keys))
