"""The circuit breaker: opens after N consecutive failures (the server then receives nothing),
lets one trial through after the cooldown, closes on its success and reopens on its failure."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from assistant.chat.routing import breaker
from assistant.chat.routing.config import RouteConfig
from assistant.chat.services import answer_question
from tests.fixtures.routing_servers import openai_route

QUESTION = "How many days of paid annual leave do employees get?"


@pytest.fixture
def breaker_settings(settings, monkeypatch):
    settings.RAG_BREAKER_FAILURES = 2
    # Long enough that a loaded machine never lets it expire by itself: the tests move the
    # breaker's clock past it instead of sleeping.
    settings.RAG_BREAKER_COOLDOWN_S = 60
    _clock.offset = 0.0
    monkeypatch.setattr(breaker, "time", SimpleNamespace(time=lambda: time.time() + _clock.offset))
    return settings


_clock = SimpleNamespace(offset=0.0)  # how far the breaker's clock is ahead of the real one


def _ask(user):
    exchange = answer_question(user=user, question=QUESTION, mode="generated")
    return [(a["route"], a["outcome"]) for a in exchange.route_attempts]


def _wait_past_cooldown(settings) -> None:
    """Move the breaker's clock past the cooldown (it reads time.time() from its module)."""
    _clock.offset += settings.RAG_BREAKER_COOLDOWN_S + 1


def test_breaker_opens_after_consecutive_failures_and_closes_on_a_good_trial(
    chat_users, model_servers, breaker_settings
):
    server = model_servers(mode="error")
    breaker_settings.RAG_ROUTING = {
        "routes": {"cloud": openai_route(server), "fake": {"kind": "fake"}},
        "rules": [{"routes": ["cloud", "fake"]}],
    }
    hana = chat_users["hana"]
    assert _ask(hana) == [("cloud", "error"), ("fake", "ok")]
    assert breaker.state("cloud") == breaker.CLOSED  # one failure is not enough
    assert _ask(hana) == [("cloud", "error"), ("fake", "ok")]
    assert breaker.state("cloud") == breaker.OPEN
    assert REGISTRY.get_sample_value("rag_route_breaker_open", {"route": "cloud"}) == 1.0
    for _ in range(3):  # open: skipped without a request
        assert _ask(hana) == [("cloud", "breaker_open"), ("fake", "ok")]
    assert len(server.received) == 2
    server.mode = "ok"
    _wait_past_cooldown(breaker_settings)
    assert breaker.state("cloud") == breaker.HALF_OPEN
    assert _ask(hana) == [("cloud", "ok")]  # the trial answered: closed
    assert breaker.state("cloud") == breaker.CLOSED
    assert REGISTRY.get_sample_value("rag_route_breaker_open", {"route": "cloud"}) == 0.0
    assert _ask(hana) == [("cloud", "ok")]
    assert len(server.received) == 4
    assert (
        REGISTRY.get_sample_value(
            "rag_route_requests_total", {"route": "cloud", "outcome": "breaker_open"}
        )
        or 0
    ) >= 3


def test_a_failed_trial_reopens_at_once(chat_users, model_servers, breaker_settings):
    server = model_servers(mode="error")
    breaker_settings.RAG_ROUTING = {
        "routes": {"cloud": openai_route(server), "fake": {"kind": "fake"}},
        "rules": [{"routes": ["cloud", "fake"]}],
    }
    hana = chat_users["hana"]
    _ask(hana), _ask(hana)
    assert breaker.state("cloud") == breaker.OPEN
    _wait_past_cooldown(breaker_settings)
    assert _ask(hana) == [("cloud", "error"), ("fake", "ok")]  # the trial
    assert breaker.state("cloud") == breaker.OPEN  # one failure in half-open is enough
    assert _ask(hana) == [("cloud", "breaker_open"), ("fake", "ok")]
    assert len(server.received) == 3


def test_half_open_lets_exactly_one_trial_through(breaker_settings):
    route = RouteConfig(name="solo", kind="openai", local=False, url="http://x", model="m")
    breaker.record_failure("solo")
    breaker.record_failure("solo")
    assert not breaker.allow(route)
    _wait_past_cooldown(breaker_settings)
    assert breaker.allow(route) is True
    assert breaker.allow(route) is False  # a second caller waits for the trial's outcome
    breaker.record_success("solo")
    assert breaker.allow(route) and breaker.allow(route)


def test_success_resets_the_consecutive_count(breaker_settings):
    breaker.record_failure("solo")
    breaker.record_success("solo")
    breaker.record_failure("solo")
    assert breaker.state("solo") == breaker.CLOSED
    breaker.record_failure("solo")
    assert breaker.state("solo") == breaker.OPEN
