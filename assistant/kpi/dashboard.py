"""Everything the dashboard page shows for one period, built from a single exchange query.

The charts are the table CHARTS, one row per chart, drawn in order by dashboard_charts(): add a
chart by adding a row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from operator import attrgetter
from typing import Literal

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from assistant.kpi import charts
from assistant.kpi.charts import Formatter, Series
from assistant.kpi.costing import (
    CostReport,
    cloud_per_request,
    cloud_prices,
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


Getter = Callable[[Kpis], float | None]
# (legend label, value of one day's Kpis); labels are translated when the chart is drawn.
SeriesSpec = tuple[str | Promise, Getter]


def _count_of(counts: str, key: str) -> Getter:
    """Getter of one entry of a Kpis count dict (paths, routes, reviews)."""

    def get(kpis: Kpis) -> float | None:
        return float(getattr(kpis, counts).get(key, 0))

    return get


def _route_series(daily: DailyKpis) -> list[SeriesSpec]:
    return [(route, _count_of("routes", route)) for route in daily.routes]


def _cost_series(daily: DailyKpis) -> list[SeriesSpec]:
    return [
        (_("self-hosted (full utilisation)"), self_hosted_per_request),
        *[(price.name, partial(cloud_per_request, price=price)) for price in cloud_prices()],
    ]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str | Promise
    kind: Literal["line", "bar"]  # bars are stacked counts
    # Fixed series, or a function of the period for series named by data (routes, prices).
    series: Sequence[SeriesSpec] | Callable[[DailyKpis], list[SeriesSpec]]
    fmt: Formatter = charts.plain
    top: float | None = None  # line charts: a fixed axis top instead of one fitted to the data
    in_currency: bool = False  # the title holds %(currency)s: settings.RAG_COST_CURRENCY


CHARTS: tuple[Chart, ...] = (
    Chart("answer_paths", _("Requests per day, by answer path"), "bar", (
        (_("generated"), _count_of("paths", "generated")),
        (_("quotations"), _count_of("paths", "quote")),
        (_("refusal"), _count_of("paths", "refusal")),
        (_("cache"), _count_of("paths", "cache")),
        (_("cancelled or failed"), attrgetter("unanswered")),
    )),
    Chart("latency", _("Latency: total and time to first token"), "line", (
        (_("p50 total"), attrgetter("p50_ms")),
        (_("p95 total"), attrgetter("p95_ms")),
        (_("p50 first token"), attrgetter("p50_ttft_ms")),
        (_("p95 first token"), attrgetter("p95_ttft_ms")),
    ), fmt=charts.milliseconds),
    Chart("speed", _("Generation speed (tokens/s)"), "line", (
        (_("tokens/s"), attrgetter("tokens_per_s")),
    )),
    Chart("rates", _("Refusal and cache hit rates"), "line", (
        (_("refusal rate"), attrgetter("refusal_rate")),
        (_("cache hit rate"), attrgetter("cache_hit_rate")),
    ), fmt=charts.percent),
    Chart("quality", _("Answer quality"), "line", (
        (_("citation coverage"), attrgetter("citation_coverage")),
        (_("groundedness"), attrgetter("groundedness")),
    ), fmt=charts.percent, top=1.0),
    Chart("feedback", _("Feedback"), "bar", (
        (_("helpful"), attrgetter("feedback_up")),
        (_("not helpful"), attrgetter("feedback_down")),
    )),
    Chart("reviews", _("Reviews, by outcome (day of the exchange)"), "bar", (
        (_("approved"), _count_of("reviews", "approved")),
        (_("rejected"), _count_of("reviews", "rejected")),
        (_("queued"), _count_of("reviews", "queued")),
    )),
    Chart("reviewed_share", _("Reviewed share"), "line", (
        (_("decided reviews / requests"), attrgetter("reviewed_share")),
    ), fmt=charts.percent),
    Chart("routes", _("Route mix"), "bar", _route_series),
    Chart("cost", _("Cost per request (%(currency)s)"), "line", _cost_series,
          fmt=charts.money, in_currency=True),
)  # fmt: skip


def dashboard_charts(daily: DailyKpis) -> list[SafeString]:
    """Every chart of CHARTS, in order, over the days of `daily`."""
    days = [day for day, _kpis in daily.days]
    drawn = []
    for chart in CHARTS:
        specs = chart.series(daily) if callable(chart.series) else chart.series
        series = [Series(str(label), [get(k) for _day, k in daily.days]) for label, get in specs]
        title = str(chart.title)
        if chart.in_currency:
            title %= {"currency": settings.RAG_COST_CURRENCY}
        if chart.kind == "bar":
            drawn.append(charts.bar_chart(title, days, series, fmt=chart.fmt))
        else:
            drawn.append(charts.line_chart(title, days, series, fmt=chart.fmt, top=chart.top))
    return drawn
