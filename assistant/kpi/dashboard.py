"""Everything the dashboard page shows for one period, built from a single exchange query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from assistant.costs import TokenPrice, cloud_prices
from assistant.kpi import charts
from assistant.kpi.charts import Series
from assistant.kpi.costing import (
    CostReport,
    cloud_per_request,
    cost_report,
    self_hosted_per_request,
)
from assistant.kpi.drift import WEEK, DriftReport, publish, week_over_week
from assistant.kpi.period import Period
from assistant.kpi.selectors import DailyKpis, Kpis, daily_kpis, exchange_rows


@dataclass(frozen=True)
class Dashboard:
    period: Period
    daily: DailyKpis
    costs: CostReport
    drift: DriftReport
    charts: list[SafeString]


def build_dashboard(period: Period) -> Dashboard:
    """KPIs, costs, drift and charts of `period`. The drift compares the period's last 7 days
    with the 7 before; it is published (gauge, log) only when the period ends today, so looking
    at last spring does not reset today's alert."""
    drift_start = period.end - timedelta(days=2 * WEEK - 1)
    rows = exchange_rows(Period(min(period.start, drift_start), period.end))
    in_period = [row for row in rows if row.day >= period.start]
    daily = daily_kpis(period, in_period)
    drift = week_over_week(period.end, rows)
    if period.end == timezone.localdate():
        publish(drift)
    return Dashboard(
        period=period,
        daily=daily,
        costs=cost_report(daily.total, period),
        drift=drift,
        charts=dashboard_charts(daily),
    )


def dashboard_charts(daily: DailyKpis) -> list[SafeString]:
    days = [day for day, _ in daily.days]
    per_day = [kpis for _, kpis in daily.days]

    def series(name: str, get: Callable[[Kpis], float | None]) -> Series:
        return Series(name, [get(k) for k in per_day])

    currency = settings.RAG_COST_CURRENCY
    return [
        charts.bar_chart(
            gettext("Requests per day, by answer path"),
            days,
            [
                series(gettext("generated"), lambda k: k.paths.get("generated", 0)),
                series(gettext("quotations"), lambda k: k.paths.get("quote", 0)),
                series(gettext("refusal"), lambda k: k.paths.get("refusal", 0)),
                series(gettext("cache"), lambda k: k.paths.get("cache", 0)),
                series(gettext("cancelled or failed"), lambda k: k.requests - k.answered),
            ],
        ),
        charts.line_chart(
            gettext("Latency: total and time to first token"),
            days,
            [
                series(gettext("p50 total"), lambda k: k.p50_ms),
                series(gettext("p95 total"), lambda k: k.p95_ms),
                series(gettext("p50 first token"), lambda k: k.p50_ttft_ms),
                series(gettext("p95 first token"), lambda k: k.p95_ttft_ms),
            ],
            fmt=charts.milliseconds,
        ),
        charts.line_chart(
            gettext("Generation speed (tokens/s)"),
            days,
            [series(gettext("tokens/s"), lambda k: k.tokens_per_s)],
        ),
        charts.line_chart(
            gettext("Refusal and cache hit rates"),
            days,
            [
                series(gettext("refusal rate"), lambda k: k.refusal_rate),
                series(gettext("cache hit rate"), lambda k: k.cache_hit_rate),
            ],
            fmt=charts.percent,
        ),
        charts.line_chart(
            gettext("Answer quality"),
            days,
            [
                series(gettext("citation coverage"), lambda k: k.citation_coverage),
                series(gettext("groundedness"), lambda k: k.groundedness),
            ],
            fmt=charts.percent,
            top=1.0,
        ),
        charts.bar_chart(
            gettext("Feedback"),
            days,
            [
                series(gettext("helpful"), lambda k: k.feedback_up),
                series(gettext("not helpful"), lambda k: k.feedback_down),
            ],
        ),
        charts.bar_chart(
            gettext("Reviews, by outcome (day of the exchange)"),
            days,
            [
                series(label, _count_of("reviews", state))
                for state, label in (
                    ("approved", gettext("approved")),
                    ("rejected", gettext("rejected")),
                    ("queued", gettext("queued")),
                )
            ],
        ),
        charts.line_chart(
            gettext("Reviewed share"),
            days,
            [series(gettext("decided reviews / requests"), lambda k: k.reviewed_share)],
            fmt=charts.percent,
        ),
        charts.bar_chart(
            gettext("Route mix"),
            days,
            [series(route, _count_of("routes", route)) for route in daily.routes],
        ),
        charts.line_chart(
            gettext("Cost per request (%(currency)s)") % {"currency": currency},
            days,
            [
                series(gettext("self-hosted (full utilisation)"), self_hosted_per_request),
                *[series(price.name, _cloud_cost_of(price)) for price in cloud_prices()],
            ],
            fmt=charts.money,
        ),
    ]


def _count_of(counts: str, key: str) -> Callable[[Kpis], float | None]:
    """Getter of one entry of a Kpis count dict (routes, reviews)."""

    def get(kpis: Kpis) -> float | None:
        return float(getattr(kpis, counts).get(key, 0))

    return get


def _cloud_cost_of(price: TokenPrice) -> Callable[[Kpis], float | None]:
    def get(kpis: Kpis) -> float | None:
        return cloud_per_request(kpis, price)

    return get
