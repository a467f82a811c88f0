from __future__ import annotations

import pytest

from assistant.backends.language import detect_language

FRENCH = [
    "Quelle est la durée du préavis en cas de démission ?",
    "Les congés payés doivent être posés avant le 31 mai.",
    "Le contrat de travail peut être rompu pendant la période d'essai.",
    "Où puis-je trouver la politique de télétravail de l'entreprise ?",
    "Merci d'envoyer vos notes de frais avant la fin du mois.",
    "Le comité de direction se réunit chaque lundi matin.",
    "Combien de jours de RTT avons-nous cette année ?",
    "La mutuelle couvre les frais d'optique à hauteur de 300 euros.",
    "Il faut badger à l'entrée du bâtiment B.",
    "Les salariés en forfait jours ne pointent pas.",
    "Qui valide les demandes d'achat supérieures à 5000 euros ?",
    "Le mot de passe doit contenir au moins douze caractères.",
    "Nous avons signé un accord avec le fournisseur Dupont.",
    "Veuillez contacter le service informatique pour réinitialiser votre accès.",
    "La réunion est reportée à jeudi prochain.",
    "Les données personnelles sont conservées pendant cinq ans.",
    "Quel est le plafond de remboursement des repas ?",
    "Les stagiaires reçoivent une gratification mensuelle.",
    "C'est le responsable qui décide des horaires.",
    "Ce document décrit la procédure d'astreinte.",
    "Facture n° 2024-117, échéance à trente jours.",
    "Résiliation anticipée : pénalités prévues à l'article 12.",
]
ENGLISH = [
    "What is the notice period when an employee resigns?",
    "Paid holidays must be booked before the end of May.",
    "The employment contract can be terminated during the probation period.",
    "Where can I find the company's remote work policy?",
    "Please submit your expense reports before the end of the month.",
    "The executive committee meets every Monday morning.",
    "How many vacation days do we have this year?",
    "The health plan covers glasses up to 300 euros.",
    "You need to badge in at the entrance of building B.",
    "Employees on a fixed-days contract don't clock in.",
    "Who approves purchase requests above 5000 euros?",
    "The password must contain at least twelve characters.",
    "We signed an agreement with the supplier Dupont.",
    "Please contact the IT department to reset your access.",
    "The meeting has been moved to next Thursday.",
    "Personal data is kept for five years.",
    "What is the reimbursement limit for meals?",
    "Interns receive a monthly stipend.",
    "It's the manager who decides the working hours.",
    "This document describes the on-call procedure.",
    "Invoice no. 2024-117, payment due within thirty days.",
    "Early termination: penalties are set out in section 12.",
]


@pytest.mark.parametrize("sentence", FRENCH)
def test_french_sentences(sentence: str) -> None:
    assert detect_language(sentence) == "fr"


@pytest.mark.parametrize("sentence", ENGLISH)
def test_english_sentences(sentence: str) -> None:
    assert detect_language(sentence) == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345 678", "Zorblax GmbH"])
def test_no_signal_falls_back_to_the_default(text: str) -> None:
    assert detect_language(text, default="fr") == "fr"
    assert detect_language(text) == "en"


def test_unsupported_default_is_coerced_to_english() -> None:
    assert detect_language("", default="de") == "en"


def test_long_mixed_text_follows_the_majority() -> None:
    text = " ".join(FRENCH[:10]) + " The contract is signed."
    assert detect_language(text) == "fr"
