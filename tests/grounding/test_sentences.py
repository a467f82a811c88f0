import pytest

from assistant.chat.grounding.sentences import split_sentences


def texts(text: str, lang: str = "en") -> list[str]:
    spans = split_sentences(text, lang)
    for span in spans:
        assert text[span.start : span.end] == span.text
    return [span.text for span in spans]


def test_numbers_do_not_end_sentences():
    assert texts("The rate is 3.5 % this year. It was 1.200,00 € in 2023.") == [
        "The rate is 3.5 % this year.",
        "It was 1.200,00 € in 2023.",
    ]
    assert texts("Le montant est de 1 234,56 €. Il est payé en mars.", "fr") == [
        "Le montant est de 1 234,56 €.",
        "Il est payé en mars.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M. Dupont signe. Mme Martin valide.", ["M. Dupont signe.", "Mme Martin valide."]),
        ("Dr. Smith agrees. Then we go.", ["Dr. Smith agrees.", "Then we go."]),
        ("Use e.g. the form. Done.", ["Use e.g. the form.", "Done."]),
        ("Voir art. 5 du règlement. Fin.", ["Voir art. 5 du règlement.", "Fin."]),
        ("Signed by J.-P. Martin today. Next.", ["Signed by J.-P. Martin today.", "Next."]),
        ("Pens, paper, etc. and more. End.", ["Pens, paper, etc. and more.", "End."]),
    ],
)
def test_abbreviations_and_initials(text, expected):
    assert texts(text, "fr") == expected


def test_citations_stay_with_their_sentence():
    assert texts("First claim [1]. Second claim. [2] Third [1, 3].") == [
        "First claim [1].",
        "Second claim. [2]",
        "Third [1, 3].",
    ]
    assert texts("« Les salariés ont 25 jours. » [1]\n« Autre phrase. » [2]", "fr") == [
        "« Les salariés ont 25 jours. » [1]",
        "« Autre phrase. » [2]",
    ]


def test_lines_lists_and_soft_wraps():
    text = "D'après les documents :\n- premier point\n- second point\n\nTexte coupé\nen deux. Fin."
    assert texts(text, "fr") == [
        "D'après les documents :",
        "- premier point",
        "- second point",
        "Texte coupé\nen deux.",
        "Fin.",
    ]


def test_questions_exclamations_and_empty_text():
    assert texts("Really? Yes! Done...") == ["Really?", "Yes!", "Done..."]
    assert texts("") == []
    assert texts("   \n ") == []
    assert texts("no terminator at all") == ["no terminator at all"]
