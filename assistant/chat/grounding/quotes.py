"""Quote mode: an answer made only of sentences copied verbatim from the passages.

No generation, so nothing can be invented. What the question asks for is read first
(assistant.chat.grounding.question: its key terms, topic words, numbers, the kind of fact and the
unit wanted). Each passage sentence is then scored

    score = W_SIMILARITY * cosine(question, sentence)
          + W_LEXICAL * weighted share of the question's stemmed terms found in the sentence
            (a term's weight is its rarity among the candidate sentences, 1 + ln(N / df), halved
            for answer-type and generic words: "meal" outweighs "allowance" when every benefit
            sentence says "allowance")
          + W_RANK * (1 - passage rank / passages)            (retrieval order)
          + W_POSITION / (1 + sentence index in its passage)  (leads state the point)
          + W_EXPECTED_FACT when the question asks for a number, a date or a name and the
            sentence contains one (assistant.chat.grounding.facts), with the unit asked for when
            the question names one ("how many days": "25 days", not "two weeks")
          + W_QUESTION_NUMBER when the sentence repeats a number or date of the question
          + W_PERIOD when it counts over the period the question names ("par an", "per month")
          - W_OTHER_SUBJECT when it opens on a subject the question does not name ("Les demandes
            de congés ..." for "combien de jours de congés ?": a neighbouring rule)
          - W_UNCOVERED when a topic word of the question appears in NO passage (text or
            document title) of the question's language

A sentence is quoted only when it shares a key term or a number with the question: one that
shares only generic words ("employees", "policy", "how many") is not. (Sentences in another
language than the question's cannot be compared word for word and are judged on similarity.)

The best sentence is quoted when it reaches QUOTE_MIN_SCORE. Up to `max_sentences - 1` more
follow only when they reach QUOTE_RELATIVE of the best score, are not near-duplicates of a
sentence already chosen (cosine >= DUPLICATE_SIMILARITY), and answer a part of the question the
chosen ones do not: they bring a key term, number or period of the question that neither the
chosen sentences nor their passages' titles and headings hold, or the kind of fact asked for
when no chosen sentence has one. So the rule next to the answer ("requests must be approved two
weeks in advance" after "employees receive 25 days of paid leave") is left out, while a question
with two parts gets a sentence for each. The quotations are listed passage by passage, the best
passage first. The answer starts with a one-line lead-in in the question's language and each
quotation is followed by its citation [n]. When no sentence qualifies, the answer says so
(QuoteAnswer.found is False) and the caller should refuse.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.backends.language import detect_language
from assistant.chat.grounding.facts import extract_facts, fold, passage_keys
from assistant.chat.grounding.question import (
    QuestionProfile,
    Term,
    is_unspecific,
    number_units,
    periods,
    profile_question,
    sentence_terms,
    subject,
    topic_words,
)
from assistant.chat.grounding.sentences import split_sentences
from assistant.chat.grounding.verify import Passage

__all__ = ["LEAD_IN", "NOT_FOUND", "QuoteAnswer", "quotations", "quote_answer", "topic_words"]

W_SIMILARITY = 0.55
W_LEXICAL = 0.35
W_RANK = 0.05
W_POSITION = 0.05
W_EXPECTED_FACT = 0.10
W_QUESTION_NUMBER = 0.10
W_PERIOD = 0.10
W_OTHER_SUBJECT = 0.10
W_UNCOVERED = 0.30
UNSPECIFIC_WEIGHT = 0.5
# Measured with all-MiniLM-L6-v2 on the generated evaluation set (evaluate.py): the answering
# sentence scores 0.55-0.95; the best sentence for an unanswerable question 0.07-0.32 in English
# and 0.25-0.51 in French (where the embedder is weaker). A round value between, not a fit.
QUOTE_MIN_SCORE = 0.45
# A second sentence must also answer a part of the question the chosen ones do not (see above),
# so the band can be wide enough for the second part of a two-part question.
QUOTE_RELATIVE = 0.6
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

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


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
    lang: str
    index: int  # position of the sentence in its passage
    terms: set[str] = field(default_factory=set)
    keys: frozenset[str] = frozenset()
    score: float = 0.0
    row: int = 0
    answers: frozenset[Term] = frozenset()  # key terms and number keys of the question it holds
    has_fact: bool = False  # the kind of fact the question asks for (with its unit)


def _candidates(
    passages: Sequence[Passage], lang: str
) -> tuple[list[_Candidate], dict[int, set[str]]]:
    """The quotable sentences of the passages, and for each passage the stems of what says what
    it is about: its document title and its headings (the lines too short to quote, or ending
    with a colon)."""
    found = []
    context: dict[int, set[str]] = {}
    for passage in passages:
        plang = detect_language(passage.text, default=lang)
        headings = [passage.document_title]
        index = 0
        for span in split_sentences(passage.text, plang):
            too_short = len(_WORD.findall(span.text)) < MIN_QUOTE_WORDS
            if too_short or span.text.rstrip().endswith(":"):
                headings.append(span.text)
                continue
            if len(span.text) > MAX_QUOTE_CHARS:
                continue
            slang = detect_language(span.text, default=plang)
            found.append(
                _Candidate(
                    passage.number,
                    span.text,
                    (span.start, span.end),
                    slang,
                    index,
                    sentence_terms(span.text, slang),
                    passage_keys(span.text),
                )
            )
            index += 1
        context[passage.number] = sentence_terms(" ".join(headings), lang)
    return found, context


def _term_weights(profile: QuestionProfile, candidates: Sequence[_Candidate]) -> dict[Term, float]:
    """Weight of each question term: its rarity among the candidate sentences, halved for the
    words that say what kind of answer is wanted or that every policy uses. A term no sentence
    holds weighs 1 (the question's own wording, "do employees get", must not sink every score),
    unless it is a topic word: what the question is about and no sentence mentions weighs as
    much as the rarest term."""
    same = [c for c in candidates if c.lang == profile.lang]
    weights = {}
    for term in profile.terms:
        df = sum(bool(term & c.terms) for c in same)
        if df:
            weight = 1 + math.log(len(same) / df)
        else:
            weight = 1 + math.log(max(len(same), 1)) if term in profile.topic else 1.0
        weights[term] = weight if term in profile.key_terms else weight * UNSPECIFIC_WEIGHT
    return weights


def _answers(candidate: _Candidate, profile: QuestionProfile, context: set[str]) -> set[Term]:
    """What of the question the sentence holds: its key terms (also through the passage's title
    and headings, which say what the passage is about), the question's numbers and period."""
    held = {term for term in profile.key_terms if term & (candidate.terms | context)}
    if profile.per and profile.per in periods(candidate.text):
        held.add(frozenset({f"/{profile.per}"}))
    return held | {frozenset({f"#{key}"}) for key in profile.numbers & candidate.keys}


def _qualifies(candidate: _Candidate, profile: QuestionProfile) -> bool:
    """A sentence is quoted only if it shares a key term or a number with the question; a
    question with no key term at all ("how much is it?") needs any shared term. Sentences in
    another language cannot be compared word for word: similarity decides for them."""
    if candidate.lang != profile.lang:
        return True
    if profile.numbers & candidate.keys:
        return True
    wanted = profile.key_terms or profile.terms
    return any(term & candidate.terms for term in wanted)


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
    sentence is an exact slice of its passage's text, cited with that passage's number. One
    embed_documents() call in all.
    """
    lang = lang if lang in LEAD_IN else "en"
    candidates, context = _candidates(passages, lang)
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
    profile = profile_question(question, lang)
    weights = _term_weights(profile, candidates)
    total_weight = sum(weights.values())
    # Terms can only be compared within one language: passages in another language (and their
    # titles, which name what they are about) are left out, and without any the rule is off.
    everywhere: set[str] = set()
    for passage in passages:
        plang = detect_language(passage.text, default=lang)
        if plang == lang:
            everywhere |= sentence_terms(f"{passage.document_title} {passage.text}", plang)
    missing = [term for term in profile.topic if not term & everywhere]
    uncovered = 1.0 if everywhere and missing else 0.0
    rank = {p.number: i for i, p in enumerate(passages)}
    for row, candidate in enumerate(candidates):
        candidate.row = row
        candidate.has_fact = _has_expected_fact(candidate, profile)
        shared = [term for term in profile.terms if term & candidate.terms]
        lexical = sum(weights[t] for t in shared) / total_weight if total_weight else 0.0
        candidate.score = (
            W_SIMILARITY * float(similarity[row])
            + W_LEXICAL * lexical
            + W_RANK * (1 - rank[candidate.passage] / len(passages))
            + W_POSITION / (1 + candidate.index)
            + (W_EXPECTED_FACT if candidate.has_fact else 0.0)
            + (W_QUESTION_NUMBER if profile.numbers & candidate.keys else 0.0)
            + (W_PERIOD if profile.per and profile.per in periods(candidate.text) else 0.0)
            - (W_OTHER_SUBJECT if _other_subject(candidate, profile) else 0.0)
            - W_UNCOVERED * uncovered
        )
        candidate.answers = frozenset(_answers(candidate, profile, context[candidate.passage]))
    ranked = sorted(candidates, key=lambda c: c.score, reverse=True)
    qualified = [c for c in ranked if _qualifies(c, profile)]
    best_score = round(ranked[0].score, 4)
    if not qualified or qualified[0].score < QUOTE_MIN_SCORE:
        return QuoteAnswer(NOT_FOUND[lang], lang=lang, best_score=best_score)
    best = qualified[0]
    chosen = [best]
    covered = set(best.answers)
    for candidate in qualified[1:]:
        if len(chosen) >= max_sentences or candidate.score < best.score * QUOTE_RELATIVE:
            break
        adds_fact = candidate.has_fact and not any(c.has_fact for c in chosen)
        if candidate.lang == lang and not candidate.answers - covered and not adds_fact:
            continue  # a neighbouring rule: nothing of the question the chosen ones lack
        duplicate = any(
            fold(candidate.text) == fold(c.text)
            or float(vectors[candidate.row + 1] @ vectors[c.row + 1]) >= DUPLICATE_SIMILARITY
            for c in chosen
        )
        if not duplicate:
            chosen.append(candidate)
            covered |= candidate.answers
    chosen = _by_passage(chosen)
    return QuoteAnswer(
        _format(chosen, lang),
        sentences=[(c.passage, c.text, c.span) for c in chosen],
        lang=lang,
        best_score=round(best.score, 4),
    )


def _other_subject(candidate: _Candidate, profile: QuestionProfile) -> bool:
    if candidate.lang != profile.lang:
        return False
    head = subject(candidate.text)
    if head is None:
        return False
    stems = sentence_terms(head, candidate.lang)
    if not stems or is_unspecific(stems, profile.lang):
        return False
    return not any(term & stems for term in profile.terms)


def _has_expected_fact(candidate: _Candidate, profile: QuestionProfile) -> bool:
    if not profile.kinds:
        return False
    kinds = {f.kind for f in extract_facts(candidate.text)}
    if not profile.kinds & kinds:
        return False
    if profile.unit and kinds <= {"number"}:
        return profile.unit in number_units(candidate.text)
    return True


def _by_passage(chosen: list[_Candidate]) -> list[_Candidate]:
    """Passage by passage, the best passage first (`chosen` is best first, and so stays each
    passage's sentences)."""
    order = list(dict.fromkeys(c.passage for c in chosen))
    return sorted(chosen, key=lambda c: order.index(c.passage))


def _format(chosen: list[_Candidate], lang: str) -> str:
    quoted_langs = {detect_language(c.text, default=lang) for c in chosen}
    lead = LEAD_IN[lang] if quoted_langs == {lang} else LEAD_IN_OTHER_LANGUAGE[lang]
    if quoted_langs - {lang} and quoted_langs & {lang}:
        lead = LEAD_IN[lang]  # mixed: the quotations speak for themselves
    opening, closing = ("« ", " »") if lang == "fr" else ("“", "”")
    lines = [lead] + [f"{opening}{c.text}{closing} [{c.passage}]" for c in chosen]
    return "\n".join(lines)


_QUOTATION_LINE = re.compile(r"^(?:« |“)(.+?)(?: »|”) \[(\d+)\]$", re.MULTILINE)


def quotations(answer: str) -> list[tuple[int, str]]:
    """(passage number, quoted sentence) of each quotation line of a quote answer, in order:
    the inverse of the format quote_answer() writes (an evaluation reads answers this way)."""
    return [(int(m.group(2)), m.group(1)) for m in _QUOTATION_LINE.finditer(answer)]
