"""Quote mode picks the sentences that answer the question, with the real embedder: the rule next
to the answer is left out, numbers and units of the question count, French elisions, accents and
plurals are matched, and a sentence sharing only generic words is not quoted."""

from __future__ import annotations

from assistant.chat.grounding.question import number_units, profile_question, topic_words
from assistant.chat.grounding.quotes import quotations, quote_answer
from assistant.chat.grounding.verify import Passage

LEAVE = Passage(
    1,
    "Paid leave. Employees receive 25 days of paid leave per year. Leave requests of more than "
    "5 days must be filed in the HR tool at least 4 weeks in advance. The HR director, Marie "
    "Dupont, signs exceptions.",
    "Leave policy",
    2,
)
CONGES = Passage(
    2,
    "Congés payés. Les salariés bénéficient de 25 jours de congés payés par an. Les demandes de "
    "congés de plus de 5 jours doivent être déposées dans l'outil RH au moins 4 semaines à "
    "l'avance.",
    "Politique de congés",
    1,
)
TRAVEL = Passage(
    3,
    "Taxi rides over 50 euros need a receipt. Meals over 30 euros need a receipt. Hotel nights "
    "are booked by the travel desk.",
    "Travel policy",
    7,
)
FRAIS = Passage(
    4,
    "L'indemnité de repas s'élève à 20 € par jour. L'indemnité d'hébergement s'élève à 90 € "
    "par nuit. Les indemnités sont versées avec le salaire.",
    "Guide des frais",
    3,
)


def _quoted(question: str, passages: list[Passage], lang: str, embedder) -> list[str]:
    answer = quote_answer(question, passages, lang=lang, embedder=embedder)
    by_number = {p.number: p for p in passages}
    for number, sentence, (start, end) in answer.sentences:
        assert by_number[number].text[start:end] == sentence  # cites the passage it came from
    assert [s for _, s in quotations(answer.text)] == [s for _, s, _ in answer.sentences]
    return [sentence for _, sentence, _ in answer.sentences]


def test_asking_about_leave_days_quotes_the_days_rule_not_the_filing_rule(embedder):
    quoted = _quoted(
        "How many days of paid leave do employees get?", [LEAVE, TRAVEL], "en", embedder
    )
    assert quoted == ["Employees receive 25 days of paid leave per year."]
    quoted = _quoted(
        "Combien de jours de congés payés ont les salariés ?", [CONGES, FRAIS], "fr", embedder
    )
    assert quoted == ["Les salariés bénéficient de 25 jours de congés payés par an."]


def test_the_filing_rule_is_quoted_when_it_is_what_is_asked(embedder):
    quoted = _quoted("How far in advance must leave requests be filed?", [LEAVE], "en", embedder)
    assert quoted[0].startswith("Leave requests of more than 5 days must be filed")
    assert "Employees receive 25 days of paid leave per year." not in quoted


def test_a_question_with_two_parts_gets_a_sentence_for_each(embedder):
    quoted = _quoted(
        "How many days of paid leave do employees get, and who signs exceptions?",
        [LEAVE],
        "en",
        embedder,
    )
    assert quoted == [
        "Employees receive 25 days of paid leave per year.",
        "The HR director, Marie Dupont, signs exceptions.",
    ]


def test_a_number_of_the_question_picks_its_sentence(embedder):
    assert _quoted("Do I need a receipt over 30 euros?", [TRAVEL], "en", embedder) == [
        "Meals over 30 euros need a receipt."
    ]
    assert _quoted("Do I need a receipt over 50 euros?", [TRAVEL], "en", embedder) == [
        "Taxi rides over 50 euros need a receipt."
    ]


def test_the_unit_asked_for_counts():
    assert profile_question("How many days of paid leave?", "en").unit == "day"
    assert profile_question("Combien de semaines à l'avance ?", "fr").unit == "week"
    assert profile_question("Combien d'heures par semaine ?", "fr").unit == "hour"
    assert profile_question("Combien de personnes ?", "fr").unit is None  # a count, not a unit
    assert number_units("Employees receive 25 days of paid leave.") == {"day"}
    assert number_units("at least two weeks in advance") == {"week"}
    assert number_units("L'indemnité s'élève à 12,50 € par jour.") == {"euro"}
    assert number_units("The rate is €145 per night.") == {"euro"}


def test_french_elision_accents_and_plurals(embedder):
    for question in (
        "Quel est le montant de l'indemnité d'hébergement ?",
        "Quel est le montant de l'indemnite d'hebergement ?",  # typed without accents
        "Quels sont les montants des indemnités d'hébergement ?",  # plural
    ):
        assert _quoted(question, [FRAIS, CONGES], "fr", embedder) == [
            "L'indemnité d'hébergement s'élève à 90 € par nuit."
        ], question
    # "l'" and "d'" open noun phrases; "qu'" does not
    assert topic_words("Qu'est-ce que l'indemnité d'hébergement ?") == ["indemnité", "hébergement"]


def test_a_sentence_sharing_only_generic_words_is_not_quoted(embedder):
    answer = quote_answer(
        "How many employees does the Lyon office have?", [LEAVE], lang="en", embedder=embedder
    )
    assert not answer.found and answer.sentences == []
    answer = quote_answer(
        "Combien de salariés compte l'agence de Lyon ?", [CONGES], lang="fr", embedder=embedder
    )
    assert not answer.found
