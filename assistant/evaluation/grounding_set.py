"""A generated answer-level evaluation set, French and English.

Facts with numbers, names, dates, amounts and places are drawn (with a fixed seed) from templates
about a fictional company, written into short policy passages of three or four sentences, and asked
about with paraphrased questions. Each question comes with the passage holding its answer plus
three distractor passages of the same company (the answer passage ranked first or second, as
retrieval would). Unanswerable questions ask about benefits, teams or events that none of their
passages mention. Nothing here is read from disk or the network.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from assistant.chat.grounding.verify import Passage


@dataclass
class EvalItem:
    id: str
    lang: str
    question: str
    passages: list[Passage]
    keywords: list[str] = field(default_factory=list)  # all must appear in a correct answer
    answerable: bool = True


_FIRST = ["Marie", "Julien", "Sophie", "Karim", "Claire", "Thomas", "Nadia", "Hugo", "Léa", "Paul"]
_LAST = [
    "Dupont",
    "Lefèvre",
    "Moreau",
    "Benali",
    "Girard",
    "Rousseau",
    "Fontaine",
    "Chevalier",
    "Lambert",
    "Garnier",
    "Mercier",
    "Blanchard",
]
_CITIES = [
    "Lyon",
    "Nantes",
    "Toulouse",
    "Lille",
    "Bordeaux",
    "Grenoble",
    "Rennes",
    "Strasbourg",
    "Montpellier",
    "Dijon",
]
_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}

# (key, French, English)
_BENEFITS = [
    ("meal", "repas"),
    ("transport", "transport"),
    ("phone", "téléphone"),
    ("internet", "internet"),
    ("childcare", "garde d'enfants"),
    ("sports", "sport"),
    ("training", "formation"),
    ("housing", "logement"),
]
_ABSENT_BENEFITS = [
    ("parking", "stationnement"),
    ("gym membership", "salle de sport"),
    ("bicycle", "vélo"),
    ("clothing", "vêtements"),
    ("relocation", "déménagement"),
    ("pension", "retraite"),
]
_DEPTS = [
    ("finance", "finance"),
    ("legal", "juridique"),
    ("marketing", "marketing"),
    ("IT", "informatique"),
    ("sales", "commercial"),
    ("purchasing", "achats"),
    ("logistics", "logistique"),
    ("quality", "qualité"),
]
_ABSENT_DEPTS = [
    ("research", "recherche"),
    ("security", "sécurité"),
    ("design", "design"),
    ("customer care", "relation client"),
    ("audit", "audit"),
    ("export", "export"),
]
_FORMS = [
    ("expense reports", "les notes de frais"),
    ("timesheets", "les feuilles de temps"),
    ("leave requests", "les demandes de congés"),
    ("travel requests", "les demandes de déplacement"),
    ("overtime claims", "les déclarations d'heures supplémentaires"),
    ("training requests", "les demandes de formation"),
]
_EVENTS = [
    ("annual general meeting", "l'assemblée générale annuelle"),
    ("safety training day", "la journée de formation à la sécurité"),
    ("works council election", "l'élection du comité social et économique"),
    ("summer party", "la fête d'été"),
    ("strategy seminar", "le séminaire stratégique"),
    ("open day", "la journée portes ouvertes"),
]
_ABSENT_EVENTS = [
    ("board retreat", "la retraite du conseil"),
    ("charity run", "la course solidaire"),
    ("product launch", "le lancement du produit"),
]


def _amount(value: float, lang: str) -> str:
    whole, cents = f"{value:.2f}".split(".")
    groups = f"{int(whole):,}"
    if lang == "fr":
        return f"{groups.replace(',', ' ')},{cents} €"
    return f"€{groups}.{cents}"


def _date(day: int, month: int, year: int, lang: str) -> str:
    name = _MONTHS[lang][month - 1]
    if lang == "fr":
        return f"{'1er' if day == 1 else day} {name} {year}"
    return f"{name} {day}, {year}"


class _Builder:
    def __init__(self, lang: str, seed: int) -> None:
        self.lang = lang
        self.rng = random.Random(f"{seed}-{lang}")
        self.passages: list[tuple[str, str]] = []  # (category, text)
        self.items: list[tuple[str, str, list[str], int]] = []  # (id, question, keywords, idx)

    def t(self, en: str, fr: str) -> str:
        return fr if self.lang == "fr" else en

    def add_passage(self, category: str, sentences: list[str]) -> int:
        self.passages.append((category, " ".join(sentences)))
        return len(self.passages) - 1

    def ask(self, key: str, question: str, keywords: list[str], passage: int) -> None:
        self.items.append((f"{self.lang}-{key}", question, keywords, passage))

    def fact_group(
        self, category: str, facts: list[tuple[str, str, str, str]], closing: str
    ) -> None:
        """One passage: a sentence per fact, then `closing`; one question per fact.
        `facts` holds (key, sentence, question, expected keyword)."""
        idx = self.add_passage(category, [fact[1] for fact in facts] + [closing])
        for key, _sentence, question, keyword in facts:
            self.ask(key, question, [keyword], idx)

    def benefits(self) -> None:
        for start in range(0, len(_BENEFITS), 3):
            facts = []
            for en, fr in _BENEFITS[start : start + 3]:
                amount = _amount(
                    self.rng.choice([35, 48.5, 60, 75, 120, 150, 210.75, 1250]), self.lang
                )
                sentence = self.t(
                    f"The {en} allowance is {amount} per month.",
                    f"L'indemnité de {fr} s'élève à {amount} par mois.",
                )
                question = self.t(
                    f"How much is the {en} allowance?",
                    f"Quel est le montant de l'indemnité de {fr} ?",
                )
                facts.append((f"benefit-{en}", sentence, question, amount))
            closing = self.t(
                "Allowances are paid with the monthly salary.",
                "Les indemnités sont versées avec le salaire mensuel.",
            )
            self.fact_group("benefits", facts, closing)

    def departments(self) -> None:
        for i, (en, fr) in enumerate(_DEPTS):
            first, last = _FIRST[i % len(_FIRST)], _LAST[i]
            day, month, year = (
                self.rng.randint(1, 28),
                self.rng.randint(1, 12),
                self.rng.randint(2015, 2024),
            )
            when = _date(day, month, year, self.lang)
            city, staff = _CITIES[i], self.rng.randint(6, 140)
            sentences = [
                self.t(
                    f"{first} {last} has headed the {en} department since {when}.",
                    f"{first} {last} dirige le service {fr} depuis le {when}.",
                ),
                self.t(
                    f"The {en} team is based in {city} and counts {staff} employees.",
                    f"L'équipe {fr} est installée à {city} et compte {staff} salariés.",
                ),
                self.t(
                    f"Questions about {en} matters go to the team's shared mailbox.",
                    f"Les questions sur le service {fr} vont à la boîte partagée de l'équipe.",
                ),
            ]
            idx = self.add_passage("departments", sentences)
            self.ask(
                f"dept-head-{en}",
                self.t(
                    f"Who is in charge of the {en} department?", f"Qui dirige le service {fr} ?"
                ),
                [last],
                idx,
            )
            self.ask(
                f"dept-since-{en}",
                self.t(
                    f"Since when has {first} {last} led the {en} department?",
                    f"Depuis quand {first} {last} est-il à la tête du service {fr} ?",
                ),
                [when],
                idx,
            )
            self.ask(
                f"dept-city-{en}",
                self.t(
                    f"In which city is the {en} team located?",
                    f"Dans quelle ville se trouve l'équipe {fr} ?",
                ),
                [city],
                idx,
            )
            self.ask(
                f"dept-staff-{en}",
                self.t(
                    f"How many people work in the {en} team?",
                    f"Combien de personnes travaillent dans l'équipe {fr} ?",
                ),
                [str(staff)],
                idx,
            )

    def deadlines(self) -> None:
        for start in range(0, len(_FORMS), 2):
            facts = []
            for en, fr in _FORMS[start : start + 2]:
                days = self.rng.choice([5, 10, 15, 30, 45, 60])
                sentence = self.t(
                    f"{en.capitalize()} must be submitted within {days} days.",
                    f"{fr.capitalize()} doivent être transmises sous {days} jours.",
                )
                question = self.t(
                    f"What is the deadline to submit {en}?",
                    f"Quel est le délai pour transmettre {fr} ?",
                )
                facts.append((f"deadline-{en.replace(' ', '-')}", sentence, question, str(days)))
            closing = self.t(
                "Late submissions are reviewed by the line manager.",
                "Les envois tardifs sont examinés par le responsable hiérarchique.",
            )
            self.fact_group("deadlines", facts, closing)

    def events(self) -> None:
        for i, (en, fr) in enumerate(_EVENTS):
            when = _date(self.rng.randint(1, 28), self.rng.randint(1, 12), 2025, self.lang)
            city = _CITIES[-1 - i]
            sentences = [
                self.t(
                    f"The {en} will take place on {when} in {city}.",
                    f"{fr[0].upper()}{fr[1:]} aura lieu le {when} à {city}.",
                ),
                self.t(
                    "Registration opens one month before the event.",
                    "Les inscriptions ouvrent un mois avant l'événement.",
                ),
            ]
            idx = self.add_passage("events", sentences)
            self.ask(
                f"event-{en.replace(' ', '-')}",
                self.t(f"When is the {en} scheduled?", f"Quand aura lieu {fr} ?"),
                [when],
                idx,
            )

    def unanswerable(self) -> list[tuple[str, str, str]]:
        asks = []
        for en, fr in _ABSENT_BENEFITS:
            asks.append(
                (
                    f"none-benefit-{en}",
                    self.t(
                        f"How much is the {en} allowance?",
                        f"Quel est le montant de l'indemnité de {fr} ?",
                    ),
                    "benefits",
                )
            )
        for en, fr in _ABSENT_DEPTS[:3]:
            asks.append(
                (
                    f"none-dept-{en}",
                    self.t(
                        f"Who is in charge of the {en} department?", f"Qui dirige le service {fr} ?"
                    ),
                    "departments",
                )
            )
        for en, fr in _ABSENT_EVENTS:
            asks.append(
                (
                    f"none-event-{en}",
                    self.t(f"When is the {en} scheduled?", f"Quand aura lieu {fr} ?"),
                    "events",
                )
            )
        return [(key, q, cat) for key, q, cat in asks]


def build_eval_set(seed: int = 7, languages: tuple[str, ...] = ("en", "fr")) -> list[EvalItem]:
    """52 answerable and 12 unanswerable questions per language, deterministic for a seed."""
    items: list[EvalItem] = []
    for lang in languages:
        b = _Builder(lang, seed)
        b.benefits()
        b.departments()
        b.deadlines()
        b.events()
        indices = list(range(len(b.passages)))
        for key, question, keywords, gold in b.items:
            others = b.rng.sample([i for i in indices if i != gold], 3)
            order = [gold, *others] if b.rng.random() < 0.6 else [others[0], gold, *others[1:]]
            items.append(EvalItem(key, lang, question, _numbered(b, order), keywords, True))
        for key, question, category in b.unanswerable():
            same = [i for i in indices if b.passages[i][0] == category]
            rest = [i for i in indices if b.passages[i][0] != category]
            order = b.rng.sample(same, min(2, len(same))) + b.rng.sample(rest, 2)
            items.append(EvalItem(f"{lang}-{key}", lang, question, _numbered(b, order), [], False))
    return items


def _numbered(builder: _Builder, order: list[int]) -> list[Passage]:
    titles = {
        "benefits": "Benefits",
        "departments": "Organisation",
        "deadlines": "Procedures",
        "events": "Calendar",
    }
    return [
        Passage(n, builder.passages[i][1], titles[builder.passages[i][0]], None)
        for n, i in enumerate(order, start=1)
    ]
