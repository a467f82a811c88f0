"""Quote mode: an answer made only of sentences copied verbatim from the passages.

No generation, so nothing can be invented: each passage sentence gets a score

    score = W_SIMILARITY * cosine(question, sentence)
          + W_LEXICAL * share of the question's stemmed content terms found in the sentence
          + W_RANK * (1 - passage rank / passages)            (retrieval order)
          + W_POSITION / (1 + sentence index in its passage)  (leads state the point)
          + W_EXPECTED_FACT when the question asks for a number, a date or a name and the
            sentence contains one (assistant.chat.grounding.facts)
          - W_UNCOVERED when a topic word of the question appears in NO passage (text or
            document title) of the question's language

Topic words are the words of the question's noun phrases (after a determiner: "the parking
allowance", "l'indemnité de stationnement") minus answer-type words ("city", "deadline", "ville",
"délai"...): when the question names something that no retrieved passage mentions, the passages
are probably about something else, however similar they look. Verbs are left out because they
are what paraphrases change ("in charge of" for "heads").

The best sentence is quoted when it reaches QUOTE_MIN_SCORE; up to `max_sentences - 1` more
follow when they reach QUOTE_RELATIVE of the best score and are not near-duplicates of a sentence
already chosen (cosine >= DUPLICATE_SIMILARITY). The answer starts with a one-line lead-in in the
question's language and each quotation is followed by its citation [n]. When no sentence reaches
the threshold, the answer says so (QuoteAnswer.found is False) and the caller should refuse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.backends.language import detect_language
from assistant.chat.grounding.facts import extract_facts, fold
from assistant.chat.grounding.sentences import split_sentences
from assistant.chat.grounding.verify import Passage, content_terms

W_SIMILARITY = 0.55
W_LEXICAL = 0.35
W_RANK = 0.05
W_POSITION = 0.05
W_EXPECTED_FACT = 0.10
W_UNCOVERED = 0.30
# Measured with all-MiniLM-L6-v2 on the generated evaluation set (evaluate.py): the answering
# sentence scores 0.55-0.95; the best sentence for an unanswerable question 0.07-0.32 in English
# and 0.25-0.51 in French (where the embedder is weaker). A round value between, not a fit.
QUOTE_MIN_SCORE = 0.45
QUOTE_RELATIVE = 0.85
DUPLICATE_SIMILARITY = 0.90
MIN_QUOTE_WORDS = 4
MAX_QUOTE_CHARS = 600

LEAD_IN = {"fr": "D'après les documents :", "en": "According to the documents:"}
LEAD_IN_OTHER_LANGUAGE = {
    "fr": "D'après les documents (citations en anglais) :",
    "en": "According to the documents (quoted in French):",
}
NOT_FOUND = {
    "fr": "Les documents trouvés ne contiennent aucune phrase qui réponde directement à cette "
    "question.",
    "en": "The documents found contain no sentence that directly answers this question.",
}

_ASKS_NUMBER = re.compile(
    r"\b(combien|how (much|many|long|often)|montant|taux|nombre|pourcentage|prix|tarif|"
    r"amount|rate|number|percentage|price|fee|cost|coût|durée|duration|limit|limite|plafond|"
    r"ceiling|minimum|maximum)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(quand|when|date|quel jour|what day|deadline|échéance|à partir de quel)\b", re.IGNORECASE
)
_ASKS_NAME = re.compile(r"\b(qui|who|whom|où|where|quelle ville|which city)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words that say what kind of answer is wanted rather than what the question is about.
_ANSWER_TYPE_WORDS = [
    "much",
    "many",
    "long",
    "often",
    "time",
    "times",
    "date",
    "day",
    "days",
    "year",
    "years",
    "amount",
    "number",
    "price",
    "cost",
    "rate",
    "fee",
    "percentage",
    "deadline",
    "city",
    "town",
    "place",
    "country",
    "located",
    "location",
    "based",
    "people",
    "person",
    "persons",
    "name",
    "names",
    "happen",
    "happens",
    "take",
    "takes",
    "taken",
    "scheduled",
    "held",
    "exactly",
    "currently",
    "combien",
    "montant",
    "nombre",
    "prix",
    "coût",
    "taux",
    "délai",
    "date",
    "jour",
    "jours",
    "année",
    "ville",
    "lieu",
    "endroit",
    "pays",
    "personnes",
    "personne",
    "nom",
    "noms",
    "situé",
    "située",
    "installé",
    "installée",
    "trouve",
    "trouvent",
    "passe",
    "exactement",
    "actuellement",
    "tête",
    "charge",
    "head",
]
_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "its",
        "their",
        "his",
        "her",
        "our",
        "your",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "au",
        "aux",
        "ce",
        "cet",
        "cette",
        "ces",
        "son",
        "sa",
        "ses",
        "leur",
        "leurs",
        "notre",
        "nos",
        "votre",
        "vos",
    ]
)
_QUESTION_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def topic_words(question: str) -> list[str]:
    """Words of the question's noun phrases that do not name the kind of answer wanted."""
    from assistant.backends.language import ENGLISH_STOPWORDS, FRENCH_STOPWORDS

    stop = (FRENCH_STOPWORDS | ENGLISH_STOPWORDS) - _DETERMINERS
    words = _QUESTION_WORD.findall(question.lower().replace("’", "'"))  # noqa: RUF001
    found: list[str] = []
    left = 0  # words still to take in the current noun phrase: a noun and one modifier
    for word in words:
        if word in _DETERMINERS:
            left = 2
        elif word in stop or word.isdigit() or word in _ANSWER_TYPE_WORDS:
            left = 0  # "combien de personnes travaillent": the verb is not part of the phrase
        elif left:
            found.append(word)
            left -= 1
    return found


@dataclass
class QuoteAnswer:
    text: str
    # (passage number, sentence exactly as in the passage, (start, end) in the passage text)
    sentences: list[tuple[int, str, tuple[int, int]]] = field(default_factory=list)
    lang: str = "en"
    best_score: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.sentences)

    @property
    def citations(self) -> list[int]:
        seen: list[int] = []
        for number, _, _ in self.sentences:
            if number not in seen:
                seen.append(number)
        return seen


@dataclass
class _Candidate:
    passage: int
    text: str
    span: tuple[int, int]
    score: float = 0.0
    row: int = 0


def _expected_kinds(question: str) -> set[str]:
    kinds = set()
    if _ASKS_NUMBER.search(question):
        kinds.add("number")
    if _ASKS_DATE.search(question):
        kinds.update({"date", "number"})
    if _ASKS_NAME.search(question):
        kinds.add("name")
    return kinds


def _candidates(passages: Sequence[Passage], lang: str) -> list[_Candidate]:
    found = []
    for passage in passages:
        plang = detect_language(passage.text, default=lang)
        for span in split_sentences(passage.text, plang):
            if len(_WORD.findall(span.text)) < MIN_QUOTE_WORDS or len(span.text) > MAX_QUOTE_CHARS:
                continue
            if span.text.rstrip().endswith(":"):
                continue
            found.append(_Candidate(passage.number, span.text, (span.start, span.end)))
    return found


def quote_answer(
    question: str,
    passages: Sequence[Passage],
    *,
    lang: str,
    max_sentences: int = 3,
    embedder: Any = None,
) -> QuoteAnswer:
    """The passage sentences that best answer `question`, quoted with their citations.

    `passages` are in retrieval order (most relevant first), numbered as cited. Every quoted
    sentence is an exact slice of its passage's text. One embed_documents() call in all.
    """
    lang = lang if lang in LEAD_IN else "en"
    candidates = _candidates(passages, lang)
    if not candidates:
        return QuoteAnswer(NOT_FOUND[lang], lang=lang)
    if embedder is None:
        from assistant.backends.embedder import get_embedder

        embedder = get_embedder()
    import numpy as np

    vectors = np.asarray(
        embedder.embed_documents([question] + [c.text for c in candidates]), dtype="float32"
    )
    similarity = vectors[1:] @ vectors[0]
    question_terms = content_terms(question, lang)
    topic = content_terms(" ".join(topic_words(question)), lang)
    # Terms can only be compared within one language: passages in another language (and their
    # titles, which name what they are about) are left out, and without any the rule is off.
    everywhere: set[str] = set()
    for passage in passages:
        plang = detect_language(passage.text, default=lang)
        if plang == lang:
            everywhere |= content_terms(f"{passage.document_title} {passage.text}", plang)
    uncovered = 1.0 if everywhere and topic - everywhere else 0.0
    kinds = _expected_kinds(question)
    rank = {p.number: i for i, p in enumerate(passages)}
    position: dict[int, int] = {}
    for row, candidate in enumerate(candidates):
        candidate.row = row
        index = position.get(candidate.passage, 0)
        position[candidate.passage] = index + 1
        plang = detect_language(candidate.text, default=lang)
        terms = content_terms(candidate.text, plang)
        lexical = len(question_terms & terms) / len(question_terms) if question_terms else 0.0
        fact_kinds = {f.kind for f in extract_facts(candidate.text)} if kinds else set()
        candidate.score = (
            W_SIMILARITY * float(similarity[row])
            + W_LEXICAL * lexical
            + W_RANK * (1 - rank[candidate.passage] / len(passages))
            + W_POSITION / (1 + index)
            + (W_EXPECTED_FACT if kinds & fact_kinds else 0.0)
            - W_UNCOVERED * uncovered
        )
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    best = ranked[0]
    if best.score < QUOTE_MIN_SCORE:
        return QuoteAnswer(NOT_FOUND[lang], lang=lang, best_score=round(best.score, 4))
    chosen = [best]
    for candidate in ranked[1:]:
        if len(chosen) >= max_sentences or candidate.score < best.score * QUOTE_RELATIVE:
            break
        duplicate = any(
            fold(candidate.text) == fold(c.text)
            or float(vectors[candidate.row + 1] @ vectors[c.row + 1]) >= DUPLICATE_SIMILARITY
            for c in chosen
        )
        if not duplicate:
            chosen.append(candidate)
    return QuoteAnswer(
        _format(chosen, lang),
        sentences=[(c.passage, c.text, c.span) for c in chosen],
        lang=lang,
        best_score=round(best.score, 4),
    )


def _format(chosen: list[_Candidate], lang: str) -> str:
    quoted_langs = {detect_language(c.text, default=lang) for c in chosen}
    lead = LEAD_IN[lang] if quoted_langs == {lang} else LEAD_IN_OTHER_LANGUAGE[lang]
    if quoted_langs - {lang} and quoted_langs & {lang}:
        lead = LEAD_IN[lang]  # mixed: the quotations speak for themselves
    opening, closing = ("« ", " »") if lang == "fr" else ("“", "”")
    lines = [lead] + [f"{opening}{c.text}{closing} [{c.passage}]" for c in chosen]
    return "\n".join(lines)
