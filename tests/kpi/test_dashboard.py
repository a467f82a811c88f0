"""The dashboard draws the CHARTS table: one chart per row, in order, series named by data."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.kpi.dashboard import CHARTS, dashboard_charts
from assistant.kpi.period import Period
from assistant.kpi.selectors import daily_kpis
from tests.fixtures.kpi_data import generated

DAY = date(2025, 3, 10)


@pytest.mark.django_db
def test_one_chart_per_row_with_routes_and_prices_from_data(make_exchange, settings):
    settings.RAG_CLOUD_PRICES = {"acme-large": [3.0, 15.0]}
    settings.RAG_COST_CURRENCY = "EUR"
    make_exchange(DAY, route="edge-route", **generated())
    drawn = dashboard_charts(daily_kpis(Period(DAY, DAY)))
    assert len({chart.key for chart in CHARTS}) == len(CHARTS) == len(drawn) == 10
    for chart, svg in zip(CHARTS, drawn, strict=True):
        assert svg.count("<svg") == 1
        if not chart.in_currency:
            assert f"<figcaption>{chart.title}</figcaption>" in svg
    routes, cost = drawn[-2], drawn[-1]
    assert "edge-route" in routes
    assert "<figcaption>Cost per request (EUR)</figcaption>" in cost and "acme-large" in cost
