"""The cost of one answer through a route, and the self-hosted machine's cost per hour."""

from __future__ import annotations

import pytest

from assistant.chat.routing.config import RouteConfig
from assistant.kpi.costing import cloud_prices, route_cost, self_hosted_cost


@pytest.fixture
def prices(settings):
    settings.RAG_HARDWARE_COST_PER_HOUR = 0.30
    settings.RAG_POWER_WATTS = 100
    settings.RAG_POWER_PRICE_PER_KWH = 0.60  # 0.06 per hour: 0.36 per hour in all
    settings.RAG_CLOUD_PRICES = {"big-api": [2.0, 8.0], "small-api": [0.1, 0.4]}


def cost(route: RouteConfig, busy_seconds: float = 10.0) -> float | None:
    return route_cost(route, prompt_tokens=1000, completion_tokens=100, busy_seconds=busy_seconds)


def test_self_hosted_cost_is_the_share_of_the_hour(prices):
    assert self_hosted_cost(3600) == pytest.approx(0.36)
    assert self_hosted_cost(10) == pytest.approx(0.001)
    assert self_hosted_cost(-5) == 0
    assert [p.name for p in cloud_prices()] == ["small-api", "big-api"]  # cheapest first


def test_a_route_price_bills_tokens_before_anything_else(prices):
    priced = RouteConfig("cloud", "openai", local=False, model="big-api",
                         price_per_million=(1.0, 2.0), cost_per_hour=99.0)  # fmt: skip
    assert cost(priced) == pytest.approx((1000 * 1.0 + 100 * 2.0) / 1e6)


def test_an_external_route_falls_back_to_the_list_price_of_its_model(prices):
    listed = RouteConfig("cloud", "openai", local=False, model="big-api")
    assert cost(listed) == pytest.approx((1000 * 2.0 + 100 * 8.0) / 1e6)
    unknown = RouteConfig("cloud", "openai", local=False, model="no-such-model")
    assert cost(unknown) is None  # no figure rather than a wrong one
    assert cost(RouteConfig("cloud", "openai", local=False, model="x", cost_per_hour=3.6)) == (
        pytest.approx(0.01)
    )


def test_a_local_route_costs_busy_time(prices):
    # A local server is never billed at a list price, even when its model has one.
    local = RouteConfig("big", "openai", local=True, model="big-api")
    assert cost(local) == pytest.approx(self_hosted_cost(10.0))
    own_machine = RouteConfig("big", "openai", local=True, cost_per_hour=7.2)
    assert cost(own_machine) == pytest.approx(0.02)
    assert cost(RouteConfig("local", "llamacpp", local=True), busy_seconds=0) == 0
