"""Under mask_everywhere the model never sees the canary values: the prompt sent to a remote model
server (captured at the HTTP boundary, the only thing patched) and the answer shown are redacted.
Uses the chat test corpus (real embedder, real embedded store)."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from assistant.chat.services import answer_question
from privacy.models import AuditEvent
from tests.privacy.test_canary import CANARIES, EMAIL, IBAN, NAME, SPACED_NIR

QUESTION = (
    f"How many days of paid annual leave do employees get? I am {NAME}, social security "
    f"number {SPACED_NIR}, IBAN {IBAN}, e-mail {EMAIL}."
)


@pytest.fixture
def model_server(monkeypatch, settings):
    """An OpenAI-compatible server answering in-process; records every request body."""
    from assistant.backends.llm_factory import reset_llm

    settings.RAG_LLM_BACKEND = "openai"
    settings.RAG_LLM_URL = "http://llm.invalid/v1"
    settings.RAG_LLM_FALLBACK_LOCAL = False
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    reset_llm()
    bodies: list[dict] = []
    reply = f"Employees receive 27 days [1], {NAME}."

    def handle(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        chunk = json.dumps({"choices": [{"delta": {"content": reply}}]})
        return httpx.Response(200, text=f"data: {chunk}\n\ndata: [DONE]\n\n")

    real_client = httpx.Client
    monkeypatch.setattr(
        httpx,
        "Client",
        lambda **kw: real_client(transport=httpx.MockTransport(handle), **kw),
    )
    yield bodies
    reset_llm()


def test_remote_model_gets_a_redacted_prompt(chat_users, model_server, redactor):
    exchange = answer_question(user=chat_users["hana"], question=QUESTION)
    assert model_server, "the model server was not called (no passage retrieved?)"
    prompt = json.dumps(model_server, ensure_ascii=False)
    for value in CANARIES:
        assert value not in prompt
    assert "<NIR_1>" in prompt and "<PERSON_1>" in prompt
    # The answer shown is redacted too, with the placeholder the prompt used for the name.
    assert NAME not in exchange.answer
    placeholder = re.search(r"<PERSON_\d+>", exchange.answer)
    assert placeholder and placeholder.group() in prompt
    # ... while the user's own history keeps the original question.
    assert NAME in exchange.question
    event = AuditEvent.objects.get(exchange_public_id=exchange.public_id)
    row = json.dumps(
        AuditEvent.objects.filter(pk=event.pk).values().get(), default=str, ensure_ascii=False
    )
    for value in CANARIES:
        assert value not in row
