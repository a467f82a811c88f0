"""Model-as-judge: strict parsing of the judge's reply, scores stored with the exchange through
the fake and the real model, sampling on commit through Celery."""

from __future__ import annotations

import pytest

from assistant.chat.judge import judge_exchange, parse_judgement, sampled
from assistant.chat.models import Citation, Conversation, Exchange
from assistant.chat.tasks import enqueue_judge


@pytest.fixture
def exchange(alice) -> Exchange:
    conversation = Conversation.objects.create(user=alice, title="Hotel")
    exchange = Exchange.objects.create(
        conversation=conversation, user=alice, status=Exchange.Status.DONE,
        question="What is the maximum hotel rate per night in Paris?",
        answer="The maximum hotel rate in Paris is 145 euros per night [1].",
        metrics={"citation_coverage": 1.0},
    )  # fmt: skip
    Citation.objects.create(
        exchange=exchange, number=1, collection_id_at_answer=1, document_id_at_answer=1,
        document_title="Travel policy", chunk_id_at_answer=1, point_id="p1", page=2, score=0.8,
        snippet="The maximum hotel rate is 145 euros per night in Paris.", cited_in_answer=True,
    )  # fmt: skip
    return exchange


@pytest.fixture
def fake_llm(settings):
    from assistant.backends.llm_factory import reset_llm

    settings.RAG_LLM_BACKEND = "fake"
    reset_llm()
    yield settings
    reset_llm()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FAITHFULNESS: 4\nRELEVANCE: 5", (4, 5)),
        ("**Faithfulness**: 2\n**Relevance** = 3", (2, 3)),
        ("faithfulness:5 relevance:1 because it is wrong", (5, 1)),
        ("FAITHFULNESS: 4", (4, None)),
        ("FAITHFULNESS: 7\nRELEVANCE: 0", (None, None)),
        ("FAITHFULNESS: <1-5>\nRELEVANCE: <1-5>", (None, None)),
        ("FAITHFULNESS: 2\nRELEVANCE: 4\nFAITHFULNESS: 5", (None, 4)),
        ("The answer is good, I would give it 5 out of 5.", (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_judgement_keeps_only_unambiguous_scores(text, expected):
    scores = parse_judgement(text)
    assert (scores["faithfulness"], scores["relevance"]) == expected


def test_judge_stores_scores_without_losing_other_metrics(exchange, fake_llm):
    fake_llm.RAG_FAKE_LLM_REPLY = "FAITHFULNESS: 4\nRELEVANCE: 5"
    result = judge_exchange(exchange.pk)
    exchange.refresh_from_db()
    judge = exchange.metrics["judge"]
    assert result == judge
    assert (judge["faithfulness"], judge["relevance"], judge["status"]) == (4, 5, "ok")
    assert judge["model"] == "fake" and judge["raw"].startswith("FAITHFULNESS: 4")
    assert exchange.metrics["citation_coverage"] == 1.0


def test_junk_reply_is_unparseable_not_a_score(exchange, fake_llm):
    fake_llm.RAG_FAKE_LLM_REPLY = "I think this answer is quite good overall."
    judge_exchange(exchange.pk)
    exchange.refresh_from_db()
    judge = exchange.metrics["judge"]
    assert judge["status"] == "unparseable"
    assert judge["faithfulness"] is None and judge["relevance"] is None


def test_the_judge_sees_question_answer_and_cited_passage(exchange, fake_llm):
    from assistant.backends.llm_factory import get_llm

    fake_llm.RAG_FAKE_LLM_REPLY = "FAITHFULNESS: 1\nRELEVANCE: 1"
    judge_exchange(exchange.pk)  # a low score re-evaluates the review queue without failing
    prompt = get_llm().prompts[-1]  # type: ignore[attr-defined]
    assert "145 euros per night in Paris." in prompt
    assert exchange.question in prompt and exchange.answer in prompt


@pytest.mark.parametrize("status", [Exchange.Status.REFUSED, Exchange.Status.ERROR])
def test_refused_or_failed_exchanges_are_not_judged(exchange, fake_llm, status):
    Exchange.objects.filter(pk=exchange.pk).update(status=status, refused=status == "refused")
    assert judge_exchange(exchange.pk) is None
    exchange.refresh_from_db()
    assert "judge" not in exchange.metrics


def test_sampling_enqueues_on_commit_and_the_task_stores_the_judgement(
    exchange, fake_llm, django_capture_on_commit_callbacks
):
    from assistant.celery import app

    fake_llm.RAG_FAKE_LLM_REPLY = "FAITHFULNESS: 3\nRELEVANCE: 4"
    fake_llm.RAG_JUDGE_SAMPLE_RATE = 0.0
    assert sampled(exchange) is False
    fake_llm.RAG_JUDGE_SAMPLE_RATE = 1.0
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert sampled(exchange) is True
            enqueue_judge(exchange)
    finally:
        app.conf.task_always_eager = eager
    assert len(callbacks) == 1
    exchange.refresh_from_db()
    assert exchange.metrics["judge"]["faithfulness"] == 3


@pytest.mark.e2e
def test_real_model_judge_completes_and_records_a_status(exchange, settings):
    from assistant.backends.llm_factory import reset_llm

    settings.RAG_LLM_BACKEND = "llamacpp"
    reset_llm()
    try:
        judge_exchange(exchange.pk)
    finally:
        reset_llm()
    exchange.refresh_from_db()
    judge = exchange.metrics["judge"]
    assert judge["status"] in ("ok", "unparseable")
    assert judge["model"] and judge["raw"] is not None
    if judge["status"] == "ok":
        assert 1 <= judge["faithfulness"] <= 5 and 1 <= judge["relevance"] <= 5


def test_low_faithfulness_sends_the_exchange_to_review(exchange, fake_llm):
    from assistant.chat.audit import audit_exchange
    from privacy.models import Review

    fake_llm.RAG_REVIEW_SAMPLE_RATE = 0.0  # no random draw: only real reasons queue it
    audit_exchange(exchange)
    before = Review.objects.filter(exchange=exchange).first()
    assert before is None or Review.Reason.LOW_SUPPORT not in before.reasons
    fake_llm.RAG_FAKE_LLM_REPLY = "FAITHFULNESS: 1\nRELEVANCE: 2"
    judge_exchange(exchange.pk)
    exchange.refresh_from_db()
    assert exchange.metrics["judge"]["faithfulness"] == 1
    review = Review.objects.get(exchange=exchange)
    assert review.state == Review.State.QUEUED
    assert Review.Reason.LOW_SUPPORT in review.reasons
