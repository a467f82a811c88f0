"""Week-over-week drift: the 5 % rule in both directions, the minimum sample, the alert outputs."""

from __future__ import annotations

import logging
import math
from datetime import date, timedelta

import pytest
from prometheus_client import REGISTRY

from assistant.kpi.drift import publish, relative_change, week_over_week
from tests.fixtures.kpi_data import generated

END = date(2025, 3, 16)  # current week: 10-16 March; the week before: 3-9 March


@pytest.fixture
def two_weeks(make_exchange):
    def make(*, before: dict, now: dict, count: int = 20, count_before: int | None = None) -> None:
        for i in range(count_before if count_before is not None else count):
            make_exchange(END - timedelta(days=7 + i % 7), **generated(**before))
        for i in range(count):
            make_exchange(END - timedelta(days=i % 7), **generated(**now))

    return make


def quality(groundedness: float) -> dict:
    return {"metrics": {"citation_coverage": 0.5, "groundedness": groundedness}}


def test_relative_change():
    assert relative_change(0.8, 0.84) == pytest.approx(0.05)
    assert relative_change(100, 90) == pytest.approx(-0.1)
    assert relative_change(0, 0) == 0
    assert relative_change(0, 0.1) == math.inf


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("now", "degraded"),
    [(0.76, False), (0.7599, True), (0.75, True), (0.84, False), (0.85, False)],
)
def test_five_percent_threshold_on_a_quality_kpi(two_weeks, now, degraded):
    two_weeks(before=quality(0.8), now=quality(now))
    report = week_over_week(END)
    assert report.enough_data
    change = next(c for c in report.changes if c.kpi.key == "groundedness")
    assert change.previous == pytest.approx(0.8) and change.current == pytest.approx(now)
    assert [c.kpi.key for c in report.degraded] == (["groundedness"] if degraded else [])
    assert [c.kpi.key for c in report.improved] == (["groundedness"] if now >= 0.85 else [])


@pytest.mark.django_db
def test_latency_up_is_worse_and_down_is_better(two_weeks):
    two_weeks(before={"total_ms": 2000.0}, now={"total_ms": 2200.0})
    report = week_over_week(END)
    # same first token, 20 % more time generating the same tokens: tokens/s is down too
    assert {c.kpi.key: round(c.ratio, 3) for c in report.degraded} == {
        "p95_ms": 0.1,
        "tokens_per_s": round(1 / 1.2 - 1, 3),
    }
    assert report.improved == []


@pytest.mark.django_db
def test_faster_generation_is_an_improvement_not_an_alert(two_weeks):
    two_weeks(before={"total_ms": 3000.0}, now={"total_ms": 2000.0})
    report = week_over_week(END)
    assert report.degraded == []
    assert {c.kpi.key for c in report.improved} == {"p95_ms", "tokens_per_s"}


@pytest.mark.django_db
def test_too_few_exchanges_in_one_week_means_no_verdict(two_weeks, settings):
    settings.RAG_DRIFT_MIN_EXCHANGES = 20
    two_weeks(before=quality(0.8), now=quality(0.4), count_before=19)
    report = week_over_week(END)
    assert (report.current_exchanges, report.previous_exchanges) == (20, 19)
    assert not report.enough_data and report.changes == [] and report.degraded == []
    settings.RAG_DRIFT_MIN_EXCHANGES = 19
    assert [c.kpi.key for c in week_over_week(END).degraded] == ["groundedness"]


@pytest.mark.django_db
def test_a_first_refusal_after_none_is_a_degradation(two_weeks, make_exchange):
    from assistant.chat.models import Exchange

    two_weeks(before={}, now={})
    make_exchange(
        END, status=Exchange.Status.REFUSED, refused=True, answer_path="refusal", total_ms=2000.0
    )
    change = next(c for c in week_over_week(END).degraded if c.kpi.key == "refusal_rate")
    assert change.ratio == math.inf


@pytest.mark.django_db
def test_publish_sets_the_gauge_and_logs_a_warning(two_weeks, caplog):
    two_weeks(before=quality(0.8), now=quality(0.6))
    with caplog.at_level(logging.INFO, logger="assistant.kpi.drift"):
        publish(week_over_week(END))
    gauge = REGISTRY.get_sample_value("rag_kpi_drift_ratio", {"kpi": "groundedness"})
    assert gauge == pytest.approx(-0.25)
    assert REGISTRY.get_sample_value("rag_kpi_drift_ratio", {"kpi": "p95_ms"}) == 0
    # no feedback at all: not measurable
    unmeasured = REGISTRY.get_sample_value(
        "rag_kpi_drift_ratio", {"kpi": "negative_feedback_share"}
    )
    assert unmeasured is not None and math.isnan(unmeasured)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "groundedness degraded by -25.0% week over week" in warnings[0].getMessage()
