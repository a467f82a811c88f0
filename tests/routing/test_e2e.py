"""End to end: the real SmolLM2 model as the local route behind an external route that is down."""

from __future__ import annotations

import pytest

from assistant.chat.models import Exchange
from tests.fixtures.routing_servers import closed_port_url, openai_route

pytestmark = pytest.mark.e2e


def test_real_local_model_answers_when_the_external_route_is_down(
    chat_users, model_servers, settings
):
    from assistant.backends.llm_factory import reset_llm
    from assistant.chat.services import answer_question

    settings.RAG_LLM_BACKEND = "llamacpp"
    reset_llm()
    limited = model_servers(mode="rate_limited", retry_after="60")
    settings.RAG_ROUTING = {
        "routes": {
            "cloud": openai_route(closed_port_url(), price_per_million=[0.15, 0.6]),
            "eu": openai_route(limited),
            "local": {"kind": "llamacpp"},
        },
        "rules": [{"routes": ["cloud", "eu", "local"]}],
    }
    exchange = answer_question(
        user=chat_users["hana"],
        question="How many days of paid annual leave do employees get?",
        mode="generated",
    )
    assert exchange.status == Exchange.Status.DONE, exchange.error_message
    outcomes = [(a["route"], a["outcome"]) for a in exchange.route_attempts]
    assert outcomes == [("cloud", "error"), ("eu", "rate_limited"), ("local", "ok")]
    assert exchange.route == "local" and exchange.model_id == "SmolLM2-135M-Instruct"
    assert exchange.model_sha256 and exchange.answer.strip()
    assert exchange.prompt_tokens > 50 and exchange.completion_tokens > 0
    assert exchange.metrics["token_counts"] == "estimated"
    assert exchange.estimated_cost is not None and exchange.estimated_cost > 0
    assert exchange.citations.exists()
    reset_llm()
