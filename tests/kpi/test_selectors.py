"""KPIs of hand-made exchanges: counts, percentiles, rates, quality, reviews, routes, costs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from assistant.chat.models import Exchange
from assistant.kpi.costing import cost_report
from assistant.kpi.period import Period
from assistant.kpi.selectors import daily_kpis, percentile
from tests.fixtures.kpi_data import generated

DAY = date(2025, 3, 10)


def test_percentile_interpolates_between_ranks():
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([100, 400, 1000, 2000, 6000], 50) == 1000
    assert percentile([6000, 100, 2000, 400, 1000], 95) == pytest.approx(5200)
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)


@pytest.fixture
def one_busy_day(make_exchange):
    S = Exchange.Status
    P = Exchange.AnswerPath
    make_exchange(DAY, feedback=1, route="local", review="approved", **generated())
    make_exchange(
        DAY, feedback=-1, route="local", review="rejected", estimated_cost=0.002,
        **generated(ttft_ms=3000.0, total_ms=6000.0, prompt_tokens=300, completion_tokens=150,
                    metrics={"citation_coverage": 1.0, "groundedness": 0.6}),
    )  # fmt: skip
    make_exchange(
        DAY, answer_path=P.QUOTE, ttft_ms=500.0, total_ms=1000.0, review="queued",
        metrics={"citation_coverage": 1.0, "groundedness": 1.0},
    )  # fmt: skip
    make_exchange(
        DAY, status=S.REFUSED, refused=True, answer_path=P.REFUSAL, total_ms=400.0,
        metrics={"citation_coverage": None, "groundedness": None, "refused": True},
    )  # fmt: skip
    make_exchange(DAY, answer_path=P.CACHE, ttft_ms=50.0, total_ms=100.0)
    make_exchange(DAY, status=S.ERROR, **generated(ttft_ms=8000.0, total_ms=9000.0))
    make_exchange(DAY, status=S.CANCELLED)
    # outside the period: must not count
    make_exchange(DAY + timedelta(days=1), **generated())
    make_exchange(DAY - timedelta(days=3), **generated())


@pytest.mark.django_db
def test_period_totals(one_busy_day):
    total = daily_kpis(Period(DAY - timedelta(days=1), DAY)).total
    assert (total.requests, total.answered, total.errors, total.cancelled) == (7, 5, 1, 1)
    assert total.paths == {"generated": 2, "quote": 1, "refusal": 1, "cache": 1}
    assert total.p50_ms == pytest.approx(1000)
    assert total.p95_ms == pytest.approx(5200)  # the failed exchange's 9 s is left out
    assert total.p50_ttft_ms == pytest.approx(750)
    assert total.p95_ttft_ms == pytest.approx(2700)
    assert total.tokens_per_s == pytest.approx(200 / 4)  # (50 + 150) tokens in (1 + 3) s
    assert total.refusal_rate == pytest.approx(0.2)
    assert total.cache_hit_rate == pytest.approx(0.2)
    assert total.citation_coverage == pytest.approx((0.5 + 1.0 + 1.0) / 3)
    assert total.groundedness == pytest.approx((0.8 + 0.6 + 1.0) / 3)
    assert (total.feedback_up, total.feedback_down) == (1, 1)
    assert total.negative_feedback_share == pytest.approx(0.5)
    assert total.reviews == {"approved": 1, "rejected": 1, "queued": 1}
    assert total.reviewed_share == pytest.approx(2 / 7)
    assert total.routes == {"unrecorded": 5, "local": 2}
    assert (total.estimated_cost, total.estimated_cost_count) == (pytest.approx(0.002), 1)


@pytest.mark.django_db
def test_every_day_of_the_period_has_a_row(one_busy_day):
    daily = daily_kpis(Period(DAY - timedelta(days=1), DAY))
    assert [day for day, _ in daily.days] == [DAY - timedelta(days=1), DAY]
    empty = daily.days[0][1]
    assert (empty.requests, empty.p95_ms, empty.refusal_rate) == (0, None, None)
    assert daily.days[1][1].requests == 7


@pytest.mark.django_db
def test_days_follow_the_server_time_zone(make_exchange, settings):
    settings.TIME_ZONE = "Europe/Paris"
    exchange = make_exchange(DAY, **generated())
    late = datetime(2025, 3, 10, 23, 30, tzinfo=UTC)
    Exchange.objects.filter(pk=exchange.pk).update(created_at=late)  # 00:30 on the 11th in Paris
    daily = daily_kpis(Period(DAY, DAY + timedelta(days=1)))
    assert [k.requests for _, k in daily.days] == [0, 1]


@pytest.mark.django_db
def test_costs_against_cloud_prices_and_cache_savings(one_busy_day, settings):
    settings.RAG_HARDWARE_COST_PER_HOUR = 0.36  # 0.0001 per second
    settings.RAG_POWER_WATTS = 0
    settings.RAG_CLOUD_PRICES = {"api": [1.0, 2.0]}
    settings.RAG_COST_CURRENCY = "EUR"
    period = Period(DAY, DAY)
    total = daily_kpis(period).total
    now = timezone.make_aware(datetime.combine(DAY + timedelta(days=5), datetime.min.time()))
    costs = cost_report(total, period, now=now)
    assert costs.currency == "EUR"
    assert costs.cost_per_hour == pytest.approx(0.36)
    # answered exchanges were busy 2 + 6 + 1 + 0.4 + 0.1 = 9.5 s, 1.9 s each
    assert costs.mean_busy_seconds == pytest.approx(1.9)
    assert costs.requests_per_hour == pytest.approx(3600 / 1.9)
    assert costs.self_hosted_per_request == pytest.approx(1.9 * 0.0001)
    assert costs.self_hosted_per_generated_answer == pytest.approx(4 * 0.0001)
    assert costs.self_hosted_period_total == pytest.approx(9.5 * 0.0001)
    assert costs.utilisation == pytest.approx(9.5 / 86400)
    assert costs.actual_per_request == pytest.approx(0.36 * 24 / 7)
    (api,) = costs.clouds
    # 400 prompt tokens at 1/M + 200 completion tokens at 2/M, over 5 answered requests
    assert api.period_total == pytest.approx(800 / 1e6)
    assert api.per_request == pytest.approx(800 / 1e6 / 5)
    assert api.per_generated_answer == pytest.approx(800 / 1e6 / 2)
    cache = costs.cache
    assert cache.hits == 1
    assert cache.cost_saved == pytest.approx(4 * 0.0001)  # one mean generated answer
    assert cache.cloud_cost_saved == [("api", pytest.approx(400 / 1e6))]
    assert cache.seconds_saved == pytest.approx(4.0 - 0.1)
    assert (cache.prompt_tokens_saved, cache.completion_tokens_saved) == (200, 100)
    assert costs.estimated_cost_total == pytest.approx(0.002)


@pytest.mark.django_db
def test_no_exchange_gives_no_cost_and_no_division_by_zero(db):
    period = Period(DAY, DAY)
    costs = cost_report(daily_kpis(period).total, period)
    assert costs.self_hosted_per_request is None
    assert costs.requests_per_hour is None
    assert costs.actual_per_request is None
    assert all(c.per_request is None and c.period_total == 0 for c in costs.clouds)
    assert costs.cache.cost_saved is None and costs.cache.hits == 0


def test_time_spent_on_a_non_local_route_is_not_self_hosted_busy_time(make_exchange, settings):
    settings.RAG_ROUTING = {
        "routes": {
            "local": {"kind": "llamacpp"},
            "cloud": {"kind": "openai", "url": "http://127.0.0.1:9/v1", "model": "gpt-4o-mini"},
        },
        "rules": [{"routes": ["cloud", "local"]}],
    }
    make_exchange(DAY, route="local", **generated(total_ms=2000.0))
    make_exchange(DAY, route="cloud", **generated(total_ms=8000.0))
    total = daily_kpis(Period(DAY, DAY)).total
    assert total.timed == 2
    assert total.busy_seconds == pytest.approx(2.0)  # the cloud's 8 s are not our machine's
    assert total.mean_busy_seconds == pytest.approx(1.0)
