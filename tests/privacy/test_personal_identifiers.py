"""Names in every casing and order, addresses, birth dates, and context entities that are never
personal data: one family of cases per test, through the real presidio engine."""

from __future__ import annotations

import pytest

from assistant.evaluation.redaction import evaluate
from assistant.evaluation.redaction_styles import build_styles_dataset
from privacy.redaction import CONTEXT_ENTITY_TYPES, PERSONAL_IDENTIFIER_TYPES


def _found(redactor, text: str, lang: str) -> list[tuple[str, str]]:
    return [(e.type, text[e.start : e.end]) for e in redactor.analyze(text, language=lang)]


def _masked(redactor, text: str, lang: str) -> str:
    return redactor.redact(text, language=lang).text


@pytest.mark.parametrize(
    ("text", "lang", "name"),
    [
        ("quel est le solde de congés de grégoire delaunay ?", "fr", "grégoire delaunay"),
        ("how many leave days does tom baxter have left?", "en", "tom baxter"),
        ("Le dossier de GRÉGOIRE DELAUNAY est complet.", "fr", "GRÉGOIRE DELAUNAY"),
        ("Le dossier de DELAUNAY Grégoire est complet.", "fr", "DELAUNAY Grégoire"),
        ("Le dossier de DELAUNAY GRÉGOIRE est complet.", "fr", "DELAUNAY GRÉGOIRE"),
        ("| Delaunay, Grégoire | Achats |", "fr", "Delaunay, Grégoire"),
        ("The file for M.-A. Lefebvre was sent.", "en", "M.-A. Lefebvre"),
        ("Le dossier de Marc-Antoine Lefebvre est complet.", "fr", "Marc-Antoine Lefebvre"),
        ("Après vérification, Aminata N'Diaye rejoint l'équipe.", "fr", "Aminata N'Diaye"),
        ("Le dossier de jean de la fontaine est complet.", "fr", "jean de la fontaine"),
        ("Le dossier de YANN LE GALL est complet.", "fr", "YANN LE GALL"),
        ("did olivia o'connor submit the report", "en", "olivia o'connor"),
    ],
)
def test_names_in_every_casing_and_order(redactor, text, lang, name):
    assert ("PERSON", name) in _found(redactor, text, lang)
    assert name not in _masked(redactor, text, lang)


@pytest.mark.parametrize(
    ("text", "lang", "names"),
    [
        ("Mme n'diaye sera absente jusqu'au 12 mai.", "fr", ["n'diaye"]),
        ("M. DELAUNAY sera absent.", "fr", ["DELAUNAY"]),
        ("Bonjour Grégoire,\nMerci pour votre retour.", "fr", ["Grégoire"]),
        ("Dear Tom,\nThank you for your reply.", "en", ["Tom"]),
        ("Signé : g. delaunay, le 3 avril.", "fr", ["g. delaunay"]),
        ("contact: HARRIET ASHDOWN, purchasing team.", "en", ["HARRIET ASHDOWN"]),
    ],
)
def test_names_after_a_cue(redactor, text, lang, names):
    masked = _masked(redactor, text, lang)
    for name in names:
        assert name not in masked


def test_email_headers_and_signatures(redactor):
    header = (
        "De : LEFEBVRE Marc-Antoine <marc-antoine.lefebvre@acme.fr>\n"
        "À : yann le gall\nObjet : note de frais de mars"
    )
    masked = _masked(redactor, header, "fr")
    assert masked == "De : <PERSON_1> <<EMAIL_1>>\nÀ : <PERSON_2>\nObjet : note de frais de mars"
    # A parser may join the closing line and the name: "Cordialement, GRÉGOIRE DELAUNAY".
    joined = "Cordialement, GRÉGOIRE DELAUNAY\n\nResponsable paie"
    assert _masked(redactor, joined, "fr") == "Cordialement, <PERSON_1>\n\nResponsable paie"
    signature = "Best regards,\nOWEN PRITCHARD\nIT Manager"
    assert "PRITCHARD" not in _masked(redactor, signature, "en")
    assert "IT Manager" in _masked(redactor, signature, "en")


def test_table_cells_and_csv_rows(redactor):
    table = (
        "| Nom | Service | Contrat |\n| --- | --- | --- |\n"
        "| DELAUNAY Grégoire | Comptabilité | CDI |\n| LE GOFF Corentin | Achats | CDD |"
    )
    masked = _masked(redactor, table, "fr")
    assert "DELAUNAY" not in masked and "GOFF" not in masked and "Comptabilité" in masked
    csv = "matricule;nom;prénom;service;date_naissance\n4512;DELAUNAY;Grégoire;Paie;14/03/1987"
    found = _found(redactor, csv, "fr")
    assert ("PERSON", "DELAUNAY") in found and ("PERSON", "Grégoire") in found
    assert ("DATE_OF_BIRTH", "14/03/1987") in found
    headerless = "4512;LE GALL;Yann;Logistique;CDI;temps plein"
    assert (
        _masked(redactor, headerless, "fr")
        == "4512;<PERSON_1>;<PERSON_2>;Logistique;CDI;temps plein"
    )


@pytest.mark.parametrize(
    ("text", "lang", "address"),
    [
        ("J'habite au 12 rue des Lilas, 69003 Lyon et je déménage.", "fr", "12 rue des Lilas, 69003 Lyon"),
        ("Domicilié 4 bis avenue Jean Jaurès 33000 BORDEAUX.", "fr", "4 bis avenue Jean Jaurès 33000 BORDEAUX"),
        ("Mme Ménard habite à Saint-Étienne depuis 2019.", "fr", "Saint-Étienne"),
        ("je vis à rennes et je voudrais changer de mutuelle", "fr", "rennes"),
        ("I live at 221B Baker Street, London NW1 6XE and need help.", "en", "221B Baker Street, London NW1 6XE"),
        ("Address: 42 ELM STREET, Springfield, IL 62704", "en", "42 ELM STREET, Springfield, IL 62704"),
        ("Grace Whitfield lives in Leeds with her family.", "en", "Leeds"),
    ],
)  # fmt: skip
def test_addresses_and_towns_tied_to_a_person(redactor, text, lang, address):
    assert ("ADDRESS", address) in _found(redactor, text, lang)


def test_postal_block(redactor):
    block = "GRÉGOIRE DELAUNAY\n12 rue des Lilas\n69003 Lyon\nFrance"
    masked = _masked(redactor, block, "fr")
    assert masked == "<PERSON_1>\n<ADDRESS_1>\nFrance"


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("Grégoire Delaunay, né le 14/03/1987, demande un duplicata.", "fr", "14/03/1987"),
        ("je suis née le 1er août 1970, ai-je droit au congé ?", "fr", "1er août 1970"),
        ("Date de naissance : 1987-03-14", "fr", "1987-03-14"),
        ("Tom Baxter, born on March 14, 1987, asked for a copy.", "en", "March 14, 1987"),
        ("DOB: 03/14/1987", "en", "03/14/1987"),
        ("Date of birth: 14.03.1987", "en", "14.03.1987"),
    ],
)
def test_dates_of_birth(redactor, text, lang, date):
    assert ("DATE_OF_BIRTH", date) in _found(redactor, text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("What is the hotel ceiling in Paris?", "en"),
        ("Quel est le plafond hôtelier à Lyon ?", "fr"),
        ("Les frais de mission en Allemagne sont-ils remboursés ?", "fr"),
        ("The Berlin office closes on 24 December.", "en"),
        ("Le contrat avec Airbus est renouvelé jusqu'au 31/12/2025.", "fr"),
        ("La réunion du 3 mars 2025 aura lieu à Toulouse.", "fr"),
    ],
)
def test_context_entities_are_never_personal_data(redactor, text, lang):
    result = redactor.redact(text, language=lang)
    assert result.entities == [] and result.text == text and result.counts() == {}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("NOTE DE SERVICE\n\nLe présent document s'applique à tous les salariés.", "fr"),
        ("CONFIDENTIEL — DIFFUSION RESTREINTE", "fr"),
        ("GRACE PERIOD AND LATE PAYMENTS", "en"),
        ("Comment installer Microsoft Teams sur Windows 11 ?", "fr"),
        ("Envoyez le formulaire à la DRH avant vendredi.", "fr"),
        ("Expliquez la politique de télétravail.", "fr"),
        ("Explain the remote work policy.", "en"),
        ("the grace period for expense claims is 30 days", "en"),
        ("will the office be open on monday?", "en"),
        # Found on real manual pages: titles of things and words after "M-M".
        ("Copyright © 2022 Free Software Foundation, Inc.", "fr"),
        ("selon les termes de la GNU General Public License version 3", "fr"),
        ("M-M l'activation de la souris, M-N les numéros de ligne", "fr"),
    ],
)
def test_headings_products_and_imperatives_are_not_names(redactor, text, lang):
    assert _found(redactor, text, lang) == []


def test_the_classification_is_public_and_disjoint():
    assert {
        "PERSON",
        "ADDRESS",
        "DATE_OF_BIRTH",
        "EMAIL",
        "NIR",
        "IBAN",
    } <= PERSONAL_IDENTIFIER_TYPES
    assert "LOCATION" in CONTEXT_ENTITY_TYPES
    assert not PERSONAL_IDENTIFIER_TYPES & CONTEXT_ENTITY_TYPES


def test_styles_set_meets_its_targets_on_a_slice(redactor):
    samples = build_styles_dataset()[::5]
    report = evaluate(redactor, samples)
    per_type = report["per_type"]
    assert per_type["PERSON"]["recall"] >= 0.9
    assert per_type["ADDRESS"]["recall"] >= 0.85
    assert per_type["DATE_OF_BIRTH"]["recall"] >= 0.85
    assert report["precision"] >= 0.9
    assert set(report["per_language"]) == {"fr", "en"}
