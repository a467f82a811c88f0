"""The dashboard in Debian's Chromium: no CSP violation or console error, charts drawn and
styled from the static stylesheet (the CSP forbids style attributes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assistant.chat.models import Exchange
from tests.fixtures.kpi_data import generated


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_renders_its_charts_without_csp_errors(make_exchange, ada, live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.chat.browser import launch_chromium, session_cookie

    today = timezone.localdate()
    for i in range(6):
        make_exchange(
            today - timedelta(days=i),
            feedback=1 if i % 2 else -1,
            **generated(total_ms=2000.0 + 300 * i),
        )
        make_exchange(today - timedelta(days=i), answer_path=Exchange.AnswerPath.CACHE,
                      ttft_ms=30.0, total_ms=60.0)  # fmt: skip
    cookie = session_cookie(ada, live_server.url)
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "chromium-profile")
        try:
            context.add_cookies([cookie])
            page = context.new_page()
            errors: list[str] = []
            page.on(
                "console",
                lambda m: (
                    errors.append(m.text)
                    if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico")
                    else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(str(e)))
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            response = page.goto(f"{live_server.url}/kpi/")
            assert response is not None and response.status == 200
            assert "script-src" in (response.headers.get("content-security-policy") or "")
            charts = page.locator("figure.chart svg")
            assert charts.count() == 10
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 60
            line = page.locator("figure.chart polyline.series-0").first
            assert line.is_visible()
            # the stroke comes from kpi.css: proof the stylesheet loaded and applies under the CSP
            assert line.evaluate("e => getComputedStyle(e).stroke") == "rgb(78, 121, 167)"
            assert page.locator(".kpi-tiles").is_visible()
            assert "What the cache saves" in page.inner_text("#cache-savings")
            page.screenshot(path=str(tmp_path / "kpi.png"), full_page=True)
            assert errors == [], errors
            assert failed == [], failed
        finally:
            context.close()
