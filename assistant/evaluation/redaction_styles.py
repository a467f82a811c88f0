"""A harder PII set: names, addresses and birth dates written the way forms, exports, e-mails and
people write them, plus hard negatives (headings in capitals, products, places and organisations
that identify nobody).

The project's templated set (assistant.evaluation.redaction) writes every name the tidy way
("Marie Dupont"). Here one person appears in lower case, in capitals, surname first (``DELAUNAY
Grégoire``, ``Delaunay, Grégoire``), with an initial, with particles, hyphens and apostrophes
(``Marc-Antoine``, ``N'Diaye``, ``de La Fontaine``, ``Le Gall``), in running text, questions, table
cells, CSV rows, e-mail headers and signatures; a street address or a city tied to a person by a
residence cue is ADDRESS; a date after a birth cue is DATE_OF_BIRTH. Cities, countries,
organisations and ordinary dates are context: they are never gold, so masking them costs
precision. The name pools below are this set's own: the redactor knows no list of them.

Deterministic for a given seed; scored by assistant.evaluation.redaction.evaluate().
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from assistant.evaluation.redaction import Sample, gen_phone_en, gen_phone_fr

PEOPLE_FR = [
    ("Grégoire", "Delaunay"),
    ("Marc-Antoine", "Lefebvre"),
    ("Aminata", "N'Diaye"),
    ("Jean", "de La Fontaine"),
    ("Yann", "Le Gall"),
    ("Anne-Sophie", "Dubois-Martin"),
    ("Hélène", "Dufresne"),
    ("Baptiste", "Rigaud"),
    ("Océane", "Marchal"),
    ("Thibault", "Vasseur"),
    ("Solène", "Ménard"),
    ("Loïc", "Tessier"),
    ("Nathalie", "d'Almeida"),
    ("Sébastien", "Royer"),
    ("Maëlle", "Guérin"),
    ("Corentin", "Le Goff"),
    ("Karim", "Benali"),
    ("Yasmina", "Haddad"),
    ("Gwenaëlle", "Kerbrat"),
    ("François", "du Plessis"),
]
PEOPLE_EN = [
    ("Tom", "Baxter"),
    ("Olivia", "O'Connor"),
    ("Liam", "McAllister"),
    ("Grace", "Whitfield"),
    ("Ethan", "Holloway"),
    ("Harriet", "Ashdown"),
    ("Connor", "MacLeod"),
    ("Mary-Jane", "Watts"),
    ("Owen", "Pritchard"),
    ("Siobhan", "Gallagher"),
    ("Rhys", "Llewellyn"),
    ("Zoe", "Hartley"),
    ("Nolan", "Fitzgerald"),
    ("Priya", "Raman"),
    ("Daniel", "Van der Berg"),
    ("Hannah", "Okafor"),
]
STREETS_FR = [
    "rue des Lilas",
    "avenue Jean Jaurès",
    "boulevard Voltaire",
    "allée des Tilleuls",
    "impasse du Moulin",
    "chemin de la Croix",
    "place de la République",
    "rue du Général Leclerc",
    "quai Saint-Vincent",
    "route de Vannes",
]
TOWNS_FR = [
    ("69003", "Lyon"),
    ("33000", "Bordeaux"),
    ("35000", "Rennes"),
    ("44000", "Nantes"),
    ("13008", "Marseille"),
    ("42000", "Saint-Étienne"),
    ("13100", "Aix-en-Provence"),
    ("76600", "Le Havre"),
    ("59000", "Lille"),
    ("29200", "Brest"),
    ("21000", "Dijon"),
]
STREETS_EN = [
    "Elm Street",
    "Baker Street",
    "Maple Avenue",
    "Station Road",
    "Church Lane",
    "Oak Drive",
    "Victoria Road",
    "High Street",
]
TOWNS_EN = [
    ("Leeds", "LS1 4AP"),
    ("Manchester", "M1 2AB"),
    ("Bristol", "BS1 5TR"),
    ("London", "NW1 6XE"),
    ("Springfield, IL", "62704"),
    ("Austin, TX", "78701"),
    ("Portland, OR", "97205"),
]
CONTEXT_CITIES = {
    "fr": ["Paris", "Lyon", "Toulouse", "Berlin", "Bruxelles", "Genève", "Londres"],
    "en": ["Paris", "London", "Berlin", "New York", "Madrid", "Dublin", "Chicago"],
}
COUNTRIES = {
    "fr": ["Allemagne", "Espagne", "Italie", "Belgique", "Suisse", "Canada"],
    "en": ["Germany", "Spain", "Italy", "Belgium", "Switzerland", "Canada"],
}
MONTHS_FR = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
MONTHS_EN = "January February March April May June July August September October November December"

Part = str | tuple[str, str]  # plain text, or (gold type, value)


def _sample(language: str, *parts: Part) -> Sample:
    sample = Sample(text="", language=language)
    for part in parts:
        if isinstance(part, str):
            sample.text += part
            continue
        entity_type, value = part
        start = len(sample.text)
        sample.text += value
        sample.gold.append((entity_type, start, len(sample.text)))
    return sample


def _initials(given: str) -> str:
    return "-".join(f"{piece[0]}." for piece in given.split("-"))


def _styled(given: str, surname: str, style: str) -> list[Part]:
    """One person's name in one writing style: a list of parts (surname and given name are one
    span, except in "comma" style where the comma sits inside the span too)."""
    full = {
        "tidy": f"{given} {surname}",
        "lower": f"{given} {surname}".lower(),
        "upper": f"{given} {surname}".upper(),
        "surname_first": f"{surname.upper()} {given}",
        "surname_first_upper": f"{surname.upper()} {given.upper()}",
        "comma": f"{surname}, {given}",
        "initial": f"{_initials(given)} {surname}",
    }[style]
    return [("PERSON", full)]


STYLES = ["tidy", "lower", "upper", "surname_first", "surname_first_upper", "comma", "initial"]
# Questions are typed: lower case and tidy mostly, never a form's "DELAUNAY Grégoire".
QUESTION_STYLES = ["lower", "lower", "tidy", "upper"]


def _email(given: str, surname: str, domain: str) -> str:
    import unicodedata

    def ascii_(value: str) -> str:
        value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        return value.lower().replace(" ", "").replace("'", "")

    return f"{ascii_(given)}.{ascii_(surname)}@{domain}"


def _date_fr(rng: random.Random) -> str:
    day = rng.randint(1, 28)
    month = MONTHS_FR.split()[rng.randrange(12)]
    return f"{'1er' if day == 1 else day} {month} {rng.randint(1950, 2004)}"


def _date_en(rng: random.Random) -> str:
    day, month, year = (
        rng.randint(1, 28),
        MONTHS_EN.split()[rng.randrange(12)],
        rng.randint(1950, 2004),
    )
    return f"{day} {month} {year}" if rng.random() < 0.5 else f"{month} {day}, {year}"


def _date_numeric(rng: random.Random, *, us: bool = False) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1950, 2004)
    style = rng.randrange(3)
    if style == 0:
        return f"{year}-{month:02d}-{day:02d}"
    a, b = (month, day) if us else (day, month)
    return f"{a:02d}/{b:02d}/{year}" if style == 1 else f"{a:02d}.{b:02d}.{year}"


def _fr_people_samples(rng: random.Random, pools: Pools) -> list[Sample]:
    samples = []
    for given, surname in pools.people_fr:
        (g2, s2) = rng.choice([p for p in pools.people_fr if p[0] != given])
        qstyle = rng.choice(QUESTION_STYLES)
        style, style2 = rng.choice(STYLES), rng.choice(STYLES)
        p, p2 = _styled(given, surname, qstyle), _styled(g2, s2, style2)
        samples += [
            _sample("fr", "quel est le solde de congés de ", *p, " ?"),
            _sample(
                "fr",
                "est-ce que ",
                *_styled(given, surname, rng.choice(QUESTION_STYLES)),
                " a bien reçu son avance sur frais",
            ),
            _sample(
                "fr",
                "Qui remplace ",
                *_styled(given, surname, rng.choice(QUESTION_STYLES)),
                " pendant ses congés ?",
            ),
            _sample(
                "fr",
                "Le dossier de ",
                *_styled(given, surname, style),
                " a été transmis au service paie le 4 février.",
            ),
            _sample(
                "fr",
                "Après vérification, ",
                *_styled(given, surname, style),
                " et ",
                *p2,
                " rejoindront l'équipe achats.",
            ),
            _sample(
                "fr",
                "| Nom | Service | Contrat |\n| --- | --- | --- |\n| ",
                *_styled(given, surname, rng.choice(["surname_first", "upper", "tidy"])),
                " | Comptabilité | CDI |\n| ",
                *_styled(g2, s2, "surname_first"),
                " | Achats | CDD |",
            ),
            _sample(
                "fr",
                "matricule;nom;prénom;service;entrée\n4512;",
                ("PERSON", surname.upper()),
                ";",
                ("PERSON", given),
                ";Paie;2021-09-01",
            ),
            _sample(
                "fr",
                f"{rng.randint(1000, 9999)};",
                ("PERSON", surname.upper()),
                ";",
                ("PERSON", given),
                ";Logistique;CDI;temps plein",
            ),
            _sample(
                "fr",
                "De : ",
                *_styled(given, surname, rng.choice(["tidy", "surname_first"])),
                " <",
                ("EMAIL", _email(given, surname, "acme.fr")),
                ">\nÀ : ",
                *_styled(g2, s2, rng.choice(["tidy", "upper", "lower"])),
                "\nObjet : note de frais de mars",
            ),
            _sample(
                "fr",
                "Bien cordialement,\n\n",
                *_styled(given, surname, rng.choice(["tidy", "upper"])),
                "\nResponsable paie\nTél. : ",
                ("PHONE", gen_phone_fr(rng)),
            ),
            _sample("fr", "Bonjour ", ("PERSON", given), ",\nMerci pour votre retour rapide."),
            _sample(
                "fr",
                rng.choice(["M.", "Mme", "Monsieur", "Madame"]) + " ",
                ("PERSON", rng.choice([surname.upper(), surname, surname.lower()])),
                " sera absent jusqu'au 12 mai.",
            ),
            _sample(
                "fr",
                "Contact : ",
                *_styled(given, surname, rng.choice(STYLES)),
                ", service achats.",
            ),
            _sample(
                "fr",
                "Signé : ",
                *_styled(given, surname, rng.choice(["initial", "tidy", "lower"])),
                ", le 3 avril.",
            ),
        ]
    return samples


def _en_people_samples(rng: random.Random, pools: Pools) -> list[Sample]:
    samples = []
    for given, surname in pools.people_en:
        (g2, s2) = rng.choice([p for p in pools.people_en if p[0] != given])
        style, style2 = rng.choice(STYLES), rng.choice(STYLES)
        p2 = _styled(g2, s2, style2)
        samples += [
            _sample(
                "en",
                "how many leave days does ",
                *_styled(given, surname, rng.choice(QUESTION_STYLES)),
                " have left?",
            ),
            _sample(
                "en",
                "did ",
                *_styled(given, surname, rng.choice(QUESTION_STYLES)),
                " submit the expense report for march",
            ),
            _sample(
                "en",
                "Who approves overtime for ",
                *_styled(given, surname, rng.choice(QUESTION_STYLES)),
                "?",
            ),
            _sample(
                "en",
                "The file for ",
                *_styled(given, surname, style),
                " was sent to payroll on 4 February.",
            ),
            _sample(
                "en",
                "After review, ",
                *_styled(given, surname, style),
                " and ",
                *p2,
                " will join the procurement team.",
            ),
            _sample(
                "en",
                "| Name | Department | Contract |\n| --- | --- | --- |\n| ",
                *_styled(given, surname, rng.choice(["surname_first", "upper", "tidy"])),
                " | Finance | Permanent |\n| ",
                *_styled(g2, s2, "comma"),
                " | Purchasing | Fixed-term |",
            ),
            _sample(
                "en",
                "employee_id,last_name,first_name,department,start_date\n7731,",
                ("PERSON", surname.upper()),
                ",",
                ("PERSON", given),
                ",Payroll,2021-09-01",
            ),
            _sample(
                "en",
                f"{rng.randint(1000, 9999)},",
                ("PERSON", surname),
                ",",
                ("PERSON", given),
                ",Warehouse,full-time",
            ),
            _sample(
                "en",
                "From: ",
                *_styled(given, surname, rng.choice(["tidy", "comma"])),
                " <",
                ("EMAIL", _email(given, surname, "example.com")),
                ">\nTo: ",
                *_styled(g2, s2, rng.choice(["tidy", "upper", "lower"])),
                "\nSubject: expense claim for March",
            ),
            _sample(
                "en",
                "Best regards,\n",
                *_styled(given, surname, rng.choice(["tidy", "upper"])),
                "\nIT Manager\nPhone: ",
                ("PHONE", gen_phone_en(rng)),
            ),
            _sample("en", "Dear ", ("PERSON", given), ",\nThank you for your quick reply."),
            _sample(
                "en",
                rng.choice(["Mr", "Mrs", "Ms", "Dr"]) + " ",
                ("PERSON", rng.choice([surname.upper(), surname, surname.lower()])),
                " is away until 12 May.",
            ),
            _sample(
                "en",
                "contact: ",
                *_styled(given, surname, rng.choice(STYLES)),
                ", purchasing team.",
            ),
            _sample(
                "en",
                "Signed: ",
                *_styled(given, surname, rng.choice(["initial", "tidy", "lower"])),
                ", 3 April.",
            ),
        ]
    return samples


def _fr_address_samples(rng: random.Random, pools: Pools) -> list[Sample]:
    samples = []
    for _ in range(3):
        for given, surname in rng.sample(pools.people_fr, 6):
            num = f"{rng.randint(1, 180)}{rng.choice(['', '', ' bis', 'ter'])}"
            street = rng.choice(pools.streets_fr)
            cp, town = rng.choice(pools.towns_fr)
            upper = rng.random() < 0.3
            street_text = f"{num} {street}"
            town_text = f"{cp} {town.upper() if upper else town}"
            samples += [
                _sample(
                    "fr",
                    "J'habite au ",
                    ("ADDRESS", f"{street_text}, {town_text}"),
                    " et je voudrais changer d'adresse.",
                ),
                _sample(
                    "fr",
                    *_styled(given, surname, "tidy"),
                    ", domicilié ",
                    ("ADDRESS", f"{street_text} {town_text}"),
                    ", demande un acompte.",
                ),
                _sample(
                    "fr",
                    "Mme ",
                    ("PERSON", surname),
                    " habite à ",
                    ("ADDRESS", town),
                    " depuis 2019.",
                ),
                _sample(
                    "fr",
                    "je vis à ",
                    ("ADDRESS", town.lower()),
                    " et je voudrais changer de mutuelle",
                ),
                _sample(
                    "fr",
                    *_styled(given, surname, rng.choice(["upper", "tidy"])),
                    "\n",
                    ("ADDRESS", f"{street_text}\n{town_text}"),
                    "\nFrance",
                ),
                _sample(
                    "fr",
                    "Adresse : ",
                    ("ADDRESS", f"{street_text.upper() if upper else street_text}, {town_text}"),
                ),
            ]
    return samples


def _en_address_samples(rng: random.Random, pools: Pools) -> list[Sample]:
    samples = []
    for _ in range(3):
        for given, surname in rng.sample(pools.people_en, 6):
            num = f"{rng.randint(1, 480)}{rng.choice(['', '', 'B'])}"
            street = rng.choice(pools.streets_en)
            town, postcode = rng.choice(pools.towns_en)
            samples += [
                _sample(
                    "en",
                    "I live at ",
                    ("ADDRESS", f"{num} {street}, {town} {postcode}"),
                    " and need to update my records.",
                ),
                _sample(
                    "en",
                    *_styled(given, surname, "tidy"),
                    " lives in ",
                    ("ADDRESS", town.split(",")[0]),
                    " with her family.",
                ),
                _sample(
                    "en", "she moved to ", ("ADDRESS", town.split(",")[0].lower()), " last year"
                ),
                _sample(
                    "en",
                    "My home address is ",
                    ("ADDRESS", f"{num} {street}, {town} {postcode}"),
                    ".",
                ),
                _sample(
                    "en",
                    *_styled(given, surname, rng.choice(["upper", "tidy"])),
                    "\n",
                    ("ADDRESS", f"{num} {street}\n{town} {postcode}"),
                    "\nUnited Kingdom",
                ),
                _sample(
                    "en", "Address: ", ("ADDRESS", f"{num} {street.upper()}, {town} {postcode}")
                ),
            ]
    return samples


def _birth_samples(rng: random.Random, pools: Pools) -> list[Sample]:
    samples = []
    for _ in range(2):
        for given, surname in pools.people_fr[:12]:
            _, town = rng.choice(pools.towns_fr)
            samples += [
                _sample(
                    "fr",
                    *_styled(given, surname, "tidy"),
                    ", né le ",
                    ("DATE_OF_BIRTH", _date_fr(rng)),
                    ", demande un duplicata.",
                ),
                _sample("fr", "Date de naissance : ", ("DATE_OF_BIRTH", _date_numeric(rng))),
                _sample(
                    "fr", "née le ", ("DATE_OF_BIRTH", _date_numeric(rng)), " à ", ("ADDRESS", town)
                ),
                _sample(
                    "fr",
                    "je suis née le ",
                    ("DATE_OF_BIRTH", _date_fr(rng).lower()),
                    ", ai-je droit au congé senior ?",
                ),
            ]
        for given, surname in pools.people_en[:12]:
            samples += [
                _sample(
                    "en",
                    *_styled(given, surname, "tidy"),
                    ", born on ",
                    ("DATE_OF_BIRTH", _date_en(rng)),
                    ", asked for a copy.",
                ),
                _sample("en", "DOB: ", ("DATE_OF_BIRTH", _date_numeric(rng, us=True))),
                _sample("en", "Date of birth: ", ("DATE_OF_BIRTH", _date_numeric(rng))),
                _sample(
                    "en",
                    "i was born on ",
                    ("DATE_OF_BIRTH", _date_en(rng)),
                    ", am I eligible for the senior leave?",
                ),
            ]
    return samples


HEADINGS = {
    "fr": [
        "NOTE DE SERVICE",
        "CONFIDENTIEL",
        "PROCÉDURE DE REMBOURSEMENT DES FRAIS DE DÉPLACEMENT",
        "RÈGLEMENT INTÉRIEUR — ARTICLE 12",
        "ANNEXE 3 : BARÈME DES INDEMNITÉS KILOMÉTRIQUES",
        "DIRECTION DES RESSOURCES HUMAINES",
        "COMPTE RENDU DE RÉUNION",
        "DIFFUSION RESTREINTE",
        "CHARTE INFORMATIQUE",
        "POLITIQUE VOYAGES ET DÉPLACEMENTS",
    ],
    "en": [
        "INTERNAL MEMO",
        "CONFIDENTIAL",
        "TRAVEL AND EXPENSE POLICY",
        "SECTION 4 — ANNUAL LEAVE",
        "HUMAN RESOURCES DEPARTMENT",
        "MEETING MINUTES",
        "FOR INTERNAL USE ONLY",
        "PAYROLL CALENDAR 2025",
        "GRACE PERIOD AND LATE PAYMENTS",
        "CODE OF CONDUCT",
    ],
}
NEGATIVES: dict[str, list[str]] = {
    "fr": [
        "Quel est le plafond hôtelier à {CITY} ?",
        "Les frais de mission en {COUNTRY} sont-ils remboursés ?",
        "Le bureau de {CITY} ferme le 24 décembre.",
        "Le séminaire aura lieu à {CITY} du 12 au 14 mars 2025.",
        "quel est le plafond des repas à {city} ?",
        "Le contrat avec Airbus est renouvelé jusqu'au 31/12/2025.",
        "BNP Paribas a validé le virement du 15 janvier.",
        "Comment installer Microsoft Teams sur Windows 11 ?",
        "Ouvrez Citrix Workspace puis SharePoint.",
        "Envoyez le formulaire à la DRH avant vendredi.",
        "Indiquez le montant dans la case 4.",
        "Calculez les indemnités kilométriques entre {CITY} et Grenoble.",
        "Expliquez la politique de télétravail.",
        "Rédigez une note pour le site de {CITY}.",
        "La paie est versée le 28 de chaque mois.",
        "la pierre angulaire de la politique voyage est le plafond par nuit",
        "Date limite de dépôt : 2025-01-31.",
        "Le comité social et économique se réunit le 3 mars.",
    ],
    "en": [
        "What is the hotel ceiling in {CITY}?",
        "Is the per diem in {COUNTRY} higher?",
        "The {CITY} office closes on 24 December.",
        "Flights to {CITY} need approval from 1 March 2025.",
        "what is the meal allowance in {city}?",
        "Our contract with Deloitte ends in June.",
        "The European Commission audit starts on 3 March.",
        "How do I reset my Office 365 password?",
        "Is Adobe Acrobat Reader allowed on company laptops?",
        "Explain the remote work policy.",
        "Send the form to HR before Friday.",
        "Compare the {CITY} and Lyon per diems.",
        "Summarise the travel policy for {COUNTRY}.",
        "Check the VPN settings in GlobalProtect.",
        "the grace period for expense claims is 30 days",
        "please mark the invoice as paid",
        "will the office be open on monday?",
        "Deadline for submissions: 2025-01-31.",
    ],
}


def _fillers(rng: random.Random, language: str) -> dict[str, Callable[[], str]]:
    cities, countries = CONTEXT_CITIES[language], COUNTRIES[language]
    return {
        "{CITY}": lambda: rng.choice(cities),
        "{city}": lambda: rng.choice(cities).lower(),
        "{COUNTRY}": lambda: rng.choice(countries),
    }


def _negative_samples(rng: random.Random) -> list[Sample]:
    samples = []
    for language in ("fr", "en"):
        fillers = _fillers(rng, language)
        for heading in HEADINGS[language]:
            body = (
                "Le présent document s'applique à tous les salariés."
                if language == "fr"
                else ("This document applies to every employee.")
            )
            samples.append(_sample(language, f"{heading}\n\n{body}"))
        for _ in range(2):
            for template in NEGATIVES[language]:
                text = template
                for slot, make in fillers.items():
                    while slot in text:
                        text = text.replace(slot, make(), 1)
                samples.append(_sample(language, text))
    return samples


@dataclass(frozen=True)
class Pools:
    """The names, streets and towns one variant of the set is built from."""

    people_fr: list[tuple[str, str]]
    people_en: list[tuple[str, str]]
    streets_fr: list[str]
    towns_fr: list[tuple[str, str]]
    streets_en: list[str]
    towns_en: list[tuple[str, str]]


POOLS = Pools(PEOPLE_FR, PEOPLE_EN, STREETS_FR, TOWNS_FR, STREETS_EN, TOWNS_EN)
# Held out: pools nobody looked at while the recognisers were tuned on POOLS' misses. The
# templates are the same, so this checks the lexicons generalise, not new writing styles.
HELD_OUT_POOLS = Pools(
    people_fr=[
        ("Clémence", "Fauvel"),
        ("Timothée", "Lemaire-Roussel"),
        ("Ibrahima", "Sow"),
        ("Aurélien", "de Montalembert"),
        ("Ségolène", "Le Bihan"),
        ("Mathis", "Brunet"),
        ("Inès", "Chaouch"),
        ("Romain", "d'Estienne"),
        ("Élise", "Poirier"),
        ("Killian", "Morvan"),
        ("Margaux", "Vidal"),
        ("Bastien", "Lacroix"),
    ],
    people_en=[
        ("Jack", "Thornton"),
        ("Imogen", "Blackwood"),
        ("Declan", "O'Sullivan"),
        ("Freya", "McIntyre"),
        ("Callum", "Ferguson"),
        ("Poppy", "Reynolds"),
        ("Aidan", "Kowalski"),
        ("Isla", "Sutherland"),
        ("Kieran", "Doyle"),
        ("Eleanor", "Ashworth"),
        ("Marcus", "Bellamy"),
        ("Ruby", "Hargreaves"),
    ],
    streets_fr=[
        "rue Pasteur",
        "avenue de la Libération",
        "boulevard Gambetta",
        "allée des Acacias",
        "chemin des Vignes",
    ],
    towns_fr=[
        ("31000", "Toulouse"),
        ("34000", "Montpellier"),
        ("37000", "Tours"),
        ("86000", "Poitiers"),
        ("25000", "Besançon"),
        ("64200", "Biarritz"),
    ],
    streets_en=["Park Lane", "Mill Road", "Queen Street", "Cedar Avenue", "Kings Drive"],
    towns_en=[
        ("York", "YO1 7HH"),
        ("Cardiff", "CF10 1EP"),
        ("Denver, CO", "80202"),
        ("Boston, MA", "02108"),
    ],
)


def build_styles_dataset(seed: int = 21, *, held_out: bool = False) -> list[Sample]:
    """The harder set: ~40 % names, ~25 % addresses, ~15 % birth dates, ~20 % negatives.
    held_out=True builds it from HELD_OUT_POOLS (seed 99 in the README)."""
    rng = random.Random(seed)
    pools = HELD_OUT_POOLS if held_out else POOLS
    return (
        _fr_people_samples(rng, pools)
        + _en_people_samples(rng, pools)
        + _fr_address_samples(rng, pools)
        + _en_address_samples(rng, pools)
        + _birth_samples(rng, pools)
        + _negative_samples(rng)
    )
