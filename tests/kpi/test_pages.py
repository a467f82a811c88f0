"""The dashboard page and the CSV export: access, content, validation, CSP-safe markup."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assistant.chat.models import Exchange
from tests.fixtures.kpi_data import generated

DAY = date(2025, 3, 10)
QUERY = {"start": "2025-03-08", "end": "2025-03-10"}


@pytest.fixture
def some_exchanges(make_exchange):
    make_exchange(DAY, feedback=1, route="local", review="approved", **generated())
    make_exchange(DAY - timedelta(days=2), route="cloud-mini", **generated(total_ms=4000.0))
    make_exchange(DAY, answer_path=Exchange.AnswerPath.CACHE, ttft_ms=20.0, total_ms=40.0)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["kpi_dashboard", "kpi_export"])
def test_access(name, alice, ada, carl, client_for, client):
    url = reverse(name)
    assert client_for(alice).get(url).status_code == 403
    assert client_for(ada).get(url).status_code == 200
    assert client_for(carl).get(url).status_code == 200
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_nav_link_only_for_admin_and_compliance(alice, ada, carl, client_for):
    link = f'href="{reverse("kpi_dashboard")}"'
    assert link in client_for(ada).get(reverse("collections")).content.decode()
    assert link in client_for(carl).get(reverse("review_queue")).content.decode()
    assert link not in client_for(alice).get(reverse("chat")).content.decode()


@pytest.mark.django_db
def test_page_shows_kpis_costs_and_svg_charts_with_no_inline_style(
    some_exchanges, ada, client_for, settings
):
    settings.RAG_CLOUD_PRICES = {"acme-large": [3.0, 15.0]}
    response = client_for(ada).get(reverse("kpi_dashboard"), QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") == 10
    assert html.count("<circle") >= 10 and html.count("<rect") >= 3
    assert "acme-large" in html and "Self-hosted, full utilisation" in html
    assert "1 answer served from the cache" in html
    assert "cloud-mini" in html and "local" in html
    assert "2025-03-08" in html and "2025-03-10" in html
    # CSP: no style attribute, no inline script or style, nothing loaded from elsewhere
    assert not re.search(r"\sstyle\s*=", html)
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    external = re.findall(r'(?:src|href)="(?!/|#|\?)([^"]+)"', html)
    assert external == []
    assert "http://www.w3.org/2000/svg" in html  # the SVG namespace is an identifier, not a fetch


@pytest.mark.django_db
def test_page_escapes_route_names(make_exchange, ada, client_for):
    make_exchange(DAY, route='<script>alert("x")</script>', **generated())
    html = client_for(ada).get(reverse("kpi_dashboard"), QUERY).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


@pytest.mark.django_db
def test_empty_period_renders(ada, client_for):
    response = client_for(ada).get(reverse("kpi_dashboard"))
    assert response.status_code == 200
    assert "no data in this period" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2025-02-30"}, "Enter a date as YYYY-MM-DD."),
        ({"start": "2025-03-10", "end": "2025-03-01"}, "must not be after the end date"),
        ({"start": "2020-01-01", "end": "2025-01-01"}, "at most 366 days"),
    ],
)
def test_bad_period_gives_a_clear_message(ada, client_for, query, message):
    client = client_for(ada)
    page = client.get(reverse("kpi_dashboard"), query)
    assert page.status_code == 400 and message in page.content.decode()
    assert "<svg" not in page.content.decode()
    export = client.get(reverse("kpi_export"), query)
    assert export.status_code == 400 and message in export.content.decode()


@pytest.mark.django_db
def test_csv_export_one_row_per_day_numbers_only(some_exchanges, ada, client_for, settings):
    settings.RAG_CLOUD_PRICES = {"=HYPERLINK(evil)": [1.0, 2.0]}
    response = client_for(ada).get(reverse("kpi_export"), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="kpi-2025-03-08-2025-03-10.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, days = rows[0], rows[1:]
    assert header[:3] == ["date", "requests", "answered"]
    for column in ("p95_latency_ms", "p50_ttft_ms", "tokens_per_s", "refusal_rate",
                   "cache_hit_rate", "citation_coverage", "groundedness", "feedback_up",
                   "reviewed_share", "reviews_approved", "self_hosted_cost_per_request",
                   "route_local", "route_cloud-mini"):  # fmt: skip
        assert column in header, column
    assert "cloud_cost_per_request__HYPERLINK_evil_" in header
    assert [row[0] for row in days] == ["2025-03-08", "2025-03-09", "2025-03-10"]
    by_day = {row[0]: dict(zip(header, row, strict=True)) for row in days}
    assert by_day["2025-03-10"]["requests"] == "2"
    assert by_day["2025-03-10"]["cache_hit_rate"] == "0.5"
    assert by_day["2025-03-09"]["requests"] == "0"
    assert by_day["2025-03-09"]["p95_latency_ms"] == ""
    assert by_day["2025-03-08"]["p95_latency_ms"] == "4000"
    assert by_day["2025-03-08"]["route_cloud-mini"] == "1"
    for row in days:
        for cell in row[1:]:
            assert cell == "" or re.fullmatch(r"\d+(\.\d+)?", cell), cell
    for cell in header:
        assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.django_db
def test_dashboard_ending_today_publishes_drift(make_exchange, ada, client_for, caplog):
    from prometheus_client import REGISTRY

    today = timezone.localdate()
    for i in range(20):
        make_exchange(today - timedelta(days=7 + i % 7), **generated())
        make_exchange(today - timedelta(days=i % 7), **generated(total_ms=3000.0))
    html = client_for(ada).get(reverse("kpi_dashboard")).content.decode()
    assert "banner-warning" in html and "p95 latency got worse week over week" in html
    assert REGISTRY.get_sample_value("rag_kpi_drift_ratio", {"kpi": "p95_ms"}) == 0.5
    assert any("p95 latency degraded" in r.getMessage() for r in caplog.records)
