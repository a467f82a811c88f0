"""Recognisers presidio does not ship: French identifiers validated by python-stdnum, IBANs of any
country, phone numbers, person names introduced by a title or found in any casing and order
(privacy.names), street addresses and towns tied to a person (privacy.addresses), dates of birth
(privacy.birthdates) and the same in table cells and CSV rows (privacy.tables).

Every candidate found by a regular expression is checked with python-stdnum (or phonenumbers)
before it is reported, so a number with a wrong check digit is never redacted as an identifier.
A context word in the preceding characters ("NIR", "né le", "sécurité sociale", ...) raises the
score. Imported only by privacy.redaction when the engine is built (presidio is heavy).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# Separators people put inside numbers: space, non-breaking spaces, dot, hyphen.
_SEP = r"[ \u00a0\u202f.\-]?"
_SEPARATORS = re.compile(r"[\s.\-]")
CONTEXT_WINDOW = 60  # characters before a match searched for context words
CONTEXT_BOOST = 0.35

CONTEXT_WORDS: dict[str, tuple[str, ...]] = {
    "NIR": (
        "nir",
        "sécurité sociale",
        "securite sociale",
        "sécu",
        "numéro de sécu",
        "insee",
        "né le",
        "née le",
        "assuré",
        "social security",
        "ssn",
    ),
    "SIREN": ("siren", "rcs", "société", "entreprise", "immatricul", "company", "registered"),
    "SIRET": ("siret", "établissement", "etablissement", "société", "entreprise", "company"),
    "IBAN": ("iban", "rib", "virement", "compte", "bancaire", "account", "bank", "transfer"),
    "PHONE": (
        "tél",
        "tel",
        "téléphone",
        "telephone",
        "portable",
        "mobile",
        "appeler",
        "joindre",
        "phone",
        "call",
        "fax",
    ),
    "PERSON": ("nom", "prénom", "name", "signé", "signed", "contact"),
}


def context_boost(text: str, start: int, entity: str) -> float:
    """CONTEXT_BOOST when a context word for `entity` occurs just before `start`, else 0."""
    window = text[max(0, start - CONTEXT_WINDOW) : start].lower()
    return CONTEXT_BOOST if any(word in window for word in CONTEXT_WORDS.get(entity, ())) else 0.0


def compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


class _RegexChecksumRecognizer(EntityRecognizer):
    """A regular expression proposes candidates, a validator accepts or rejects each one."""

    ENTITY = ""
    PATTERN: re.Pattern[str] = re.compile(r"(?!)")
    name: str
    BASE_SCORE = 0.6

    def __init__(self, *, supported_language: str) -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=supported_language,
            name=f"{type(self).__name__}_{supported_language}",
        )

    def load(self) -> None:  # nothing to load: pure regular expressions
        return None

    def is_valid(self, candidate: str) -> bool:
        raise NotImplementedError

    def candidates(self, text: str) -> Iterator[tuple[int, int]]:
        for match in self.PATTERN.finditer(text):
            if self.is_valid(match.group()):
                yield match.start(), match.end()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for start, end in self.candidates(text):
            score = min(1.0, self.BASE_SCORE + context_boost(text, start, self.ENTITY))
            results.append(
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=start,
                    end=end,
                    score=score,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results


def _stdnum(module: str) -> Callable[[str], bool]:
    import importlib

    validator: Callable[[str], bool] = importlib.import_module(f"stdnum.{module}").is_valid
    return validator


class _StdnumRecognizer(_RegexChecksumRecognizer):
    """A candidate is valid when the python-stdnum module STDNUM accepts it without separators."""

    STDNUM = ""  # the module under stdnum, e.g. "fr.nir"

    def __init__(self, *, supported_language: str) -> None:
        self._valid = _stdnum(self.STDNUM)
        super().__init__(supported_language=supported_language)

    def is_valid(self, candidate: str) -> bool:
        return self._valid(compact(candidate))


class NirRecognizer(_StdnumRecognizer):
    """French social security number: 15 characters, Corsica 2A/2B, key = 97 - (n mod 97)."""

    ENTITY = "NIR"
    PATTERN = re.compile(
        rf"(?<![\w+])[1-478]{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}(?:\d{{2}}|2[ABab]){_SEP}"
        rf"\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{2}}(?!\w)(?!{_SEP}\d)"
    )
    BASE_SCORE = 0.75
    STDNUM = "fr.nir"


class SirenRecognizer(_StdnumRecognizer):
    """French company number: 9 digits, Luhn."""

    ENTITY = "SIREN"
    PATTERN = re.compile(
        rf"(?<![\w+.\-])(?<!\d )\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{3}}(?!\w)(?!{_SEP}\d)"
    )
    BASE_SCORE = 0.55
    STDNUM = "fr.siren"


class SiretRecognizer(_StdnumRecognizer):
    """French establishment number: SIREN + 5 digits, Luhn (La Poste exception in stdnum)."""

    ENTITY = "SIRET"
    PATTERN = re.compile(
        rf"(?<![\w+.\-])(?<!\d )\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{5}}(?!\w)(?!{_SEP}\d)"
    )
    BASE_SCORE = 0.65
    STDNUM = "fr.siret"


class IbanRecognizer(_StdnumRecognizer):
    """IBAN of any country (ISO 13616 mod-97 and the country's format, via stdnum.iban)."""

    ENTITY = "IBAN"
    PATTERN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){11,30}(?![\w])")
    BASE_SCORE = 0.8
    STDNUM = "iban"

    def candidates(self, text: str) -> Iterator[tuple[int, int]]:
        # The pattern is greedy and may swallow a following number ("... 189 12 mars"): try the
        # longest prefix made of whole space-separated groups that validates.
        for match in self.PATTERN.finditer(text):
            value = match.group()
            cuts = [m.start() for m in re.finditer(r"[ \u00a0]", value)] + [len(value)]
            for cut in reversed(cuts):
                if cut >= 15 and self.is_valid(value[:cut]):
                    yield match.start(), match.start() + cut
                    break


class FrenchPhoneRecognizer(_RegexChecksumRecognizer):
    """06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78, +33 (0)1 23 45 67 89."""

    ENTITY = "PHONE"
    PATTERN = re.compile(
        r"(?<![\w+])(?:(?:\+|00)33[ \u00a0.\-]?(?:\(0\)[ \u00a0.\-]?)?[1-9]|0[1-9])"
        r"(?:[ \u00a0.\-]?\d{2}){4}(?!\w)(?![ .\-]?\d)"
    )
    BASE_SCORE = 0.65

    def is_valid(self, candidate: str) -> bool:
        import phonenumbers

        try:
            number = phonenumbers.parse(candidate.replace("(0)", ""), "FR")
        except phonenumbers.NumberParseException:
            return False
        return bool(phonenumbers.is_valid_number(number))


class InternationalPhoneRecognizer(_RegexChecksumRecognizer):
    """Other phone numbers (US, UK, international +CC): a cheap pattern proposes, the
    phonenumbers library validates (its own matcher costs ~4 ms per 500 characters)."""

    ENTITY = "PHONE"
    PATTERN = re.compile(
        r"(?<![\w+])(?:\+\d{1,3}[ .\-]?)?(?:\(\d{2,5}\)|\d{2,5})(?:[ .\-]?\d{2,4}){1,4}(?!\w)"
    )
    BASE_SCORE = 0.6
    REGIONS = ("US", "GB")

    def is_valid(self, candidate: str) -> bool:
        import phonenumbers

        if sum(c.isdigit() for c in candidate) < 10 or re.fullmatch(
            r"\d{1,3}(?:\.\d{1,3}){3}", candidate
        ):
            return False  # too short for a full number, or a dotted IP/version-like run
        for region in self.REGIONS:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return True
        return False


_NAME = r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'\u2019]+(?:-[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'\u2019]+)?"
_UPPER_NAME = r"[A-ZÀ-ÖØ-Þ]{2,}(?:-[A-ZÀ-ÖØ-Þ]{2,})?"


class TitledPersonRecognizer(_RegexChecksumRecognizer):
    """A name after a civility title (M., Mme, Madame, Dr, Mr, Mrs, Ms, Prof.): high precision,
    catches the names small spaCy models miss. The title itself is kept in the text."""

    ENTITY = "PERSON"
    PATTERN = re.compile(
        r"\b(?:M\.|Mme\.?|Mlle\.?|Monsieur|Madame|Mademoiselle|Maître|Me|Dr\.?|Docteur|Pr\.?|"
        r"Professeur|Mr\.?|Mrs\.?|Ms\.?|Miss|Sir|Prof\.?)[ \u00a0]+"
        rf"((?:{_NAME}|{_UPPER_NAME})(?:[ \u00a0]+(?:{_NAME}|{_UPPER_NAME}))?)"
    )
    BASE_SCORE = 0.7

    def candidates(self, text: str) -> Iterator[tuple[int, int]]:
        for match in self.PATTERN.finditer(text):
            yield match.start(1), match.end(1)


class _FinderRecognizer(EntityRecognizer):
    """Wraps a pure finder function of privacy.names/addresses/birthdates/tables."""

    ENTITIES: tuple[str, ...] = ()
    name: str

    def __init__(self, *, supported_language: str) -> None:
        super().__init__(
            supported_entities=list(self.ENTITIES),
            supported_language=supported_language,
            name=f"{type(self).__name__}_{supported_language}",
        )

    def load(self) -> None:
        return None

    def spans(self, text: str) -> Iterator[tuple[str, int, int, float]]:
        raise NotImplementedError

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        return [
            RecognizerResult(entity_type=t, start=s, end=e, score=score,
                             recognition_metadata=dict(metadata))
            for t, s, e, score in self.spans(text)
            if e > s
        ]  # fmt: skip


class NameRecognizer(_FinderRecognizer):
    """Person names in lower case, capitals, surname first, with particles and initials."""

    ENTITIES = ("PERSON",)

    def spans(self, text: str) -> Iterator[tuple[str, int, int, float]]:
        from privacy.names import find_names

        for start, end, score in find_names(text):
            yield "PERSON", start, end, min(1.0, score + context_boost(text, start, "PERSON"))


class AddressRecognizer(_FinderRecognizer):
    """Street addresses, postal blocks and towns tied to a person by a residence cue."""

    ENTITIES = ("ADDRESS",)

    def spans(self, text: str) -> Iterator[tuple[str, int, int, float]]:
        from privacy.addresses import find_addresses

        for start, end, score in find_addresses(text):
            yield "ADDRESS", start, end, score


class BirthDateRecognizer(_FinderRecognizer):
    """A date after a birth cue (né le, date de naissance, born on, DOB)."""

    ENTITIES = ("DATE_OF_BIRTH",)

    def spans(self, text: str) -> Iterator[tuple[str, int, int, float]]:
        from privacy.birthdates import find_birth_dates

        for start, end, score in find_birth_dates(text):
            yield "DATE_OF_BIRTH", start, end, score


class TableCellRecognizer(_FinderRecognizer):
    """Names, birth dates and addresses in table cells and CSV rows (by header or by pair)."""

    ENTITIES = ("PERSON", "DATE_OF_BIRTH", "ADDRESS")

    def spans(self, text: str) -> Iterator[tuple[str, int, int, float]]:
        from privacy.tables import find_table_cells

        yield from find_table_cells(text)


def custom_recognizers(language: str) -> list[EntityRecognizer]:
    """Our recognisers for one language. French identifiers run for English text too: an English
    message can hold a French NIR or phone number."""
    classes: list[type[_RegexChecksumRecognizer]] = [
        NirRecognizer,
        SirenRecognizer,
        SiretRecognizer,
        IbanRecognizer,
        FrenchPhoneRecognizer,
        InternationalPhoneRecognizer,
        TitledPersonRecognizer,
    ]
    finders: list[type[_FinderRecognizer]] = [
        NameRecognizer,
        AddressRecognizer,
        BirthDateRecognizer,
        TableCellRecognizer,
    ]
    recognizers: list[EntityRecognizer] = [cls(supported_language=language) for cls in classes]
    return recognizers + [cls(supported_language=language) for cls in finders]
