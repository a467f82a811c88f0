import pytest

from assistant.chat.grounding.paths import AUTO_MIN_SUPPORTED, choose_path
from assistant.chat.grounding.verify import Passage, verify_answer

PASSAGES = [
    Passage(
        1, "Employees receive 25 days of paid leave per year. Requests go to the line manager."
    ),
    Passage(2, "The meal allowance is 12.50 euros per working day."),
]


def auto(lang, verification, *, languages=("en",), queue_full=False):
    return choose_path(
        "auto",
        model_languages=languages,
        lang=lang,
        verification=verification,
        queue_full=queue_full,
    )


def test_auto_falls_back_to_quotes_when_the_fake_answer_is_unsupported(embedder):
    fabricated = (
        "Employees receive 40 days of paid leave per year [1]. The meal allowance is 30 euros [2]. "
        "The CEO, John Smith, approves every request [1]."
    )
    verification = verify_answer(fabricated, PASSAGES, lang="en", embedder=embedder)
    assert verification.supported_share < AUTO_MIN_SUPPORTED
    path, reason = auto("en", verification)
    assert path == "quote"
    assert "0 of 3" in reason


def test_auto_keeps_a_supported_answer(embedder):
    faithful = "Employees receive 25 days of paid leave per year [1]. The meal allowance is 12.50 euros per working day [2]."
    verification = verify_answer(faithful, PASSAGES, lang="en", embedder=embedder)
    path, reason = auto("en", verification)
    assert path == "generated"
    assert "2 of 2" in reason


def test_auto_quotes_when_the_model_is_weak_in_the_language_or_busy():
    path, reason = auto("fr", None)
    assert path == "quote" and "French" in reason
    path, reason = auto("fr", None, languages=("en", "fr"), queue_full=True)
    assert path == "quote" and "busy" in reason
    assert auto("en", None)[0] == "generated"


def test_explicit_modes_are_obeyed_and_unknown_modes_rejected():
    def explicit(mode):
        return choose_path(mode, model_languages=[], lang="fr", verification=None, queue_full=True)

    assert explicit("quote")[0] == "quote"
    assert explicit("generated")[0] == "generated"
    with pytest.raises(ValueError, match="unknown answer mode"):
        explicit("creative")
