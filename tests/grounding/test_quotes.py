import pytest

from assistant.chat.grounding.quotes import LEAD_IN, quote_answer
from assistant.chat.grounding.verify import Passage, verify_answer

EN_LEAVE = Passage(
    1,
    "Annual leave. Employees receive 25 days of paid leave per year. Requests must be approved "
    "by the line manager at least two weeks in advance. The HR director, Marie Dupont, signs "
    "exceptions.",
    "Leave policy",
    2,
)
FR_MEAL = Passage(
    2,
    "Le forfait repas est de 12,50 € par jour travaillé depuis le 1er mars 2024. Il est versé "
    "avec le salaire mensuel. Les salariés en télétravail le perçoivent aussi.",
    "Guide des avantages",
    4,
)
EN_MEAL = Passage(
    3,
    "The meal allowance is 12.50 euros per working day. It is paid with the monthly salary.",
    "Benefits",
    1,
)
FR_LEAVE = Passage(
    4,
    "Les salariés bénéficient de 25 jours de congés payés par an. La directrice des ressources "
    "humaines, Marie Dupont, signe les dérogations.",
    "Règlement intérieur",
    3,
)
PASSAGES = [EN_LEAVE, FR_MEAL, EN_MEAL, FR_LEAVE]


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("How many days of paid leave do employees get?", "en", "25 days"),
        ("Who signs exceptions to the leave policy?", "en", "Marie Dupont"),
        ("Quel est le montant du forfait repas ?", "fr", "12,50 €"),
        ("Combien de jours de congés payés ont les salariés ?", "fr", "25 jours"),
    ],
)
def test_quotes_are_verbatim_cited_and_in_the_question_language(question, lang, expected, embedder):
    answer = quote_answer(question, PASSAGES, lang=lang, embedder=embedder)
    assert answer.found
    assert answer.text.splitlines()[0] == LEAD_IN[lang]
    by_number = {p.number: p for p in PASSAGES}
    for number, sentence, (start, end) in answer.sentences:
        assert by_number[number].text[start:end] == sentence
        assert f"{sentence}" in answer.text
    first_number, first_sentence, _ = answer.sentences[0]
    assert expected in first_sentence
    assert f"[{first_number}]" in answer.text.splitlines()[1]
    verification = verify_answer(answer.text, PASSAGES, lang=lang, embedder=embedder)
    assert verification.supported_share == 1.0
    assert verification.citation_coverage == 1.0


def test_quotes_in_another_language_say_so(embedder):
    # all-MiniLM-L6-v2 is English-only: a French question over English passages is quoted when
    # it shares their words (corporate French borrows them), and refused when it does not.
    answer = quote_answer(
        "Quel est le montant de la meal allowance ?",
        [EN_MEAL, EN_LEAVE],
        lang="fr",
        embedder=embedder,
    )
    assert answer.found
    assert answer.text.splitlines()[0] == "D'après les documents (citations en anglais) :"
    assert "12.50 euros" in answer.sentences[0][1]


def test_no_near_duplicates_and_at_most_max_sentences(embedder):
    twin = Passage(5, EN_LEAVE.text, "Leave policy (copy)", 2)
    answer = quote_answer(
        "How many days of paid leave do employees get?",
        [EN_LEAVE, twin],
        lang="en",
        max_sentences=2,
        embedder=embedder,
    )
    quoted = [sentence for _, sentence, _ in answer.sentences]
    assert len(quoted) == len(set(quoted)) <= 2


def test_unanswerable_question_finds_nothing(embedder):
    for question, lang in [
        ("How much is the parking allowance?", "en"),
        ("Quand aura lieu la course solidaire ?", "fr"),
    ]:
        answer = quote_answer(question, PASSAGES, lang=lang, embedder=embedder)
        assert not answer.found
        assert answer.sentences == []
        assert answer.text and "[" not in answer.text


def test_passages_without_usable_sentences(embedder):
    answer = quote_answer(
        "Anything?", [Passage(1, "Title", "t", None)], lang="de", embedder=embedder
    )
    assert not answer.found
    assert answer.lang == "en"
