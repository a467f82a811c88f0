"""Through the chat service with real loopback model servers: what each route received, the
fallback on 500 / timeout / 429, the locality invariant, redaction before a non-local route, and
what the exchange stores (route, attempts, model, tokens, cost)."""

from __future__ import annotations

import json

import pytest

from assistant.chat.models import Exchange
from assistant.chat.services import answer_question, create_exchange, stream_answer
from tests.fixtures.routing_servers import REPLY, closed_port_url, openai_route

QUESTION = "How many days of paid annual leave do employees get?"
FAKE_REPLY = "Employees receive 27 days of paid annual leave per year [1]."


@pytest.fixture
def routing(settings):
    settings.RAG_FAKE_LLM_REPLY = FAKE_REPLY

    def configure(routes: dict, *chain: str, rules: list | None = None) -> None:
        settings.RAG_ROUTING = {
            "routes": {"fake": {"kind": "fake"}, **routes},
            "rules": [*(rules or []), {"routes": list(chain)}],
        }

    return configure


def _outcomes(exchange: Exchange) -> list[tuple[str, str]]:
    return [(a["route"], a["outcome"]) for a in exchange.route_attempts]


def test_external_route_answers_and_the_exchange_records_route_tokens_and_cost(
    chat_users, model_servers, routing, monkeypatch
):
    from privacy.models import AuditEvent

    monkeypatch.setenv("ROUTING_TEST_CLOUD_KEY", "sk-routing-test")
    cloud = model_servers()
    routing(
        {"cloud": openai_route(cloud, api_key_env="ROUTING_TEST_CLOUD_KEY",
                               price_per_million=[1.0, 2.0])},
        "cloud", "fake",
    )  # fmt: skip
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert exchange.status == Exchange.Status.DONE, exchange.error_message
    assert exchange.answer == REPLY
    assert exchange.route == "cloud" and exchange.model_id == "test-model"
    assert _outcomes(exchange) == [("cloud", "ok")]
    assert exchange.route_attempts[0]["local"] is False and exchange.route_attempts[0]["ms"] > 0
    # the server's own usage, and the token price of the route
    assert (exchange.prompt_tokens, exchange.completion_tokens) == (321, 12)
    assert exchange.estimated_cost == pytest.approx((321 * 1.0 + 12 * 2.0) / 1_000_000)
    assert exchange.metrics["token_counts"] == "server"
    sent = cloud.received[0]
    assert sent["stream_options"] == {"include_usage": True} and sent["model"] == "test-model"
    assert cloud.headers[0]["Authorization"] == "Bearer sk-routing-test"
    assert "27 days of paid annual leave" in cloud.prompts  # the passages went out (internal data)
    event = AuditEvent.objects.get(exchange_public_id=exchange.public_id)
    assert event.data["route"] == "cloud" and event.data["estimated_cost"] > 0
    assert event.data["route_attempts"][0]["outcome"] == "ok"


def test_local_route_costs_the_machine_time(chat_users, routing, settings):
    routing({}, "fake")
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert exchange.route == "fake" and _outcomes(exchange) == [("fake", "ok")]
    assert exchange.metrics["token_counts"] == "estimated" and exchange.completion_tokens > 0
    assert exchange.estimated_cost is not None and exchange.estimated_cost > 0
    settings.RAG_HARDWARE_COST_PER_HOUR = settings.RAG_POWER_WATTS = 0
    free = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert free.estimated_cost == 0


@pytest.mark.parametrize(
    ("server_options", "route_options", "outcome"),
    [
        ({"mode": "error"}, {}, "error"),
        ({"mode": "slow", "delay": 3.0}, {"timeout": 0.5}, "timeout"),
        ({"mode": "rate_limited", "retry_after": "30"}, {}, "rate_limited"),
    ],
)
def test_a_failing_route_hands_over_to_the_next_and_both_are_recorded(
    chat_users, model_servers, routing, server_options, route_options, outcome
):
    failing = model_servers(**server_options)
    backup = model_servers(reply="Backup says 27 days [1].")
    routing(
        {"cloud": openai_route(failing, **route_options),
         "big": openai_route(backup, local=True)},
        "cloud", "big", "fake",
    )  # fmt: skip
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert exchange.status == Exchange.Status.DONE, exchange.error_message
    assert _outcomes(exchange) == [("cloud", outcome), ("big", "ok")]
    assert exchange.route == "big" and exchange.answer == "Backup says 27 days [1]."
    assert len(failing.received) == 1 and len(backup.received) == 1
    assert exchange.route_attempts[0]["error"]
    assert exchange.citations.filter(number=1).count() == 1  # one set of citations, the answerer's


def test_retry_after_keeps_a_rate_limiting_route_out_without_a_request(
    chat_users, model_servers, routing
):
    limited = model_servers(mode="rate_limited", retry_after="30")
    routing({"cloud": openai_route(limited)}, "cloud", "fake")
    answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    second = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert _outcomes(second) == [("cloud", "breaker_open"), ("fake", "ok")]
    assert len(limited.received) == 1


def test_server_down_then_every_route_down(chat_users, routing):
    routing({"cloud": openai_route(closed_port_url())}, "cloud", "fake")
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert _outcomes(exchange) == [("cloud", "error"), ("fake", "ok")]
    assert "unreachable" in exchange.route_attempts[0]["error"]
    # Nothing else to try: auto mode answers with quotations, generated mode fails.
    routing({"cloud": openai_route(closed_port_url())}, "cloud")
    quoted = answer_question(user=chat_users["hana"], question=QUESTION, mode="auto")
    assert quoted.status == Exchange.Status.DONE and quoted.answer_path == "quote"
    assert quoted.route == "quote" and "no model is reachable" in quoted.metrics["path_reason"]
    assert "27" in quoted.answer
    failed = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert failed.status == Exchange.Status.ERROR


def test_a_client_error_is_not_a_reason_to_send_the_data_elsewhere(
    chat_users, model_servers, routing
):
    """401/400 are configuration errors, not outages: the exchange fails, no fallback, and the
    breaker does not count it."""
    from assistant.chat.routing import breaker

    refusing = model_servers(mode="unauthorized")
    routing({"cloud": openai_route(refusing)}, "cloud", "fake")
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert exchange.status == Exchange.Status.ERROR
    assert _outcomes(exchange) == [("cloud", "error")]
    assert "401" in exchange.route_attempts[0]["error"]
    assert breaker.state("cloud") == breaker.CLOSED


@pytest.mark.parametrize("level", ["confidential", "secret"])
def test_sensitive_collections_never_reach_a_non_local_route(
    chat_users, model_servers, routing, level
):
    from ingestion.models import Collection

    Collection.objects.filter(slug="hr").update(sensitivity=level)
    cloud = model_servers()
    routing({"cloud": openai_route(cloud)}, "fake",
            rules=[{"sensitivity": [level], "routes": ["cloud"]}])  # fmt: skip
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert cloud.received == []  # what matters: nothing reached the server
    assert _outcomes(exchange) == [("cloud", "skipped_sensitivity"), ("fake", "ok")]
    assert exchange.route == "fake" and exchange.metrics["routing"]["local_fallback"] is True
    assert exchange.metrics["routing"]["sensitivity"] == level


def test_without_a_local_model_sensitive_data_is_answered_with_quotations(
    chat_users, model_servers, settings
):
    from ingestion.models import Collection

    Collection.objects.filter(slug="hr").update(sensitivity="secret")
    cloud = model_servers()
    settings.RAG_ROUTING = {
        "routes": {"cloud": openai_route(cloud)},
        "rules": [{"routes": ["cloud"]}],
    }
    exchange = answer_question(user=chat_users["hana"], question=QUESTION, mode="generated")
    assert cloud.received == []
    assert exchange.status == Exchange.Status.DONE and exchange.answer_path == "quote"
    assert exchange.route == "quote" and "no model may receive" in exchange.metrics["path_reason"]
    assert _outcomes(exchange) == [("cloud", "skipped_sensitivity")]


def test_history_from_a_secret_collection_keeps_a_follow_up_local(
    chat_users, model_servers, routing
):
    """The earlier turns travel with the prompt: their collections count too."""
    from ingestion.models import Collection

    Collection.objects.filter(slug="legal").update(sensitivity="secret")
    cloud = model_servers()
    routing({"cloud": openai_route(cloud)}, "cloud", "fake")
    lea = chat_users["lea"]
    first = answer_question(user=lea, question="How many signatures does a large contract need?",
                            mode="generated")  # fmt: skip
    assert first.route == "fake" and cloud.received == []
    assert first.citations.filter(collection_id_at_answer=9103).exists()
    follow_up = answer_question(user=lea, question=QUESTION, conversation=first.conversation,
                                mode="generated")  # fmt: skip
    assert cloud.received == [], "the secret turn would have left with the history"
    assert follow_up.route == "fake"
    # a new conversation on internal data only may go out
    fresh = answer_question(user=lea, question=QUESTION, mode="generated")
    assert fresh.route == "cloud" and len(cloud.received) == 1


def test_a_non_local_route_gets_placeholders_a_local_one_the_original(
    chat_users, model_servers, routing, settings
):
    from tests.privacy.test_canary import EMAIL, NAME

    question = f"{QUESTION} I am {NAME}, write to {EMAIL}."
    cloud = model_servers()
    routing({"cloud": openai_route(cloud)}, "cloud")
    exchange = answer_question(user=chat_users["hana"], question=question, mode="generated")
    assert exchange.route == "cloud"
    assert (
        NAME not in cloud.prompts and EMAIL not in cloud.prompts and "Dupont" not in cloud.prompts
    )
    assert "<PERSON_1>" in cloud.prompts and "<EMAIL" in cloud.prompts
    assert exchange.metrics["mask_everywhere"] is True
    big = model_servers()
    routing({"big": openai_route(big, local=True)}, "big")
    exchange = answer_question(user=chat_users["hana"], question=question, mode="generated")
    assert exchange.route == "big" and NAME in big.prompts and EMAIL in big.prompts
    assert "mask_everywhere" not in exchange.metrics


def test_fallback_from_a_masked_route_to_a_local_one_unmasks(chat_users, model_servers, routing):
    """Each attempt builds its own prompt: the fallback route is not stuck with the masks."""
    from tests.privacy.test_canary import NAME

    question = f"{QUESTION} I am {NAME}."
    down = model_servers(mode="error")
    big = model_servers()
    routing({"cloud": openai_route(down), "big": openai_route(big, local=True)}, "cloud", "big")
    exchange = answer_question(user=chat_users["hana"], question=question, mode="generated")
    assert _outcomes(exchange) == [("cloud", "error"), ("big", "ok")]
    assert NAME not in down.prompts and NAME in big.prompts
    assert "mask_everywhere" not in exchange.metrics


def test_streaming_events_come_from_the_route_that_answers(chat_users, model_servers, routing):
    down = model_servers(mode="error")
    backed = "Employees receive 27 days of paid annual leave per year [1]."
    backup = model_servers(reply=f"{backed} {backed}")
    routing({"cloud": openai_route(down), "big": openai_route(backup, local=True)}, "cloud", "big")
    exchange = create_exchange(user=chat_users["hana"], question=QUESTION, mode="generated")
    tokens = [e.text for e in stream_answer(exchange) if e.kind == "token"]
    assert tokens == [backed, f" {backed}"]  # sentence by sentence, each once checked
    body = json.loads(json.dumps(backup.received[0]))
    assert body["messages"][-1]["role"] == "user"
