"""End to end: a real exchange through the real SmolLM2 GGUF (synthetic corpus, real embedder and
embedded store), then the dashboard counts it with a measured, non-zero self-hosted cost."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assistant.chat.models import Exchange

pytestmark = pytest.mark.e2e


@pytest.mark.django_db
def test_a_real_answer_shows_on_the_dashboard_with_its_cost(
    chat_users,
    ada,
    client_for,
    settings,
):
    from assistant.backends.llm_factory import reset_llm
    from assistant.chat.services import answer_question
    from assistant.kpi.dashboard import build_dashboard
    from assistant.kpi.period import default_period

    settings.RAG_LLM_BACKEND = "llamacpp"
    settings.RAG_HARDWARE_COST_PER_HOUR = 0.50
    settings.RAG_CLOUD_PRICES = {"acme-api": [2.0, 8.0]}
    reset_llm()
    exchange = answer_question(
        user=chat_users["hana"],
        question="How many days of paid annual leave do employees get?",
        mode="generated",
    )
    assert exchange.status == Exchange.Status.DONE, exchange.error_message
    assert exchange.completion_tokens > 0 and exchange.total_ms

    dashboard = build_dashboard(default_period())
    total = dashboard.daily.total
    assert (total.requests, total.answered) == (1, 1)
    assert total.tokens_per_s and total.tokens_per_s > 0
    assert total.p95_ms == pytest.approx(exchange.total_ms)
    costs = dashboard.costs
    assert costs.self_hosted_per_request == pytest.approx(
        exchange.total_ms / 1000 * costs.cost_per_hour / 3600
    )
    assert costs.self_hosted_per_request is not None and costs.self_hosted_per_request > 0
    (acme,) = costs.clouds
    assert acme.per_request == pytest.approx(
        (exchange.prompt_tokens * 2.0 + exchange.completion_tokens * 8.0) / 1e6
    )

    html = client_for(ada).get(reverse("kpi_dashboard")).content.decode()
    tile = re.search(r"Self-hosted cost / request</dt><dd>([^<]+)</dd>", html)
    assert tile is not None
    amount = tile.group(1).split()[0]
    assert amount not in ("—", "0") and float(amount) > 0
    assert "acme-api" in html
