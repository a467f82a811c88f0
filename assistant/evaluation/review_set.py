"""A generated mixed set of realistic employee questions for the review-queue evaluation.

200 questions (by default) in French and English about HR, IT, legal and travel rules, asked over
the demo handbook (ingestion/demo_files) plus the four short policies below. Some carry personal
identifiers of the asker or a colleague (a name, an e-mail, a phone number, an IBAN, a street
address); some only context entities (a city, a country, a company, an ordinary date) that the
policies themselves mention; some neither; a few are out of scope. Every item records what was
planted, which is the ground truth of `evaluate review` (assistant/evaluation/review_queue.py).
Identifiers are generated valid (IBAN checksums, real phone ranges) by the PII evaluation set's
generators. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from assistant.evaluation.redaction import (
    DOMAINS,
    FIRST_EN,
    FIRST_FR,
    LAST_EN,
    LAST_FR,
    gen_iban,
    gen_phone_en,
)

# Policies uploaded beside the demo handbook so every domain exists in both languages.
EXTRA_DOCUMENTS: dict[str, str] = {
    "it-support-handbook.md": """# IT Support Handbook — Example Corp

Version 1.1, effective 1 February 2025. Owner: IT department.

## Equipment

A broken laptop is replaced within 2 working days by the IT desk. Every employee may order one
external monitor and one headset. Equipment is returned on the last working day.

## Accounts and access

Passwords have at least 14 characters. Multi-factor authentication is mandatory for e-mail, the
VPN and every tool reachable from the Internet. Access to a new application is requested in the
IT portal and granted within 3 working days after the manager approves it.

## Helpdesk

The helpdesk is open from 8:00 to 18:00 on working days. A lost or stolen phone or laptop is
reported within 1 hour. Software not listed in the company catalogue may not be installed.
""",
    "legal-contracts.md": """# Contracts and Data Protection Rules — Example Corp

Version 2.3, effective 1 January 2025. Owner: Legal department.

## Contracts

Contracts above 50,000 euros need two signatures from the legal team. A non-disclosure agreement
is signed before any confidential information is shared with a supplier or a client. The legal
team reviews a supplier contract within 10 working days. Electronic signatures are accepted for
every contract. The same rules apply to our subsidiaries in Germany and Spain.

## Personal data

Customer personal data is kept for 3 years after the end of the contract. Access and deletion
requests from a data subject are answered within 30 days. Job applicants' files are deleted after
2 years.
""",
    "contrats-et-donnees.md": """# Contrats et protection des données — Société Exemple SAS

Version 1.2, en vigueur au 1er mars 2025. Responsable : Direction juridique.

## Contrats

La résiliation d'un contrat fournisseur exige un préavis de 3 mois. Un contrat de plus de
50 000 euros porte deux signatures de la direction juridique. La signature électronique est
acceptée. La direction juridique relit un contrat fournisseur sous 10 jours ouvrés.

## Données personnelles

Les données des clients sont conservées 3 ans après la fin du contrat. Le délégué à la protection
des données répond aux demandes d'accès sous 30 jours. Les dossiers des candidats sont supprimés
au bout de 2 ans.
""",
    "deplacements-professionnels.md": """# Déplacements professionnels — Société Exemple SAS

Version 2.0, en vigueur au 1er janvier 2025. Responsable : Direction financière.

## Transport

Le train est obligatoire pour les trajets de moins de 4 heures, en seconde classe ; la première
classe est admise au-delà de 3 heures de trajet. Les billets sont réservés sur le portail voyages
au moins 14 jours avant le départ.

## Hébergement et repas

Le plafond d'hôtel par nuit, petit-déjeuner compris, est de 150 euros à Paris, 120 euros à Lyon
et 110 euros dans les autres villes. L'indemnité de repas est de 25 euros par repas. Une avance
de frais se demande au moins 10 jours avant le départ.

## Étranger

Pour un déplacement en Allemagne, en Espagne ou au Royaume-Uni, l'assurance assistance de
l'entreprise est incluse ; aucun visa n'est nécessaire pour ces pays.
""",
}

# (domain, language, plain question, the same need with context entities in {slots})
QUESTIONS: list[tuple[str, str, str, str]] = [
    ("travel", "en", "What is the hotel ceiling per night?",
     "What is the hotel ceiling per night in {CITY_EN}?"),
    ("travel", "en", "Which class can I book for a 7-hour flight?",
     "I fly to {COUNTRY_EN} on {DATE_EN} for 7 hours: which class can I book?"),
    ("travel", "en", "What is the ceiling for a client meal?",
     "Our client {COMPANY} invited me to dinner in {CITY_EN}: what is the ceiling for a client "
     "meal?"),
    ("travel", "en", "How much is a private car reimbursed per kilometre?",
     "I will drive to the {COMPANY} site near {CITY_EN}: how much is a private car reimbursed "
     "per kilometre?"),
    ("travel", "en", "Within how many days must I submit an expense claim?",
     "I came back from {CITY_EN} on {DATE_EN}: within how many days must I submit my expense "
     "claim?"),
    ("travel", "fr", "Quel est le plafond d'hôtel par nuit ?",
     "Quel est le plafond d'hôtel par nuit à {CITY_FR} ?"),
    ("travel", "fr", "En quelle classe voyager en train pour un trajet de 5 heures ?",
     "Je vais à {CITY_FR} le {DATE_FR}, 5 heures de train : en quelle classe voyager ?"),
    ("travel", "fr", "Quel est le montant de l'indemnité de repas ?",
     "Pour ma mission chez {COMPANY} à {CITY_FR}, quel est le montant de l'indemnité de repas ?"),
    ("travel", "fr", "Faut-il un visa pour un déplacement professionnel à l'étranger ?",
     "Faut-il un visa pour un déplacement professionnel en {COUNTRY_FR} ?"),
    ("hr", "fr", "Combien de jours de congés payés par an ?",
     "Je travaille à l'agence de {CITY_FR} : combien de jours de congés payés par an ?"),
    ("hr", "fr", "Combien de jours de RTT pour un cadre au forfait jours ?",
     "Je suis cadre au forfait jours depuis le {DATE_FR} : combien de jours de RTT par an ?"),
    ("hr", "fr", "Combien de jours de congé pour une naissance ?",
     "Mon enfant est né le {DATE_FR} : combien de jours de congé pour une naissance ?"),
    ("hr", "fr", "Combien de jours de congés non pris peut-on reporter ?",
     "Combien de jours de congés non pris puis-je reporter après le {DATE_FR} ?"),
    ("hr", "en", "How many days per week can I work from home?",
     "I work in the {CITY_EN} office: how many days per week can I work from home?"),
    ("hr", "en", "What is the monthly remote work allowance?",
     "Does the remote work allowance also apply to staff seconded to {COMPANY}?"),
    ("hr", "en", "How many working days can I work remotely from abroad?",
     "How many working days can I work remotely from {COUNTRY_EN}?"),
    ("it", "fr", "Combien de caractères doit compter un mot de passe ?",
     "Pour le portail de {COMPANY}, combien de caractères doit compter un mot de passe ?"),
    ("it", "fr", "Dans quel délai déclarer un incident de sécurité ?",
     "J'ai perdu mon ordinateur à la gare de {CITY_FR} : dans quel délai déclarer l'incident ?"),
    ("it", "fr", "Combien de temps les sauvegardes sont-elles conservées ?",
     "Les sauvegardes du {DATE_FR} sont-elles encore conservées, et combien de temps ?"),
    ("it", "fr", "Les clés USB personnelles sont-elles autorisées ?",
     "Un prestataire de {COMPANY} peut-il brancher sa clé USB personnelle ?"),
    ("it", "en", "How fast is a broken laptop replaced?",
     "My laptop broke during a trip to {CITY_EN}: how fast is it replaced?"),
    ("it", "en", "Is multi-factor authentication mandatory for the VPN?",
     "Is multi-factor authentication mandatory for the VPN when I work from {COUNTRY_EN}?"),
    ("it", "en", "When is the helpdesk open?",
     "When is the helpdesk open on {DATE_EN}?"),
    ("it", "en", "How long does it take to get access to a new application?",
     "How long does it take to get access to the {COMPANY} reporting application?"),
    ("legal", "en", "How many signatures does a contract above 50,000 euros need?",
     "Our contract with {COMPANY} is worth 80,000 euros: how many signatures does it need?"),
    ("legal", "en", "How long is customer personal data kept?",
     "How long is the personal data of our customers in {COUNTRY_EN} kept?"),
    ("legal", "en", "Do we need an NDA before sharing confidential information with a supplier?",
     "Do we need an NDA before sharing our roadmap with {COMPANY}?"),
    ("legal", "en", "Are electronic signatures accepted for contracts?",
     "Are electronic signatures accepted for a contract signed in {COUNTRY_EN}?"),
    ("legal", "fr", "Quel préavis pour résilier un contrat fournisseur ?",
     "Quel préavis pour résilier notre contrat fournisseur avec {COMPANY} ?"),
    ("legal", "fr", "Sous quel délai répond-on à une demande d'accès aux données ?",
     "Un client de {CITY_FR} demande ses données le {DATE_FR} : sous quel délai répondre ?"),
    ("legal", "fr", "Combien de temps garde-t-on le dossier d'un candidat ?",
     "Combien de temps garde-t-on le dossier d'un candidat reçu à l'agence de {CITY_FR} ?"),
]  # fmt: skip
OUT_OF_SCOPE: list[tuple[str, str]] = [
    ("en", "What is the capital of Australia?"),
    ("en", "Who won the football match in {CITY_EN} yesterday?"),
    ("en", "What will the weather be like in {CITY_EN} on {DATE_EN}?"),
    ("fr", "Quel temps fera-t-il à {CITY_FR} le {DATE_FR} ?"),
    ("fr", "Quelle est la recette de la tarte tatin ?"),
]

CONTEXT: dict[str, list[str]] = {
    "CITY_EN": ["Paris", "London", "Geneva", "Lyon", "Berlin", "Madrid"],
    "CITY_FR": ["Paris", "Lyon", "Marseille", "Bordeaux", "Lille", "Nantes"],
    "COUNTRY_EN": ["Germany", "Spain", "the United Kingdom", "Italy", "Canada"],
    "COUNTRY_FR": ["Allemagne", "Espagne", "Italie", "Belgique"],
    "COMPANY": ["Airbus", "Capgemini", "Siemens", "Deloitte", "Orange", "Decathlon"],
    "DATE_EN": ["3 March", "14 July", "1 September", "12 November"],
    "DATE_FR": ["3 mars", "14 juillet", "1er septembre", "12 novembre"],
}
ADDRESSES = {
    "fr": ["12 rue de la Paix, 75002 Paris", "8 avenue Jean Jaurès, 69007 Lyon",
           "27 boulevard Vauban, 59000 Lille"],
    "en": ["221B Baker Street, London NW1 6XE", "14 Elm Street, Boston, MA 02108",
           "5 Queen's Road, Manchester M8 8UW"],
}  # fmt: skip
# How a person's data comes with the question: (template, planted identifier types).
WRAPPERS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "fr": [
        ("Bonjour, je suis {PERSON} ({EMAIL}). {Q}", ("PERSON", "EMAIL")),
        ("{Q} Vous pouvez me rappeler au {PHONE}.", ("PHONE",)),
        ("{Q} Merci de verser le remboursement sur l'IBAN {IBAN}.", ("IBAN",)),
        ("{Q} J'habite au {ADDRESS}.", ("ADDRESS",)),
        ("Ma collègue {PERSON} me demande : {Q}", ("PERSON",)),
        ("{Q} Répondez-moi à {EMAIL}.", ("EMAIL",)),
    ],
    "en": [
        ("Hi, I'm {PERSON} ({EMAIL}). {Q}", ("PERSON", "EMAIL")),
        ("{Q} You can call me back on {PHONE}.", ("PHONE",)),
        ("{Q} Please pay the refund to IBAN {IBAN}.", ("IBAN",)),
        ("{Q} My home address is {ADDRESS}.", ("ADDRESS",)),
        ("My colleague {PERSON} asks: {Q}", ("PERSON",)),
        ("{Q} Reply to {EMAIL}.", ("EMAIL",)),
    ],
}
# Shares of the set: questions with a person's data (about one in ten: most questions about a
# policy name nobody), with context entities only, and plain (the rest).
WITH_IDENTIFIERS = 0.1
WITH_CONTEXT = 0.45


@dataclass(frozen=True)
class ReviewItem:
    """One question and what was planted in it (the ground truth of the evaluation)."""

    id: int
    question: str
    lang: str
    domain: str
    identifiers: tuple[str, ...] = ()  # identifier types of a person planted in the question
    context: tuple[str, ...] = ()  # context entity kinds (CITY, COUNTRY, COMPANY, DATE)
    answerable: bool = True

    @property
    def kind(self) -> str:
        if not self.answerable:
            return "out of scope"
        if self.identifiers:
            return "personal data"
        return "context only" if self.context else "plain"


def _fill_context(template: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    kinds = []
    text = template
    for slot, values in CONTEXT.items():
        marker = "{" + slot + "}"
        if marker in text:
            text = text.replace(marker, rng.choice(values))
            kinds.append(slot.split("_")[0])
    return text, tuple(dict.fromkeys(kinds))


def _person(lang: str, rng: random.Random) -> tuple[str, str]:
    first, last = (FIRST_FR, LAST_FR) if lang == "fr" else (FIRST_EN, LAST_EN)
    given, family = rng.choice(first), rng.choice(last)
    email = f"{given}.{family}@{rng.choice(DOMAINS)}".lower()
    for accented, plain in (("é", "e"), ("è", "e"), ("ï", "i"), ("ç", "c")):
        email = email.replace(accented, plain)
    return f"{given} {family}", email


def _phone_fr(rng: random.Random) -> str:
    """A valid French number, mobile or landline, written with spaces. (redaction.gen_phone_fr
    starts from a number phonenumbers accepts, 01 00 00 00 00, and so always returns it.)"""
    import phonenumbers

    while True:
        digits = rng.choice("1234567") + "".join(rng.choice("0123456789") for _ in range(8))
        if phonenumbers.is_valid_number(phonenumbers.parse("0" + digits, "FR")):
            pairs = [digits[i : i + 2] for i in range(1, 9, 2)]
            return f"0{digits[0]} " + " ".join(pairs)


def _wrap(question: str, lang: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    template, planted = rng.choice(WRAPPERS[lang])
    name, email = _person(lang, rng)
    values = {
        "PERSON": name,
        "EMAIL": email,
        "PHONE": _phone_fr(rng) if lang == "fr" else gen_phone_en(rng),
        "IBAN": gen_iban(rng, "FR" if lang == "fr" else rng.choice(["FR", "GB", "DE"])),
        "ADDRESS": rng.choice(ADDRESSES[lang]),
    }
    text = template.replace("{Q}", question)
    for slot, value in values.items():
        text = text.replace("{" + slot + "}", value)
    return text, planted


def build_review_set(size: int = 200, seed: int = 14) -> list[ReviewItem]:
    """`size` questions: 5 % out of scope, then 10 % with a person's identifiers, 45 % with
    context entities only and the rest plain (exact shares, shuffled), cycling through every
    policy question."""
    rng = random.Random(seed)
    out_of_scope = max(1, round(size * 0.05))
    answerable = size - out_of_scope
    with_identifiers = round(size * WITH_IDENTIFIERS)
    with_context = round(size * WITH_CONTEXT)
    kinds = ["identifiers"] * with_identifiers + ["context"] * with_context
    kinds += ["plain"] * (answerable - len(kinds))
    rng.shuffle(kinds)
    items: list[ReviewItem] = []
    for n, kind in enumerate(kinds):
        domain, lang, plain, contextual = QUESTIONS[n % len(QUESTIONS)]
        context: tuple[str, ...] = ()
        identifiers: tuple[str, ...] = ()
        # Half of the questions with a person's data also name a city, a company or a date.
        if kind == "context" or (kind == "identifiers" and rng.random() < 0.5):
            question, context = _fill_context(contextual, rng)
        else:
            question = plain
        if kind == "identifiers":
            question, identifiers = _wrap(question, lang, rng)
        items.append(ReviewItem(len(items), question, lang, domain, identifiers, context))
    for n in range(out_of_scope):
        lang, template = OUT_OF_SCOPE[n % len(OUT_OF_SCOPE)]
        question, context = _fill_context(template, rng)
        items.append(ReviewItem(len(items), question, lang, "other", (), context, False))
    return items
