"""The paraphrase-heavy question set of `bench cache`, generated from subjects and templates.

Repetitive HR, legal and medical questions in English and French: each subject is asked first in
one wording (it generates), then in other wordings (they should be served from the cache). Each
subject also has near-miss questions, asked in the same wordings, that must NOT get its answer:
another number, another place, another drug or another population. Every fact (near misses
included) lives in the bench corpus, so a near miss has its own, different, correct answer.
Templated, so read the hit rate as an upper bound for real users' paraphrases.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subject:
    key: str
    lang: str
    phrase: str  # a noun phrase that fits every template of its language
    fact: str  # the sentence of the corpus that answers it
    near_misses: tuple[tuple[str, str], ...]  # (noun phrase, its own fact)


EN_TEMPLATES = (
    "What is {s}?",
    "Could you tell me {s}?",
    "I would like to know {s}.",
    "Please tell me {s}.",
    "Do you know {s}?",
    "Remind me {s}, please.",
)
FR_TEMPLATES = (
    "Quel est {s} ?",
    "Pouvez-vous me dire {s} ?",
    "J'aimerais connaître {s}.",
    "Pourriez-vous m'indiquer {s} ?",
    "Je voudrais savoir {s}.",
    "Rappelez-moi {s}, s'il vous plaît.",
)

SUBJECTS = (
    Subject("hotel", "en", "the maximum hotel rate per night in Paris",
            "The maximum hotel rate is 145 euros per night in Paris.",
            (("the maximum hotel rate per night in Lyon",
              "The maximum hotel rate is 110 euros per night in Lyon."),)),
    Subject("leave", "en", "the number of paid leave days per year",
            "Employees receive 27 days of paid leave per year.",
            (("the number of sick leave days per year",
              "Employees may take 12 days of paid sick leave per year without a certificate."),)),
    Subject("notice", "en", "the notice period for terminating a supplier contract",
            "Terminating a supplier contract requires three months of notice.",
            (("the notice period for terminating an employment contract",
              "Terminating an employment contract requires one month of notice."),)),
    Subject("article", "en", "the overtime rule in article 12 of the staff regulations",
            "Article 12 of the staff regulations pays overtime at 125 percent.",
            (("the overtime rule in article 13 of the staff regulations",
              "Article 13 of the staff regulations caps overtime at 220 hours per year."),)),
    Subject("dose", "en", "the maximum daily dose of paracetamol for adults",
            "The maximum daily dose of paracetamol for adults is 4 grams.",
            (("the maximum daily dose of ibuprofen for adults",
              "The maximum daily dose of ibuprofen for adults is 1.2 grams."),
             ("the maximum daily dose of paracetamol for children",
              "For children the daily dose of paracetamol is 60 mg per kilogram."))),
    Subject("accident", "en", "the deadline for reporting a workplace accident",
            "A workplace accident must be reported within 48 hours.",
            (("the deadline for reporting a data breach",
              "A data breach must be reported to the authority within 72 hours."),)),
    Subject("payroll", "en", "the retention period for payroll records",
            "Payroll records are kept for five years.",
            (("the retention period for medical records",
              "Medical records are kept for twenty years after the last visit."),)),
    Subject("gp", "en", "the reimbursement rate for a general practitioner consultation",
            "A general practitioner consultation is reimbursed at 70 percent.",
            (("the reimbursement rate for a dental consultation",
              "A dental consultation is reimbursed at 60 percent."),)),
    Subject("trial", "en", "the length of the trial period for managers",
            "The trial period for managers lasts four months.",
            (("the length of the trial period for interns",
              "Interns have a trial period of two weeks."),)),
    Subject("expense", "en", "the deadline for submitting expense claims",
            "Expense claims must be submitted within 30 days with receipts.",
            (("the deadline for submitting timesheets",
              "Timesheets must be submitted every Friday before noon."),)),
    Subject("hotel-fr", "fr", "le plafond de la nuit d'hôtel à Paris",
            "Le plafond de la nuit d'hôtel est de 145 euros à Paris.",
            (("le plafond de la nuit d'hôtel à Lyon",
              "Le plafond de la nuit d'hôtel est de 110 euros à Lyon."),)),
    Subject("conges-fr", "fr", "le nombre de jours de congés payés par an",
            "Les salariés bénéficient de 27 jours de congés payés par an.",
            (("le nombre de jours de télétravail par semaine",
              "Le télétravail est autorisé jusqu'à deux jours par semaine."),)),
    Subject("preavis-fr", "fr", "le préavis pour résilier un contrat fournisseur",
            "La résiliation d'un contrat fournisseur exige un préavis de trois mois.",
            (("le préavis pour résilier un bail commercial",
              "La résiliation d'un bail commercial exige un préavis de six mois."),)),
    Subject("dose-fr", "fr", "la dose maximale de paracétamol par jour pour un adulte",
            "La dose maximale de paracétamol pour un adulte est de 4 grammes par jour.",
            (("la dose maximale d'ibuprofène par jour pour un adulte",
              "La dose maximale d'ibuprofène pour un adulte est de 1,2 gramme par jour."),)),
    Subject("accident-fr", "fr", "le délai pour déclarer un accident du travail",
            "Un accident du travail doit être déclaré sous 48 heures.",
            (("le délai pour déclarer une naissance",
              "Une naissance doit être déclarée à la mairie sous cinq jours."),)),
    Subject("article-fr", "fr", "le contenu de l'article 7 du règlement intérieur",
            "L'article 7 du règlement intérieur interdit de fumer dans les locaux.",
            (("le contenu de l'article 8 du règlement intérieur",
              "L'article 8 du règlement intérieur fixe les horaires d'ouverture du site."),)),
)  # fmt: skip


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    subject: str  # Subject.key, or "near:<key>:<n>" for a near miss
    kind: str  # "first" (the first wording of a subject), "repeat" or "near_miss"


def templates_for(lang: str) -> tuple[str, ...]:
    return EN_TEMPLATES if lang == "en" else FR_TEMPLATES


def _sentence(template: str, phrase: str) -> str:
    text = template.format(s=phrase)
    return text[0].upper() + text[1:]


def question_set(*, subjects: int | None = None, wordings: int | None = None) -> list[Question]:
    """Questions in the order the bench asks them: rounds over the subjects, one wording per
    round (round 0 = first occurrences), with each subject's near misses in the middle rounds,
    so a near miss always finds the entry it must not get."""
    chosen = SUBJECTS if subjects is None else _balanced(subjects)
    rounds = len(EN_TEMPLATES) if wordings is None else wordings
    questions: list[Question] = []
    for round_ in range(rounds):
        for index, subject in enumerate(chosen):
            templates = templates_for(subject.lang)
            # Each subject starts at another template, so no wording is always the first one.
            template = templates[(index + round_) % len(templates)]
            kind = "first" if round_ == 0 else "repeat"
            questions.append(
                Question(_sentence(template, subject.phrase), subject.lang, subject.key, kind)
            )
            if round_ == rounds // 2:
                for n, (phrase, _fact) in enumerate(subject.near_misses):
                    questions.append(
                        Question(
                            _sentence(templates[(index + n) % len(templates)], phrase),
                            subject.lang,
                            f"near:{subject.key}:{n}",
                            "near_miss",
                        )
                    )
    return questions


def _balanced(count: int) -> tuple[Subject, ...]:
    english = [s for s in SUBJECTS if s.lang == "en"]
    french = [s for s in SUBJECTS if s.lang == "fr"]
    picked: list[Subject] = []
    while len(picked) < count and (english or french):
        for pool in (english, french):
            if pool and len(picked) < count:
                picked.append(pool.pop(0))
    return tuple(picked)
