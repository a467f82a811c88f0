"""The answer service and the chat views with the deterministic fake model."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from assistant.chat.admission import generation_queue
from assistant.chat.models import Exchange
from assistant.chat.services import REFUSAL, answer_question

LONG_BACKED_SENTENCE = "Employees receive 27 days of paid annual leave per year [1]."


@pytest.mark.django_db
def test_refusal_does_not_call_the_model_and_is_recorded(chat_users, settings):
    from assistant.backends.llm_factory import get_llm

    fake = get_llm()
    # ivan reads English documents only: a French one would be held to the cross-lingual
    # threshold, which is near zero for MiniLM (README, "Thresholds calibrated per embedder").
    exchange = answer_question(
        user=chat_users["ivan"], question="What is the capital of Australia?"
    )
    assert exchange.refused is True
    assert exchange.status == Exchange.Status.REFUSED
    assert exchange.answer == REFUSAL["en"]
    assert fake.prompts == []  # type: ignore[attr-defined]
    settings.RAG_MIN_SCORE = 0.95  # MiniLM is English-first: French texts sit close together
    french = answer_question(
        user=chat_users["hana"], question="Quelle est la capitale de l'Australie ?"
    )
    assert french.answer == REFUSAL["fr"]
    assert french.citations.count() == 0


@pytest.mark.django_db
def test_invalid_citation_is_dropped_and_flagged(chat_users, settings):
    settings.RAG_FAKE_LLM_REPLY = "Leave is 27 days [1] and can be carried over [2], see also [7]."
    exchange = answer_question(
        user=chat_users["hana"], question="How many days of paid annual leave do employees get?"
    )
    given = exchange.citations.count()
    assert 1 <= given < 7
    assert exchange.invalid_citation is True
    assert "[7]" not in exchange.answer and "[1]" in exchange.answer
    assert exchange.citations.get(number=1).cited_in_answer is True


@pytest.mark.django_db
def test_valid_answer_records_citations_timings_hash_and_tokens(chat_users):
    exchange = answer_question(
        user=chat_users["hana"], question="How many days of paid annual leave do employees get?"
    )
    assert exchange.status == Exchange.Status.DONE
    assert exchange.invalid_citation is False
    top = exchange.citations.get(number=1)
    assert top.document_title == "Leave policy" and top.page == 1 and top.cited_in_answer
    assert len(exchange.prompt_sha256) == 64
    assert exchange.prompt_tokens > 0 and exchange.completion_tokens > 0
    assert exchange.retrieval_ms is not None and exchange.ttft_ms is not None
    assert exchange.total_ms is not None and exchange.total_ms >= exchange.ttft_ms


@pytest.mark.django_db
def test_follow_up_uses_the_conversation(chat_users):
    from assistant.backends.llm_factory import get_llm

    hana = chat_users["hana"]
    first = answer_question(
        user=hana, question="How many days of paid annual leave do employees get?"
    )
    answer_question(
        user=hana, question="Can I carry over unused leave days?", conversation=first.conversation
    )
    prompt = get_llm().prompts[-1]  # type: ignore[attr-defined]
    assert "How many days of paid annual leave" in prompt
    assert first.conversation.exchanges.count() == 2


@pytest.mark.django_db
def test_html_in_model_output_is_escaped_in_the_page(chat_users, client_for, settings):
    settings.RAG_FAKE_LLM_REPLY = (
        "Employees receive 27 days of paid annual leave per year <script>alert('x')</script> "
        "**bold** [1]. Look <img src=x onerror=alert(2)> here [1]."
    )
    client = client_for(chat_users["hana"])
    response = client.post(  # generated mode: auto would replace this unsupported answer
        "/chat/ask",
        {"question": "How many days of paid annual leave?", "mode": "generated"},
        HTTP_HX_REQUEST="true",
    )
    url = response.content.decode().split('sse-connect="', 1)[1].split('"', 1)[0]
    body = b"".join(client.get(url).streaming_content).decode()
    assert "<script>" not in body and "<img" not in body
    assert "&lt;script&gt;" in body  # tokens are streamed escaped
    assert "<strong>bold</strong>" in body  # the final answer is rendered markdown
    assert 'class="cite"' in body
    assert "onerror" not in body  # a sentence with a link target no source gives is withheld


@pytest.mark.django_db
def test_queue_full_gives_503_with_retry_after_and_keeps_nothing(chat_users, client_for):
    client = client_for(chat_users["hana"])
    keys = [f"busy-{i}" for i in range(generation_queue.capacity)]
    for key in keys:
        generation_queue.admit(key)
    try:
        response = client.post(  # auto mode would answer with quotations instead
            "/chat/ask",
            {"question": "How many days of leave?", "mode": "generated"},
            HTTP_HX_REQUEST="true",
        )
    finally:
        for key in keys:
            generation_queue.release(key)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "busy" in response.content.decode()
    assert Exchange.objects.count() == 0
    ok = client.post("/chat/ask", {"question": "How many days of leave?"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_rate_limit_gives_429(chat_users, client_for, settings):
    from django.core.cache import cache

    cache.clear()
    settings.RAG_RATE_LIMIT_PER_MINUTE = 2
    client = client_for(chat_users["hana"])
    codes = [
        client.post("/chat/ask", {"question": f"leave {i}?"}, HTTP_HX_REQUEST="true").status_code
        for i in range(3)
    ]
    assert codes[:2] == [200, 200]
    assert codes[2] == 429
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("question", "message"),
    [("   ", "Please type a question."), ("x" * 2001, "Your question is too long")],
)
def test_empty_or_long_question_gets_a_clear_message(chat_users, client_for, question, message):
    client = client_for(chat_users["hana"])
    response = client.post("/chat/ask", {"question": question}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert response["HX-Retarget"] == "#ask-error"


@pytest.mark.django_db
def test_stop_cancels_generation(chat_users, client_for, settings):
    from assistant.chat.services import create_exchange, request_cancel, stream_answer

    # Sentences reach the reader one by one once checked: a long answer of backed sentences.
    settings.RAG_FAKE_LLM_REPLY = " ".join([LONG_BACKED_SENTENCE] * 100)
    exchange = create_exchange(user=chat_users["hana"], question="How many days of leave?")
    tokens = 0
    for event in stream_answer(exchange):
        if event.kind == "token":
            tokens += 1
            if tokens == 5:
                request_cancel(exchange)
    exchange.refresh_from_db()
    assert exchange.status == Exchange.Status.CANCELLED
    assert tokens < 20


@pytest.mark.django_db
def test_client_disconnect_cancels_generation(chat_users, settings):
    from assistant.chat.services import create_exchange, stream_answer

    settings.RAG_FAKE_LLM_REPLY = " ".join([LONG_BACKED_SENTENCE] * 100)
    depth = generation_queue.depth()
    exchange = create_exchange(user=chat_users["hana"], question="How many days of leave?")
    assert generation_queue.depth() == depth + 1
    events = stream_answer(exchange)
    for event in events:
        if event.kind == "token":
            break
    events.close()  # type: ignore[attr-defined]  # what waitress does when the browser goes away
    exchange.refresh_from_db()
    assert exchange.status == Exchange.Status.CANCELLED
    assert generation_queue.depth() == depth


@pytest.mark.django_db
def test_feedback_is_recorded(chat_users, client_for):
    hana = chat_users["hana"]
    exchange = answer_question(user=hana, question="How many days of paid annual leave?")
    client = client_for(hana)
    response = client.post(
        f"/chat/exchanges/{exchange.public_id}/feedback", {"value": "-1", "reason": "too vague"}
    )
    assert response.status_code == 200
    exchange.refresh_from_db()
    assert (exchange.feedback, exchange.feedback_reason) == (-1, "too vague")
    other = client_for(chat_users["lea"])
    assert (
        other.post(f"/chat/exchanges/{exchange.public_id}/feedback", {"value": "1"}).status_code
        == 404
    )


@pytest.mark.django_db
def test_ask_command_json_contract(chat_users):
    out = io.StringIO()
    call_command(
        "ask", "How many days of paid annual leave do employees get?", "--user", "hana",
        "--json", stdout=out,
    )  # fmt: skip
    data = json.loads(out.getvalue())
    assert set(data) >= {"answer", "refused", "citations", "exchange_id", "timings"}
    assert data["refused"] is False
    top = data["citations"][0]
    assert set(top) >= {"document", "page", "chunk_id", "score", "snippet"}
    assert top["document"] == "Leave policy" and top["page"] == 1
    assert set(data["timings"]) == {"retrieval_ms", "ttft_ms", "total_ms"}
    Exchange.objects.get(public_id=data["exchange_id"])


@pytest.mark.django_db
def test_ask_command_collection_filter_and_unknown_user(chat_users):
    out = io.StringIO()
    call_command(
        "ask", "What is the marketing budget for 2026?", "--user", "hana",
        "--collection", "finance", "--json", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["refused"] is True  # hana may not read finance
    with pytest.raises(CommandError, match="unknown user"):
        call_command("ask", "hello?", "--user", "nobody", stdout=io.StringIO())


@pytest.mark.django_db
def test_mask_everywhere_redacts_the_prompt_and_the_answer(chat_users, settings):
    from assistant.backends.llm_factory import get_llm
    from ingestion.models import Collection

    Collection.objects.filter(pk=9101).update(redaction_policy="mask_everywhere")
    settings.RAG_FAKE_LLM_REPLY = "Write to jean.dupont@example.com about leave [1]."
    exchange = answer_question(
        user=chat_users["hana"],
        question="Can jean.dupont@example.com carry over unused leave days?",
    )
    prompt = get_llm().prompts[-1]  # type: ignore[attr-defined]
    assert "jean.dupont@example.com" not in prompt
    assert "<EMAIL" in prompt
    assert "jean.dupont@example.com" not in exchange.answer
    assert exchange.metrics.get("mask_everywhere") is True


@pytest.mark.django_db
def test_stop_before_the_stream_starts_frees_the_queue_place(chat_users, client_for):
    client = client_for(chat_users["hana"])
    depth = generation_queue.depth()
    html = client.post(
        "/chat/ask", {"question": "How many days of leave?"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert generation_queue.depth() == depth + 1
    cancel_url = html.split('hx-post="', 1)[1].split('"', 1)[0]
    assert cancel_url.endswith("/cancel")
    response = client.post(cancel_url)
    assert response.status_code == 200 and "sse-connect" not in response.content.decode()
    exchange = Exchange.objects.get(user=chat_users["hana"])
    assert exchange.status == Exchange.Status.CANCELLED
    assert generation_queue.depth() == depth
