"""Sentence-level verification of an answer against the passages it cites.

Each answer sentence that makes a claim is scored against every sentence of every retrieved
passage. The score mixes three signals, all in [0, 1]:

    score = W_SIMILARITY * cosine(sentence, passage sentence)       (entailment proxy)
          + W_LEXICAL_SENTENCE * share of the sentence's stemmed content terms in that sentence
          + W_LEXICAL_PASSAGE * share of them anywhere in the passage (facts spread over sentences)

plus a hard rule: every number, amount, date and proper noun of the sentence must appear in the
cited passages (assistant.chat.grounding.facts normalises "1 200 €" / "1,200" / "1.200,00" and
"12/03/2024" / "12 mars 2024"). Then:

- supported: the hard rule holds for the cited passages and the best cited score >= SUPPORTED_MIN;
- weak: the hard rule holds and WEAK_MIN <= best cited score < SUPPORTED_MIN, or the sentence is
  backed (hard rule + score >= SUPPORTED_MIN) only by a retrieved passage it does not cite; that
  passage becomes best_passage;
- unsupported: anything else. unsupported_terms lists the facts absent from the cited passages
  (from all retrieved passages when the sentence cites none).

Sentences that make no claim (a lead-in ending with ":", a lone citation, one word) are not listed.
A passage flagged as carrying instructions backs a sentence at most weakly. The passages'
sentences are embedded in one embed_documents() call (AnswerVerifier), the answer's in another.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.backends.language import detect_language
from assistant.chat.grounding.facts import (
    Fact,
    extract_facts,
    missing_facts,
    passage_keys,
    strip_markup,
)
from assistant.chat.grounding.sentences import Span, split_sentences

# Weights of the support score (they sum to 1).
W_SIMILARITY = 0.5
W_LEXICAL_SENTENCE = 0.3
W_LEXICAL_PASSAGE = 0.2
# Calibrated on the generated evaluation set (assistant/grounding/evaluate.py) with
# all-MiniLM-L6-v2: a copied sentence scores ~1.0, a faithful paraphrase 0.55-0.8, an unrelated
# sentence of the same domain 0.2-0.45.
SUPPORTED_MIN = 0.60
WEAK_MIN = 0.45

STATUS_SUPPORTED = "supported"
STATUS_WEAK = "weak"
STATUS_UNSUPPORTED = "unsupported"

_CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")  # noqa: RUF001
_QUOTES = re.compile(r"[«»“”\"]")
_WORDS = re.compile(r"[^\W\d_]{2,}", re.UNICODE)


@dataclass(frozen=True)
class Passage:
    number: int  # the citation number [n] the model sees
    text: str
    document_title: str = ""
    page: int | None = None
    # Instruction-like text was found in it (ingestion.pipeline.injection): it backs a sentence
    # at most weakly, and `removed` holds the sentences taken out of `text` as instructions.
    flagged: bool = False
    removed: tuple[str, ...] = ()


@dataclass
class SentenceCheck:
    text: str
    start: int  # offsets in the answer
    end: int
    cited: list[int]  # valid citation numbers carried by the sentence
    status: str  # "supported" | "weak" | "unsupported"
    score: float
    unsupported_terms: list[str] = field(default_factory=list)
    best_passage: int | None = None
    best_span: tuple[int, int] | None = None  # offsets in that passage's text


@dataclass
class Verification:
    sentences: list[SentenceCheck]
    supported_share: float  # supported sentences / checked sentences (0 when none)
    citation_coverage: float  # sentences carrying at least one valid citation / checked
    groundedness: float  # mean support by the CITED passages (0 for uncited or fact-missing)
    unsupported_numbers: list[str]  # numbers and dates absent from the cited passages
    invalid_citations: list[int] = field(default_factory=list)  # [n] with no passage n


def content_terms(text: str, lang: str) -> set[str]:
    """Accent-free stems of the content words (assistant.backends.lexical), as a set."""
    try:
        from assistant.backends.lexical import terms
    except ImportError:  # pragma: no cover - the lexical backend ships with the product
        return {w.lower() for w in _WORDS.findall(text)}
    return set(terms(text, lang=lang))


def parse_citations(sentence: str) -> list[int]:
    """Citation numbers in order of appearance, without repeats ("[1][2, 3]" -> [1, 2, 3])."""
    numbers: list[int] = []
    for match in _CITATION.finditer(sentence):
        for part in re.split(r"\s*[,;–-]\s*", match.group(1)):  # noqa: RUF001
            value = int(part)
            if value not in numbers:
                numbers.append(value)
    return numbers


def claim_text(sentence: str) -> str:
    """The sentence as compared with passages: no citation, list or quotation marks."""
    return " ".join(_QUOTES.sub(" ", strip_markup(sentence)).split())


def is_claim(sentence: str) -> bool:
    clean = claim_text(sentence)
    if clean.endswith(":") or len(_WORDS.findall(clean)) < 2:
        return False
    return bool(re.search(r"\w", clean))


@dataclass
class _Unit:
    passage: int
    span: Span
    terms: set[str]


@dataclass
class _Candidate:
    passage: int
    unit: _Unit
    score: float


class _PassageIndex:
    """Sentences, terms and fact keys of the retrieved passages."""

    def __init__(self, passages: Sequence[Passage], lang: str) -> None:
        self.passages = {p.number: p for p in passages}
        self.units: list[_Unit] = []
        self.terms: dict[int, set[str]] = {}
        self.keys: dict[int, frozenset[str]] = {}
        for passage in passages:
            plang = detect_language(passage.text, default=lang)
            self.terms[passage.number] = content_terms(passage.text, plang)
            self.keys[passage.number] = passage_keys(passage.text)
            for span in split_sentences(passage.text, plang):
                self.units.append(_Unit(passage.number, span, content_terms(span.text, plang)))

    def keys_of(self, numbers: Sequence[int]) -> frozenset[str]:
        keys: frozenset[str] = frozenset()
        for number in numbers:
            keys |= self.keys[number]
        return keys


def _embed(embedder: Any, texts: list[str]) -> Any:
    import numpy as np

    if not texts:
        return np.zeros((0, 1))
    return np.asarray(embedder.embed_documents(texts), dtype="float32")


def verify_answer(
    answer: str, passages: Sequence[Passage], *, lang: str, embedder: Any = None
) -> Verification:
    """Check every claim of `answer` against the passages (see the module docstring).

    `passages` are all the passages retrieved for the question, numbered as the model saw them.
    `embedder` defaults to the process-wide get_embedder(); it raises EmbedderUnavailable when the
    model cannot be loaded.
    """
    return AnswerVerifier(passages, lang=lang, embedder=embedder).verify(answer)


class AnswerVerifier:
    """Verification against one set of passages, prepared once (their sentences embedded in one
    embed_documents() call), then applied to a whole answer or, while it streams, to one
    sentence at a time. Also decides which answer sentences are withheld (assistant.chat.
    grounding.injection), since repeating a removed instruction is judged with the same scores."""

    def __init__(self, passages: Sequence[Passage], *, lang: str, embedder: Any = None) -> None:
        if embedder is None:
            from assistant.backends.embedder import get_embedder

            embedder = get_embedder()
        self.lang = lang
        self.embedder = embedder
        self.index = _PassageIndex(passages, lang)
        self.removed = [
            (text, content_terms(text, detect_language(text, default=lang)))
            for passage in passages
            for text in passage.removed
        ]
        texts = [u.span.text for u in self.index.units] + [text for text, _ in self.removed]
        vectors = _embed(embedder, texts)
        self.unit_vectors = vectors[: len(self.index.units)]
        self.removed_vectors = vectors[len(self.index.units) :]
        self.removed_keys = passage_keys(" ".join(text for text, _ in self.removed))
        self.kept_keys = self.index.keys_of(list(self.index.passages))
        self._claim_vectors: dict[str, Any] = {}

    def _vectors(self, claims: list[str]) -> Any:
        import numpy as np

        missing = [c for c in dict.fromkeys(claims) if c not in self._claim_vectors]
        for claim, vector in zip(missing, _embed(self.embedder, missing), strict=True):
            self._claim_vectors[claim] = vector
        if not claims:
            return np.zeros((0, 1))
        return np.stack([self._claim_vectors[c] for c in claims])

    def verify(self, answer: str) -> Verification:
        """The Verification of every claim of `answer`."""
        lang, index = self.lang, self.index
        spans = [s for s in split_sentences(answer, lang) if is_claim(s.text)]
        claims = [claim_text(s.text) for s in spans]
        vectors = self._vectors(claims)
        similarity = vectors @ self.unit_vectors.T if index.units and claims else None

        checks: list[SentenceCheck] = []
        invalid: list[int] = []
        grounded_scores: list[float] = []
        for row, (span, clean) in enumerate(zip(spans, claims, strict=True)):
            numbers = parse_citations(span.text)
            cited = [n for n in numbers if n in index.passages]
            invalid += [n for n in numbers if n not in index.passages and n not in invalid]
            sentence_terms = content_terms(clean, detect_language(clean, default=lang))
            candidates = []
            for col, unit in enumerate(index.units):
                cosine = float(similarity[row, col]) if similarity is not None else 0.0
                candidates.append(
                    _Candidate(
                        unit.passage,
                        unit,
                        _score(cosine, sentence_terms, unit.terms, index.terms[unit.passage]),
                    )
                )
            check, grounded = _judge(span, clean, cited, candidates, index)
            checks.append(check)
            grounded_scores.append(grounded)
        return _summary(checks, grounded_scores, invalid)

    def withheld(self, sentence: str) -> list[str]:
        """Why this answer sentence must not be shown ([] when it may be): the pattern rules of
        assistant.chat.grounding.injection against the unflagged passages it cites, and
        "injected" when it is closer to a sentence removed from a passage as an instruction
        than to anything that remained."""
        from assistant.chat.grounding.injection import withheld_reasons

        passages = self.index.passages
        cited = [passages[n] for n in parse_citations(sentence) if n in passages]
        reasons = withheld_reasons(sentence, [p.text for p in cited if not p.flagged])
        if self.removed and is_claim(sentence) and self._repeats_removed(claim_text(sentence)):
            reasons.append("injected")
        return reasons

    def _repeats_removed(self, clean: str) -> bool:
        # A number, date or name that only a removed instruction gives ("the subsidy is 999
        # euros" when the passage says 30), or a sentence closer to a removed one than to any
        # sentence that remained.
        for fact in extract_facts(clean):
            if fact.keys & self.removed_keys and not fact.keys & self.kept_keys:
                return True
        vector = self._vectors([clean])[0]
        terms = content_terms(clean, detect_language(clean, default=self.lang))
        removed = max(
            _score(float(vector @ self.removed_vectors[i]), terms, removed_terms, removed_terms)
            for i, (_text, removed_terms) in enumerate(self.removed)
        )
        if removed < SUPPORTED_MIN:
            return False
        kept = max(
            (
                _score(float(vector @ self.unit_vectors[i]), terms, unit.terms, unit.terms)
                for i, unit in enumerate(self.index.units)
            ),
            default=0.0,
        )
        return removed > kept


def _summary(
    checks: list[SentenceCheck], grounded_scores: list[float], invalid: list[int]
) -> Verification:
    count = len(checks)
    unsupported_numbers: list[str] = []
    for check in checks:
        for term in check.unsupported_terms:
            if any(c.isdigit() for c in term) and term not in unsupported_numbers:
                unsupported_numbers.append(term)
    return Verification(
        sentences=checks,
        supported_share=_share(sum(c.status == STATUS_SUPPORTED for c in checks), count),
        citation_coverage=_share(sum(bool(c.cited) for c in checks), count),
        groundedness=round(sum(grounded_scores) / count, 4) if count else 0.0,
        unsupported_numbers=unsupported_numbers,
        invalid_citations=invalid,
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _score(cosine: float, sentence: set[str], unit: set[str], passage: set[str]) -> float:
    if not sentence:
        return max(0.0, min(1.0, cosine))
    in_unit = len(sentence & unit) / len(sentence)
    in_passage = len(sentence & passage) / len(sentence)
    value = W_SIMILARITY * cosine + W_LEXICAL_SENTENCE * in_unit + W_LEXICAL_PASSAGE * in_passage
    return max(0.0, min(1.0, value))


def _best(candidates: list[_Candidate], numbers: Sequence[int]) -> _Candidate | None:
    pool = [c for c in candidates if c.passage in numbers]
    return max(pool, key=lambda c: c.score, default=None)


def _judge(
    span: Span,
    clean: str,
    cited: list[int],
    candidates: list[_Candidate],
    index: _PassageIndex,
) -> tuple[SentenceCheck, float]:
    """The check of one sentence, and its groundedness (support by its cited passages)."""
    facts = extract_facts(clean)
    cited_keys = index.keys_of(cited)
    missing: list[Fact] = missing_facts(facts, cited_keys) if cited else []
    check = SentenceCheck(span.text, span.start, span.end, cited, STATUS_UNSUPPORTED, 0.0)
    best_cited = _best(candidates, cited)
    if best_cited is not None:
        check.score = round(best_cited.score, 4)
        if not missing and best_cited.score >= WEAK_MIN:
            # A copy of a passage that carried instructions is not "supported": that passage
            # may say anything its author wanted the answer to say.
            trusted = _best(candidates, [n for n in cited if not index.passages[n].flagged])
            if trusted is not None and trusted.score >= SUPPORTED_MIN:
                check.status, best_cited = STATUS_SUPPORTED, trusted
            else:
                check.status = STATUS_WEAK
            _attach(check, best_cited)
            return check, best_cited.score
    # Backed only by a passage the sentence does not cite: weak, and point at that passage.
    others = [n for n in index.passages if n not in cited]
    backers = [
        c
        for c in candidates
        if c.passage in others
        and c.score >= SUPPORTED_MIN
        and not missing_facts(facts, cited_keys | index.keys[c.passage])
    ]
    backer = max(backers, key=lambda c: c.score, default=None)
    if backer is not None:
        check.status = STATUS_WEAK
        check.score = round(backer.score, 4)
        _attach(check, backer)
        return check, 0.0
    if not cited:
        all_keys = index.keys_of(list(index.passages))
        missing = missing_facts(facts, all_keys)
        best_any = _best(candidates, list(index.passages))
        check.score = round(best_any.score, 4) if best_any else 0.0
    check.unsupported_terms = [fact.text for fact in missing]
    return check, 0.0


def _attach(check: SentenceCheck, candidate: _Candidate) -> None:
    check.best_passage = candidate.passage
    check.best_span = (candidate.unit.span.start, candidate.unit.span.end)


_TRAILING = re.compile(r"[\s.!?…:;»\"”)\]]*$")


def add_missing_citations(answer: str, verification: Verification) -> str:
    """`answer` with a citation [n] added to each sentence that cites nothing but is fully backed
    by retrieved passage n (status weak, score >= SUPPORTED_MIN, every fact present).

    Small models often copy a source sentence and forget its marker; the check that found the
    passage is the same one that would have accepted the citation. Verify the result again
    (the repaired sentences then count as supported and as cited).
    """
    repaired = answer
    for check in sorted(verification.sentences, key=lambda c: c.start, reverse=True):
        if check.cited or check.status != STATUS_WEAK or check.best_passage is None:
            continue
        if check.score < SUPPORTED_MIN:
            continue
        sentence = repaired[check.start : check.end]
        tail = _TRAILING.search(sentence)
        cut = check.start + (tail.start() if tail else len(sentence))
        repaired = f"{repaired[:cut]} [{check.best_passage}]{repaired[cut:]}"
    return repaired
