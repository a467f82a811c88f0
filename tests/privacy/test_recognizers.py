"""French identifiers found with valid checksums, ignored with wrong ones; English defaults."""

from __future__ import annotations

import pytest

from tests.fixtures.identifiers import valid_iban, valid_nir, valid_siren, valid_siret, wrong_check


def _found(redactor, text: str, lang: str = "fr") -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in redactor.analyze(text, language=lang)]


def _spaced_nir(n: str) -> str:
    return " ".join([n[0], n[1:3], n[3:5], n[5:7], n[7:10], n[10:13], n[13:]])


SIREN = valid_siren()
SIRET = valid_siret()
CASES = [
    ("NIR", valid_nir()),
    ("NIR", _spaced_nir(valid_nir())),
    ("NIR", _spaced_nir(valid_nir("285052A006084"))),  # Corsica 2A
    ("NIR", valid_nir("192022B123456")),  # Corsica 2B
    ("SIREN", SIREN),
    ("SIREN", f"{SIREN[:3]} {SIREN[3:6]} {SIREN[6:]}"),
    ("SIRET", SIRET),
    ("SIRET", f"{SIRET[:3]} {SIRET[3:6]} {SIRET[6:9]} {SIRET[9:]}"),
    ("IBAN", "FR76 3000 6000 0112 3456 7890 189"),
    ("IBAN", valid_iban("FR", "20041010050500013M02606")),
    ("IBAN", valid_iban("DE", "370400440532013000")),
    ("IBAN", valid_iban("GB", "NWBK60161331926819")),
    ("PHONE", "06 12 34 56 78"),
    ("PHONE", "+33 6 12 34 56 78"),
    ("PHONE", "01.23.45.67.89"),
    ("PHONE", "0612345678"),
]


@pytest.mark.parametrize(("entity", "value"), CASES)
def test_valid_identifier_is_found_whole(redactor, entity: str, value: str) -> None:
    text = f"Pour le dossier, voici la référence demandée : {value} merci."
    assert (entity, value) in _found(redactor, text)


@pytest.mark.parametrize(("entity", "value"), [c for c in CASES if c[0] != "PHONE"])
def test_wrong_checksum_is_not_an_identifier(redactor, entity: str, value: str) -> None:
    bad = wrong_check(value)
    text = f"Pour le dossier, voici la référence demandée : {bad} merci."
    assert all(found_type != entity for found_type, _ in _found(redactor, text))
    assert bad in redactor.redact(text, language="fr").text


def test_invalid_phone_ranges_are_ignored(redactor) -> None:
    # 00 is no French number prefix; eleven digits is no phone number.
    text = "Code 00 12 34 56 78 et 061234567890."
    assert all(t != "PHONE" for t, _ in _found(redactor, text))


def test_context_words_raise_the_score(redactor) -> None:
    plain = redactor.analyze(f"Valeur {SIREN}.", language="fr")
    with_context = redactor.analyze(f"Numéro SIREN de la société : {SIREN}.", language="fr")
    assert plain[0].type == with_context[0].type == "SIREN"
    assert with_context[0].score > plain[0].score


def test_nir_context_born_on(redactor) -> None:
    n = _spaced_nir(valid_nir())
    text = f"Jean, né le 5 mai 1985, sécurité sociale {n}."
    nir_hits = [e for e in redactor.analyze(text, language="fr") if e.type == "NIR"]
    assert nir_hits and nir_hits[0].score == 1.0


def test_english_defaults(redactor) -> None:
    text = (
        "Hello, I am John Smith. Write to john.smith@example.com or call (212) 734-0187. "
        "My card is 4111 1111 1111 1111 and the server is 192.168.10.20."
    )
    found = dict((t, v) for t, v in _found(redactor, text, "en"))
    assert found["PERSON"] == "John Smith"
    assert found["EMAIL"] == "john.smith@example.com"
    assert found["PHONE"] == "(212) 734-0187"
    assert found["CARD"] == "4111 1111 1111 1111"
    assert found["IP"] == "192.168.10.20"


def test_card_with_bad_luhn_is_kept(redactor) -> None:
    text = "Card 4111 1111 1111 1112 was declined."
    assert all(t != "CARD" for t, _ in _found(redactor, text, "en"))


def test_french_names_and_places(redactor) -> None:
    # "j'habite à" ties the town to a person: an ADDRESS (a city alone is no personal data).
    text = "Bonjour, je suis Marie Dupont et j'habite à Lyon. Mme Lefèvre est d'accord."
    found = _found(redactor, text)
    assert ("PERSON", "Marie Dupont") in found
    assert any(t == "PERSON" and "Lefèvre" in v for t, v in found)
    assert ("ADDRESS", "Lyon") in found


def test_french_identifiers_in_english_text(redactor) -> None:
    n = valid_nir()
    assert ("NIR", n) in _found(redactor, f"His social security number is {n}.", "en")
