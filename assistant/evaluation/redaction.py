"""The project's own PII evaluation set and the redactor's precision/recall per entity type.

Identifiers are generated valid with python-stdnum (and phonenumbers), placed in realistic French
and English sentences; negatives hold look-alike numbers whose checksum is wrong. A city alone is
a context entity, not gold; a city tied to a person ("déménagement à", "née ... à") is ADDRESS.
The harder set (names in every casing and order, addresses, birth dates, hard negatives) is
assistant.evaluation.redaction_styles. Deterministic
for a given seed. evaluate() scores privacy.redaction's redactor on it (tests/privacy runs it on a
small slice); the redaction benchmark (bench/redact.py) builds its texts from the same sentences.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from stdnum import iban, luhn
from stdnum.fr import nir

FIRST_FR = [
    "Marie",
    "Jean",
    "Camille",
    "Louis",
    "Élodie",
    "Théo",
    "Chloé",
    "Mathieu",
    "Inès",
    "Hugo",
    "Sophie",
    "Nicolas",
    "Léa",
    "Antoine",
    "Manon",
    "Julien",
]
LAST_FR = [
    "Dupont",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Fontaine",
    "Rousseau",
    "Mercier",
    "Lambert",
    "Bonnet",
    "Faure",
    "Chevalier",
    "Garnier",
    "Perrin",
    "Morel",
    "Gauthier",
    "Roux",
]
FIRST_EN = [
    "James",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Olivia",
    "Robert",
    "Jessica",
    "William",
    "Hannah",
    "Thomas",
    "Rachel",
    "Daniel",
    "Laura",
    "Andrew",
    "Megan",
]
LAST_EN = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Miller",
    "Wilson",
    "Taylor",
    "Anderson",
    "Thompson",
    "Harris",
    "Clark",
    "Robinson",
    "Walker",
    "Carter",
    "Mitchell",
    "Turner",
]
CITIES_FR = ["Lyon", "Marseille", "Toulouse", "Bordeaux", "Nantes", "Strasbourg", "Lille"]
CITIES_EN = ["London", "Manchester", "Boston", "Chicago", "Seattle", "Denver", "Dublin"]
DOMAINS = ["example.fr", "exemple.com", "mail.example.org", "acme.io", "societe.fr"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def gen_nir(rng: random.Random, *, corsica: bool = False) -> str:
    dept = rng.choice(["2A", "2B"]) if corsica else f"{rng.randint(1, 95):02d}".replace("20", "21")
    base = f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{dept}"
    base += f"{rng.randint(1, 990):03d}{rng.randint(1, 999):03d}"
    number = base + nir.calc_check_digits(base)
    if rng.random() < 0.5:
        return number
    return " ".join(
        [number[0], number[1:3], number[3:5], number[5:7], number[7:10], number[10:13], number[13:]]
    )


def gen_siren(rng: random.Random) -> str:
    base = str(rng.randint(1, 9)) + _digits(rng, 7)
    number = base + luhn.calc_check_digit(base)
    return number if rng.random() < 0.5 else f"{number[:3]} {number[3:6]} {number[6:]}"


def gen_siret(rng: random.Random) -> str:
    siren = gen_siren(rng).replace(" ", "")
    base = siren + _digits(rng, 4)
    number = base + luhn.calc_check_digit(base)
    return (
        number if rng.random() < 0.5 else f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}"
    )


def gen_iban(rng: random.Random, country: str = "FR") -> str:
    while True:
        bban = {
            "FR": _digits(rng, 23),
            "DE": _digits(rng, 18),
            "GB": "NWBK" + _digits(rng, 14),
            "ES": _digits(rng, 20),
        }[country]
        number = country + "00" + bban
        number = country + iban.calc_check_digits(number) + bban
        if iban.is_valid(number):
            return iban.format(number) if rng.random() < 0.7 else number


def gen_phone_fr(rng: random.Random) -> str:
    import phonenumbers

    digits = "100000000"  # invalid start value
    while not phonenumbers.is_valid_number(phonenumbers.parse("0" + digits, "FR")):
        digits = rng.choice(["6", "7", "1", "4", "9"]) + _digits(rng, 8)
    pairs = [digits[1:3], digits[3:5], digits[5:7], digits[7:9]]
    style = rng.randrange(4)
    if style == 0:
        return f"0{digits[0]} " + " ".join(pairs)
    if style == 1:
        return f"+33 {digits[0]} " + " ".join(pairs)
    if style == 2:
        return f"0{digits[0]}." + ".".join(pairs)
    return f"0{digits[0]}" + "".join(pairs)


def gen_phone_en(rng: random.Random) -> str:
    import phonenumbers

    while True:
        area, exchange = rng.randint(201, 989), rng.randint(201, 989)
        text = f"({area}) {exchange}-{_digits(rng, 4)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(text, "US")):
            return text if rng.random() < 0.7 else f"+1 {area} {exchange} {text[-4:]}"


def gen_card(rng: random.Random) -> str:
    base = rng.choice(["4", "51", "55"]) + _digits(rng, 14 if rng.random() < 0.5 else 13)
    base = base[:15]
    number = base + luhn.calc_check_digit(base)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4))


def gen_ip(rng: random.Random) -> str:
    return (
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


def _break_checksum(value: str) -> str:
    """Same shape, last digit changed: a look-alike that must not be redacted."""
    match = list(re.finditer(r"\d", value))[-1]
    digit = str((int(match.group()) + 3) % 10)
    return value[: match.start()] + digit + value[match.end() :]


@dataclass
class Sample:
    text: str
    language: str
    gold: list[tuple[str, int, int]] = field(default_factory=list)


FR_TEMPLATES = [
    "Bonjour, je m'appelle {PERSON} et mon numéro de sécurité sociale est {NIR}.",
    "{PERSON}, née le {DATE_OF_BIRTH=3 mars 1987} à {ADDRESS_CITY}, NIR {NIR}, "
    "demande un remboursement.",
    "Merci de virer le solde sur l'IBAN {IBAN} au nom de {PERSON}.",
    "La société (SIREN {SIREN}) a ouvert un établissement, SIRET {SIRET}, à {CITY}.",
    "Vous pouvez joindre {PERSON} au {PHONE} ou par courriel à {EMAIL}.",
    "Mon portable : {PHONE}. Mon adresse : {EMAIL}.",
    "M. {PERSON_LAST} a envoyé son RIB : {IBAN}.",
    "Le poste de {PERSON} se connecte depuis l'adresse {IP}.",
    "Paiement refusé pour la carte {CARD} de {PERSON}.",
    "Contrat signé par Mme {PERSON_LAST} le 12 janvier, entreprise SIREN {SIREN}.",
    "Suite à notre échange, {PERSON} confirme son déménagement à {ADDRESS_CITY} en septembre.",
    "Le remboursement de 84,50 € sera versé sur le compte {IBAN} sous 5 jours ouvrés.",
    "Pour toute question, écrivez à {EMAIL} en précisant votre numéro de dossier 2024-118.",
]
EN_TEMPLATES = [
    "Hi, my name is {PERSON} and you can reach me at {EMAIL}.",
    "Please call {PERSON} on {PHONE} before Friday.",
    "The invoice was paid with card {CARD} by {PERSON} from {CITY}.",
    "Login attempts came from {IP} for the account of {PERSON}.",
    "Send the refund to IBAN {IBAN}, account holder {PERSON}.",
    "Mr {PERSON_LAST} works in our {CITY} office; his French NIR is {NIR}.",
    "Contact: {EMAIL}, phone {PHONE}.",
    "Our supplier's SIRET is {SIRET} and its SIREN {SIREN}.",
    "Yesterday {PERSON} asked whether the {CITY=Paris} office could ship it to {CITY}.",
    "The contractor invoice (total 1,240.00 USD) lists {EMAIL} as billing contact.",
    "If the VPN drops again, ask {PERSON} to check the gateway at {IP}.",
]
NEGATIVE_TEMPLATES = [
    ("fr", "Le dossier {BAD_NIR} a été classé sans suite."),
    ("fr", "Référence de commande {BAD_SIREN}, livraison prévue demain."),
    ("fr", "Numéro de lot {BAD_SIRET} à vérifier avant expédition."),
    ("fr", "Le compte FR{BAD_IBAN_TAIL} est inconnu de nos services."),
    ("fr", "La facture n° 2024-0042 de 1 250,00 € est réglée depuis le 15/03/2024."),
    ("en", "Ticket {BAD_SIREN} was closed after the release of version 3.12.4."),
    ("en", "Tracking number {BAD_CARD} is not a card, and build 1.2.3 is not an address."),
    ("en", "The meeting moved to room 4012 on the 3rd floor at 10:30."),
    ("en", "Reference {BAD_NIR} does not match any employee."),
    ("fr", "Le contrat 12-345-678 court du 01/02/2024 au 31/01/2025 pour 3 450,00 €."),
    ("en", "Release 2.14.0 fixed issue 48213 and raised the limit to 1 048 576 rows."),
    ("fr", "Appelez le standard au 00 12 34 56 78 ? Non : ce numéro n'existe pas."),
]


def _fill(template: str, language: str, rng: random.Random) -> Sample:
    first, last, cities = (
        (FIRST_FR, LAST_FR, CITIES_FR) if language == "fr" else (FIRST_EN, LAST_EN, CITIES_EN)
    )
    makers: dict[str, Callable[[], str]] = {
        "PERSON": lambda: f"{rng.choice(first)} {rng.choice(last)}",
        "PERSON_LAST": lambda: rng.choice(last),
        # A city alone is a context entity (not gold); ADDRESS_CITY is one tied to a person.
        "CITY": lambda: rng.choice(cities),
        "ADDRESS_CITY": lambda: rng.choice(cities),
        "DATE_OF_BIRTH": lambda: "1er janvier 1980",
        "NIR": lambda: gen_nir(rng, corsica=rng.random() < 0.2),
        "SIREN": lambda: gen_siren(rng),
        "SIRET": lambda: gen_siret(rng),
        "IBAN": lambda: gen_iban(rng, rng.choice(["FR", "FR", "DE", "GB", "ES"])),
        "PHONE": lambda: gen_phone_fr(rng) if language == "fr" else gen_phone_en(rng),
        "EMAIL": lambda: (
            (f"{rng.choice(first)}.{rng.choice(last)}@{rng.choice(DOMAINS)}")
            .lower()
            .replace("é", "e")
            .replace("è", "e")
        ),
        "CARD": lambda: gen_card(rng),
        "IP": lambda: gen_ip(rng),
        "BAD_NIR": lambda: _break_checksum(gen_nir(rng)),
        "BAD_SIREN": lambda: _break_checksum(gen_siren(rng)),
        "BAD_SIRET": lambda: _break_checksum(gen_siret(rng)),
        "BAD_IBAN_TAIL": lambda: _break_checksum(gen_iban(rng, "FR").replace(" ", ""))[2:],
        "BAD_CARD": lambda: _break_checksum(gen_card(rng)),
    }
    sample = Sample(text="", language=language)
    for piece in re.split(r"(\{\w+(?:=[^}]*)?\})", template):
        slot = piece[1:-1] if piece.startswith("{") else ""
        slot, _, fixed = slot.partition("=")  # {CITY=Paris}: a fixed value
        if slot not in makers:
            sample.text += piece
            continue
        value = fixed or makers[slot]()
        start = len(sample.text)
        sample.text += value
        if not slot.startswith("BAD_") and slot != "CITY":
            gold_type = {"PERSON_LAST": "PERSON", "ADDRESS_CITY": "ADDRESS"}.get(slot, slot)
            sample.gold.append((gold_type, start, len(sample.text)))
    return sample


def build_dataset(seed: int = 6, per_template: int = 12) -> list[Sample]:
    rng = random.Random(seed)
    samples = []
    for _ in range(per_template):
        samples += [_fill(t, "fr", rng) for t in FR_TEMPLATES]
        samples += [_fill(t, "en", rng) for t in EN_TEMPLATES]
        samples += [_fill(t, lang, rng) for lang, t in NEGATIVE_TEMPLATES]
    return samples


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _covered(text: str, start: int, end: int, predicted: list[Any]) -> bool:
    """Every letter and digit of the gold span lies inside some predicted span (of any type):
    nothing of the value is left readable after redaction."""
    return all(
        not text[i].isalnum() or any(p.start <= i < p.end for p in predicted)
        for i in range(start, end)
    )


def _score(pairs: list[tuple[Sample, list[Any]]]) -> dict[str, Any]:
    tp_gold: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    gold_n: Counter[str] = Counter()
    tp_pred: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    for sample, predicted in pairs:
        for gtype, gs, ge in sample.gold:
            gold_n[gtype] += 1
            if any(p.type == gtype and _overlaps((p.start, p.end), (gs, ge)) for p in predicted):
                tp_gold[gtype] += 1
            if _covered(sample.text, gs, ge, predicted):
                covered[gtype] += 1
        for p in predicted:
            pred_n[p.type] += 1
            if any(g[0] == p.type and _overlaps((p.start, p.end), g[1:]) for g in sample.gold):
                tp_pred[p.type] += 1
    per_type = {}
    for t in sorted(set(gold_n) | set(pred_n)):
        per_type[t] = {
            "support": gold_n[t],
            "predicted": pred_n[t],
            "recall": round(tp_gold[t] / gold_n[t], 3) if gold_n[t] else None,
            "covered": round(covered[t] / gold_n[t], 3) if gold_n[t] else None,
            "precision": round(tp_pred[t] / pred_n[t], 3) if pred_n[t] else None,
        }
    total_pred, total_gold = sum(pred_n.values()), sum(gold_n.values())
    return {
        "samples": len(pairs),
        "per_type": per_type,
        "precision": round(sum(tp_pred.values()) / total_pred, 3) if total_pred else None,
        "recall": round(sum(tp_gold.values()) / total_gold, 3) if total_gold else None,
    }


def evaluate(
    redactor: Any = None,
    samples: list[Sample] | None = None,
    *,
    aliases: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Precision and recall per entity type (a prediction counts when its type matches a gold
    span it overlaps), "covered" (share of gold spans with no letter or digit left outside a
    predicted span of any type: what a reader of the redacted text cannot see), micro-averaged
    totals, and the same per language under "per_language". `aliases` renames predicted types
    before scoring (e.g. {"LOCATION": "ADDRESS"} to score a redactor that predates ADDRESS)."""
    if redactor is None:
        from privacy.redaction import get_redactor

        redactor = get_redactor()
    samples = samples if samples is not None else build_dataset()
    aliases = aliases or {}
    pairs = []
    for sample in samples:
        predicted = [
            replace(p, type=aliases.get(p.type, p.type))
            for p in redactor.analyze(sample.text, language=sample.language)
        ]
        pairs.append((sample, predicted))
    report = _score(pairs)
    report["per_language"] = {
        lang: _score([pair for pair in pairs if pair[0].language == lang])
        for lang in sorted({s.language for s in samples})
    }
    return report
