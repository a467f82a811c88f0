"""Week-over-week drift of the quality and latency KPIs.

The last 7 days up to a given day are compared with the 7 days before. A KPI drifts when its
relative change exceeds settings.RAG_DRIFT_THRESHOLD (5 % by default) and both weeks hold at
least settings.RAG_DRIFT_MIN_EXCHANGES answered exchanges: fewer, and noise would raise alarms.
A KPI that was 0 and no longer is (a first refusal) counts as an infinite change.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assistant.kpi.period import Period, last_days
from assistant.kpi.selectors import ExchangeRow, Kpis, exchange_rows, kpis_of, rows_between

logger = logging.getLogger(__name__)

WEEK = 7


@dataclass(frozen=True)
class DriftKpi:
    key: str
    label: str | Promise  # translated lazily, when shown
    kind: str  # "quality" or "latency"
    higher_is_better: bool

    def value(self, kpis: Kpis) -> float | None:
        value = getattr(kpis, self.key)
        return None if value is None else float(value)


DRIFT_KPIS = (
    DriftKpi("groundedness", _("groundedness"), "quality", True),
    DriftKpi("citation_coverage", _("citation coverage"), "quality", True),
    DriftKpi("refusal_rate", _("refusal rate"), "quality", False),
    DriftKpi("negative_feedback_share", _("negative feedback share"), "quality", False),
    DriftKpi("p95_ms", _("p95 latency"), "latency", False),
    DriftKpi("p95_ttft_ms", _("p95 time to first token"), "latency", False),
    DriftKpi("tokens_per_s", _("tokens per second"), "latency", True),
)


@dataclass(frozen=True)
class Change:
    kpi: DriftKpi
    previous: float
    current: float
    ratio: float  # relative change, signed: +0.1 = 10 % higher than the week before

    @property
    def worse(self) -> bool:
        return (self.ratio < 0) if self.kpi.higher_is_better else (self.ratio > 0)

    @property
    def drifted(self) -> bool:
        # Rounded: 1.00 -> 1.05 is a 5 % change, not 5.000000000000004 %.
        return abs(round(self.ratio, 9)) > settings.RAG_DRIFT_THRESHOLD


@dataclass(frozen=True)
class DriftReport:
    current: Period
    previous: Period
    current_exchanges: int
    previous_exchanges: int
    changes: list[Change]  # empty when a week has too few exchanges

    @property
    def enough_data(self) -> bool:
        minimum = settings.RAG_DRIFT_MIN_EXCHANGES
        return self.current_exchanges >= minimum and self.previous_exchanges >= minimum

    @property
    def drifted(self) -> list[Change]:
        return [c for c in self.changes if c.drifted]

    @property
    def degraded(self) -> list[Change]:
        return [c for c in self.drifted if c.worse]

    @property
    def improved(self) -> list[Change]:
        return [c for c in self.drifted if not c.worse]


def relative_change(previous: float, current: float) -> float:
    if previous == 0:
        return 0.0 if current == 0 else math.copysign(math.inf, current)
    return (current - previous) / abs(previous)


def week_over_week(end: date, rows: list[ExchangeRow] | None = None) -> DriftReport:
    """Drift of the 7 days ending on `end` against the 7 days before. `rows` may be passed when
    the caller already holds the exchanges of (at least) those 14 days."""
    current = last_days(end, WEEK)
    previous = last_days(end - timedelta(days=WEEK), WEEK)
    if rows is None:
        rows = exchange_rows(Period(previous.start, current.end))
    this_week = kpis_of(rows_between(rows, current))
    last_week = kpis_of(rows_between(rows, previous))
    report = DriftReport(current, previous, this_week.answered, last_week.answered, [])
    if not report.enough_data:
        return report
    for kpi in DRIFT_KPIS:
        before, now = kpi.value(last_week), kpi.value(this_week)
        if before is not None and now is not None:
            report.changes.append(Change(kpi, before, now, relative_change(before, now)))
    return report


def publish(report: DriftReport) -> None:
    """Prometheus gauge rag_kpi_drift_ratio{kpi} (NaN when not measurable) and a log line per
    drifting KPI: warning when it got worse, info when better."""
    from assistant.metrics import KPI_DRIFT_RATIO

    measured = {change.kpi.key: change.ratio for change in report.changes}
    for kpi in DRIFT_KPIS:
        KPI_DRIFT_RATIO.labels(kpi=kpi.key).set(measured.get(kpi.key, math.nan))
    for change in report.drifted:
        log = logger.warning if change.worse else logger.info
        log(
            "KPI drift: %s %s by %s week over week (%s to %s: %.4g, week before: %.4g)",
            change.kpi.label,
            "degraded" if change.worse else "improved",
            format_ratio(change.ratio),
            report.current.start,
            report.current.end,
            change.current,
            change.previous,
        )


def format_ratio(ratio: float) -> str:
    if math.isinf(ratio):
        return "from zero"
    return f"{ratio:+.1%}"


def check_current_drift() -> DriftReport:
    """Drift up to today, published (the cron command, the Celery task, the dashboard)."""
    report = week_over_week(timezone.localdate())
    publish(report)
    return report
