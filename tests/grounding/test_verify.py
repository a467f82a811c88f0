from assistant.chat.grounding.facts import extract_facts, number_keys, passage_keys
from assistant.chat.grounding.verify import Passage, verify_answer

LEAVE = Passage(
    1,
    "Employees receive 25 days of paid leave per year. Requests must be approved by the line "
    "manager at least two weeks in advance. The HR director, Marie Dupont, signs exceptions.",
    "Leave policy",
    2,
)
MEAL = Passage(
    2,
    "The meal allowance is 12.50 euros per working day. It is paid with the monthly salary.",
    "Benefits",
    1,
)
GUIDE = Passage(
    3,
    "Les salariés bénéficient de 25 jours de congés payés par an. Le forfait repas est de "
    "1 200,50 € par an depuis le 12/03/2024.",
    "Guide",
    1,
)
PASSAGES = [LEAVE, MEAL, GUIDE]


def check(answer, embedder, lang="en"):
    verification = verify_answer(answer, PASSAGES, lang=lang, embedder=embedder)
    assert len(verification.sentences) == 1
    return verification.sentences[0], verification


def test_copied_sentence_is_supported_with_its_span(embedder):
    sentence, verification = check(
        "Employees receive 25 days of paid leave per year [1].", embedder
    )
    assert sentence.status == "supported"
    assert sentence.cited == [1]
    assert sentence.best_passage == 1
    start, end = sentence.best_span
    assert LEAVE.text[start:end] == "Employees receive 25 days of paid leave per year."
    assert verification.supported_share == 1.0
    assert verification.citation_coverage == 1.0
    assert verification.groundedness > 0.9


def test_fabricated_number_is_unsupported(embedder):
    sentence, verification = check(
        "Employees receive 30 days of paid leave per year [1].", embedder
    )
    assert sentence.status == "unsupported"
    assert sentence.unsupported_terms == ["30"]
    assert verification.unsupported_numbers == ["30"]
    assert verification.supported_share == 0.0


def test_absent_proper_noun_is_unsupported(embedder):
    sentence, _ = check("Exceptions are signed by the HR director, John Smith [1].", embedder)
    assert sentence.status == "unsupported"
    assert sentence.unsupported_terms == ["John", "Smith"]


def test_paraphrase_is_supported_or_weak(embedder):
    sentence, _ = check("Staff are entitled to 25 days of paid holiday each year [1].", embedder)
    assert sentence.status in ("supported", "weak")
    assert sentence.best_passage == 1


def test_french_amounts_and_dates_are_normalised(embedder):
    sentence, _ = check(
        "Le forfait repas s'élève à 1200,50 € par an depuis le 12 mars 2024 [3].", embedder, "fr"
    )
    assert sentence.status == "supported"
    wrong, _ = check("Le forfait repas est de 1 200,50 € depuis le 13 mars 2024 [3].", embedder)
    assert wrong.status == "unsupported"
    assert wrong.unsupported_terms == ["13 mars 2024"]


def test_sentence_backed_only_by_an_uncited_passage_is_weak(embedder):
    cited_wrong, _ = check("The meal allowance is 12.50 euros per working day [1].", embedder)
    assert cited_wrong.status == "weak"
    assert cited_wrong.best_passage == 2
    uncited, verification = check("The meal allowance is 12.50 euros per working day.", embedder)
    assert uncited.status == "weak"
    assert uncited.cited == []
    assert verification.citation_coverage == 0.0


def test_unrelated_claim_is_unsupported_and_invalid_citations_are_reported(embedder):
    verification = verify_answer(
        "D'après les documents :\nLe télétravail est autorisé le vendredi [3]. Voir aussi [7].",
        PASSAGES,
        lang="fr",
        embedder=embedder,
    )
    # The lead-in makes no claim and is not checked.
    assert [s.text for s in verification.sentences] == [
        "Le télétravail est autorisé le vendredi [3].",
        "Voir aussi [7].",
    ]
    assert [s.status for s in verification.sentences] == ["unsupported", "unsupported"]
    assert verification.sentences[1].cited == []
    assert verification.invalid_citations == [7]


def test_empty_answer_and_no_passages(embedder):
    empty = verify_answer("", PASSAGES, lang="en", embedder=embedder)
    assert empty.sentences == [] and empty.supported_share == 0.0
    alone = verify_answer("Employees get 25 days [1].", [], lang="en", embedder=embedder)
    assert alone.sentences[0].status == "unsupported"
    assert alone.invalid_citations == [1]


def test_number_and_date_normalisation():
    assert number_keys("1 200 €".rstrip(" €")) == {"n:1200"}
    assert number_keys("1.200,00") == {"n:1200"}
    assert number_keys("1,200") == {"n:1200", "n:1.2"}
    assert number_keys("3,5") == {"n:3.5"}
    keys = passage_keys("Signed on 12 March 2024 for three years.")
    for written in ("12/03/2024", "March 12, 2024", "mars 2024", "2024-03-12", "3 years"):
        facts = extract_facts(f"It was {written}.")
        assert facts and all(f.keys & keys for f in facts), written


def test_missing_citations_are_added_only_to_backed_sentences(embedder):
    from assistant.chat.grounding.verify import add_missing_citations

    answer = "The meal allowance is 12.50 euros per working day. Employees get 40 days off."
    verification = verify_answer(answer, PASSAGES, lang="en", embedder=embedder)
    assert [s.status for s in verification.sentences] == ["weak", "unsupported"]
    repaired = add_missing_citations(answer, verification)
    assert repaired == (
        "The meal allowance is 12.50 euros per working day [2]. Employees get 40 days off."
    )
    again = verify_answer(repaired, PASSAGES, lang="en", embedder=embedder)
    assert [s.status for s in again.sentences] == ["supported", "unsupported"]
