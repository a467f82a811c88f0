"""The review queue ranks exchanges by risk and says why: only a person's identifiers queue an
exchange for `pii` (a city does not), each reason weighs on the risk, the page lists the riskiest
first with its reasons in words."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from assistant.chat.audit import audit_exchange
from privacy.models import Review
from privacy.review import RISK_WEIGHTS, identifier_counts, risk_of

pytestmark = pytest.mark.django_db

LEAVE = "How many days of paid annual leave do employees get?"
COPIED = "Employees receive 27 days of paid annual leave per year [1]."


@pytest.fixture(autouse=True)
def _no_random_sample(settings):
    settings.RAG_REVIEW_SAMPLE_RATE = 0


def test_a_city_does_not_queue_a_review_but_a_persons_email_does(chat_users, settings, redactor):
    """Through the real chat service (fake model), the real redactor and the real audit."""
    from assistant.chat.services import answer_question

    settings.RAG_FAKE_LLM_REPLY = COPIED
    settings.RAG_CACHE_ENABLED = False  # two similar questions: each must be answered
    hana = chat_users["hana"]
    city = answer_question(
        user=hana, question="How many days of paid annual leave do employees get in Paris?"
    )
    email = answer_question(
        user=hana,
        question=f"I'm Marie Dupont (marie.dupont@example.fr). {LEAVE}",
    )
    assert city.answer.startswith(COPIED) and email.answer.startswith(COPIED)
    assert not Review.objects.filter(exchange=city).exists()
    review = Review.objects.get(exchange=email)
    assert "EMAIL" in review.audit_event.pii_counts
    assert "marie.dupont" not in review.audit_event.question
    assert review.reasons == ["pii"] and review.pii_found
    assert review.risk == RISK_WEIGHTS["pii"]


def test_an_identifier_in_the_answer_weighs_more_than_in_the_question(make_exchange, redactor):
    asked = audit_exchange(make_exchange(question="Can I write to marie.dupont@example.fr?"))
    answered = audit_exchange(
        make_exchange(answer="Write to marie.dupont@example.fr for your leave [1].")
    )
    in_question = Review.objects.get(audit_event=asked)
    in_answer = Review.objects.get(audit_event=answered)
    assert in_question.reasons == ["pii"]
    assert in_answer.reasons == ["pii_answer"]
    assert in_answer.risk > in_question.risk
    # A city in the answer is context: no review.
    city = audit_exchange(make_exchange(answer="The hotel ceiling in Paris is 150 euros [1]."))
    assert not Review.objects.filter(audit_event=city).exists()


def test_placeholders_count_identifiers_not_context_entities():
    text = "<PERSON_1> (<EMAIL_1>) flies to <LOCATION_1> on <DATE_OF_BIRTH_1>; <EMAIL_2>"
    assert identifier_counts(text) == {"DATE_OF_BIRTH": 1, "EMAIL": 2, "PERSON": 1}
    assert identifier_counts("<LOCATION_1> and <ORGANIZATION_2>") == {}


def test_unsupported_numbers_and_low_support_are_separate_reasons(chat_users, settings):
    from assistant.chat.services import answer_question

    settings.RAG_FAKE_LLM_REPLY = (
        "Employees receive 45 days of paid leave and a bonus of 9,999 euros [1]."
    )
    weak = answer_question(user=chat_users["hana"], question=LEAVE, mode="generated")
    review = Review.objects.get(exchange=weak)
    assert {"unsupported_numbers", "low_support"} <= set(review.reasons)
    assert review.risk == risk_of(review.reasons) >= RISK_WEIGHTS["unsupported_numbers"]


def _queue_rows(page: str, questions: list[str]) -> list[str]:
    return sorted(questions, key=page.index)


def test_the_queue_shows_the_riskiest_first(make_exchange, carl, client_for):
    made: dict[str, dict[str, Any]] = {
        "Low score one?": {"max_score": 0.1},
        "Refused one?": {"refused": True},
        "Invalid citation one?": {"invalid_citation": True},
        "Negative one?": {"feedback": -1},
        "Invalid and negative one?": {"invalid_citation": True, "feedback": -1},
    }
    for question, fields in made.items():
        audit_exchange(make_exchange(question=question, **fields))
    risks = dict(Review.objects.values_list("audit_event__question", "risk"))
    assert risks["Invalid and negative one?"] == (
        RISK_WEIGHTS["invalid_citation"] + RISK_WEIGHTS["negative_feedback"]
    )
    client = client_for(carl)
    page = client.get(reverse("review_queue")).content.decode()
    assert _queue_rows(page, list(made)) == [
        "Invalid and negative one?",
        "Invalid citation one?",
        "Negative one?",
        "Refused one?",
        "Low score one?",
    ]
    newest = client.get(reverse("review_queue"), {"sort": "newest"}).content.decode()
    assert _queue_rows(newest, list(made)) == list(reversed(made))
    only = client.get(reverse("review_queue"), {"reason": "negative_feedback"}).content.decode()
    assert "Negative one?" in only and "Invalid and negative one?" in only
    assert "Refused one?" not in only and "Invalid citation one?" not in only


def test_a_new_reason_raises_the_risk(make_exchange):
    from privacy.review import review_enqueue

    exchange = make_exchange(max_score=0.1)
    review = Review.objects.get(audit_event=audit_exchange(exchange))
    assert review.risk == RISK_WEIGHTS["low_score"]
    exchange.invalid_citation = True
    exchange.save()
    review_enqueue(exchange, event=review.audit_event, sample=False)
    review.refresh_from_db()
    assert review.reasons == ["invalid_citation", "low_score"]  # riskiest first
    assert review.risk == RISK_WEIGHTS["invalid_citation"] + RISK_WEIGHTS["low_score"]


def test_reasons_are_shown_in_words_and_translated(make_exchange, carl, client_for):
    event = audit_exchange(make_exchange(invalid_citation=True, feedback=-1))
    review = Review.objects.get(audit_event=event)
    client = client_for(carl)
    page = client.get(reverse("review_queue")).content.decode()
    words = '<ul class="reasons"><li>Invalid citation</li><li>Negative feedback</li></ul>'
    assert words in page
    assert f'<td class="risk">{review.risk}</td>' in page
    detail = client.get(reverse("review_detail", args=[review.pk])).content.decode()
    assert "Why it is in the queue" in detail and words in detail
    french = client.get(reverse("review_queue"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<ul class="reasons"><li>Citation invalide</li><li>Avis négatif</li></ul>' in french
