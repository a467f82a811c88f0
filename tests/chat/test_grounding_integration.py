"""Grounding wired into the chat: answer paths, quote mode without the generation queue,
verification metrics, review, rendering of checked sentences, and `ask --json`."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from assistant.chat.admission import QueueFull, generation_queue
from assistant.chat.models import Exchange
from assistant.chat.services import answer_question, create_exchange, stream_answer

LEAVE_EN = "How many days of paid annual leave do employees get?"
LEAVE_FR = "Combien de jours de congés payés par an ?"
FABRICATED = "Employees receive 45 days of paid leave and a bonus of 9,999 euros [1]."
COPIED = "Employees receive 27 days of paid annual leave per year [1]."
QUOTED = re.compile(r"[«“]\s?(.+?)\s?[»”] \[(\d+)\]")


def _fake():
    from assistant.backends.llm_factory import get_llm

    return get_llm()


def _full_queue() -> list[str]:
    """Take every free place (earlier tests may hold some until they expire)."""
    keys: list[str] = []
    while True:
        try:
            generation_queue.admit(f"busy-{len(keys)}")
        except QueueFull:
            return keys
        keys.append(f"busy-{len(keys)}")


def _assert_verbatim_quotes(exchange: Exchange) -> list[int]:
    quotes = QUOTED.findall(exchange.answer)
    assert quotes, exchange.answer
    for sentence, number in quotes:
        assert sentence in exchange.citations.get(number=int(number)).snippet
    return [int(n) for _, n in quotes]


@pytest.mark.django_db
def test_auto_falls_back_to_quotes_when_the_model_output_is_unsupported(chat_users, settings):
    settings.RAG_FAKE_LLM_REPLY = FABRICATED
    exchange = answer_question(user=chat_users["hana"], question=LEAVE_EN)
    assert _fake().prompts  # it did generate first
    assert exchange.status == Exchange.Status.DONE
    assert exchange.answer_path == Exchange.AnswerPath.QUOTE
    assert "45" not in exchange.answer and "27 days" in exchange.answer
    assert "Quoted from the documents" in exchange.metrics["path_reason"]
    assert _assert_verbatim_quotes(exchange)[0] == 1
    assert exchange.citations.get(number=1).cited_in_answer


@pytest.mark.django_db
def test_auto_keeps_a_supported_generated_answer_and_stores_metrics(chat_users, settings):
    settings.RAG_FAKE_LLM_REPLY = COPIED
    exchange = answer_question(user=chat_users["hana"], question=LEAVE_EN)
    assert exchange.answer_path == Exchange.AnswerPath.GENERATED
    assert exchange.answer == COPIED
    metrics = exchange.metrics
    assert metrics["path"] == "generated" and metrics["answer_mode"] == "auto"
    assert metrics["supported_share"] == 1.0 and metrics["sentences"] == 1
    assert metrics["verification"]["sentences"][0]["status"] == "supported"
    assert metrics["prompt_budget"]["passages"] >= 1
    assert metrics["retrieval_top_score"] == round(exchange.max_score or 0.0, 4)


@pytest.mark.django_db
def test_quote_mode_quotes_verbatim_in_the_question_language_without_the_queue(
    chat_users, settings
):
    settings.RAG_FAKE_LLM_REPLY = FABRICATED
    keys = _full_queue()  # quote mode neither needs nor waits for a generation slot
    try:
        english = create_exchange(user=chat_users["hana"], question=LEAVE_EN, mode="quote")
        french = create_exchange(user=chat_users["hana"], question=LEAVE_FR, mode="quote")
        assert generation_queue.depth() == generation_queue.capacity
        for exchange in (english, french):
            events = [e.kind for e in stream_answer(exchange)]
            assert "queued" not in events and "token" not in events
    finally:
        for key in keys:
            generation_queue.release(key)
    assert _fake().prompts == []
    english.refresh_from_db()
    french.refresh_from_db()
    for exchange in (english, french):
        assert exchange.answer_path == Exchange.AnswerPath.QUOTE
        assert exchange.metrics["supported_share"] == 1.0
        _assert_verbatim_quotes(exchange)
    assert english.answer.startswith("According to the documents")
    assert french.answer.startswith("D'après les documents")
    assert "27 jours de congés payés" in french.answer


@pytest.mark.django_db
def test_full_queue_auto_answers_with_quotes_generated_gets_queue_full(chat_users, settings):
    settings.RAG_FAKE_LLM_REPLY = COPIED
    keys = _full_queue()
    try:
        with pytest.raises(QueueFull):
            create_exchange(user=chat_users["hana"], question=LEAVE_EN, mode="generated")
        exchange = answer_question(user=chat_users["hana"], question=LEAVE_EN)
    finally:
        for key in keys:
            generation_queue.release(key)
    assert exchange.answer_path == Exchange.AnswerPath.QUOTE
    assert "busy" in exchange.metrics["path_reason"]
    assert _fake().prompts == []
    _assert_verbatim_quotes(exchange)


@pytest.mark.django_db
def test_french_question_with_an_english_only_model_is_quoted(chat_users, settings):
    from assistant.backends.llm_factory import reset_llm
    from assistant.backends.model_registry import KNOWN_MODELS

    # The fake claims the languages the registry gives the default model (SmolLM2: English).
    settings.RAG_FAKE_LLM_LANGUAGES = KNOWN_MODELS["SmolLM2-135M-Instruct.Q4_1.gguf"].languages
    reset_llm()
    exchange = answer_question(user=chat_users["hana"], question=LEAVE_FR)
    assert exchange.answer_path == Exchange.AnswerPath.QUOTE
    assert "not reliable in French" in exchange.metrics["path_reason"]
    assert _fake().prompts == []
    assert exchange.citations.get(number=_assert_verbatim_quotes(exchange)[0]).document_title == (
        "Congés"
    )
    english = answer_question(user=chat_users["hana"], question=LEAVE_EN)
    assert _fake().prompts  # English still goes to the model
    assert english.metrics["planned_path"] == "generated"


@pytest.mark.django_db
def test_collection_default_mode_and_the_request_wins(chat_users, settings):
    from ingestion.models import Collection

    settings.RAG_FAKE_LLM_REPLY = COPIED
    Collection.objects.filter(slug="hr").update(answer_mode="quote")
    by_default = answer_question(user=chat_users["hana"], question=LEAVE_EN)
    assert by_default.metrics["answer_mode"] == "quote"
    assert by_default.answer_path == Exchange.AnswerPath.QUOTE
    asked = answer_question(user=chat_users["hana"], question=LEAVE_EN, mode="generated")
    assert asked.answer_path == Exchange.AnswerPath.GENERATED and asked.answer == COPIED


@pytest.mark.django_db
def test_unknown_mode_is_a_clear_422(chat_users, client_for):
    client = client_for(chat_users["hana"])
    response = client.post(
        "/chat/ask", {"question": LEAVE_EN, "mode": "creative"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "Unknown answer mode" in response.content.decode()
    assert Exchange.objects.count() == 0


@pytest.mark.django_db
def test_low_support_sends_the_exchange_to_review(chat_users, settings):
    from privacy.models import Review

    settings.RAG_REVIEW_SAMPLE_RATE = 0.0
    settings.RAG_FAKE_LLM_REPLY = FABRICATED
    weak = answer_question(user=chat_users["hana"], question=LEAVE_EN, mode="generated")
    assert weak.metrics["unsupported_numbers"]
    assert "low_support" in Review.objects.get(exchange=weak).reasons
    settings.RAG_FAKE_LLM_REPLY = COPIED
    good = answer_question(user=chat_users["hana"], question=LEAVE_EN, mode="generated")
    review = Review.objects.filter(exchange=good).first()
    assert review is None or "low_support" not in review.reasons


@pytest.mark.django_db
def test_page_marks_sentences_and_a_click_target_highlights_the_span(
    chat_users, client_for, settings
):
    settings.RAG_FAKE_LLM_REPLY = f"{COPIED} The office also pays <b>9,999</b> euros [1]."
    client = client_for(chat_users["hana"])
    response = client.post(
        "/chat/ask", {"question": LEAVE_EN, "mode": "generated"}, HTTP_HX_REQUEST="true"
    )
    url = response.content.decode().split('sse-connect="', 1)[1].split('"', 1)[0]
    body = b"".join(client.get(url).streaming_content).decode()
    assert "<b>" not in body
    unsupported = re.search(r'<span class="sentence unsupported"[^>]*title="([^"]*)"', body)
    assert unsupported and "9,999" in unsupported.group(1)
    supported = re.search(r'<span class="sentence supported"[^>]*data-source="([^"]+)"', body)
    assert supported
    assert "Generated by the model (generated mode)." in body
    panel = client.get(supported.group(1).replace("&amp;", "&")).content.decode()
    assert "<mark>Employees receive 27 days of paid annual leave per year.</mark>" in panel
    bogus = client.get(supported.group(1).split("?")[0] + "?start=5&end=99999")
    assert bogus.status_code == 200 and bogus.content.decode().count("<mark>") <= 1


@pytest.mark.django_db
def test_ask_json_adds_answer_path_and_verification(chat_users, settings):
    settings.RAG_FAKE_LLM_REPLY = FABRICATED
    out = io.StringIO()
    call_command("ask", LEAVE_EN, "--user", "hana", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) >= {"answer", "refused", "citations", "exchange_id", "timings"}
    assert data["answer_path"] == "quote"
    assert data["verification"]["supported_share"] == 1.0
    assert data["verification"]["unsupported"] == 0
    out = io.StringIO()
    call_command("ask", LEAVE_EN, "--user", "hana", "--mode", "generated", "--json", stdout=out)
    generated = json.loads(out.getvalue())
    assert generated["answer_path"] == "generated"
    assert generated["verification"]["unsupported_numbers"]
