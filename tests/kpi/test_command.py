"""manage.py kpi drift (exit 1 on a degraded KPI, for cron) and kpi export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.fixtures.kpi_data import generated

END = date(2025, 3, 16)


@pytest.fixture
def weeks(make_exchange):
    def make(total_now: float) -> None:
        for i in range(20):
            make_exchange(END - timedelta(days=7 + i % 7), **generated())
            make_exchange(END - timedelta(days=i % 7), **generated(total_ms=total_now))

    return make


@pytest.mark.django_db
def test_drift_exits_1_when_a_kpi_degrades(weeks):
    weeks(total_now=2500.0)
    out = io.StringIO()
    with pytest.raises(CommandError, match="p95 latency") as raised:
        call_command("kpi", "drift", "--end", END.isoformat(), stdout=out)
    assert raised.value.returncode == 1
    assert "p95_ms" in out.getvalue() and "DEGRADED" in out.getvalue()


@pytest.mark.django_db
def test_drift_exits_0_when_stable_or_better(weeks):
    weeks(total_now=1980.0)  # 1 % faster: under the threshold for p95; tokens/s +2 %
    out = io.StringIO()
    call_command("kpi", "drift", "--end", END.isoformat(), stdout=out)
    assert "DEGRADED" not in out.getvalue() and "p95_ms" in out.getvalue()


@pytest.mark.django_db
def test_drift_without_enough_data_says_so(db):
    out = io.StringIO()
    call_command("kpi", "drift", stdout=out)
    assert "not enough exchanges" in out.getvalue()


@pytest.mark.django_db
def test_export_writes_the_csv(weeks, tmp_path):
    weeks(total_now=2000.0)
    target = tmp_path / "kpi.csv"
    err = io.StringIO()
    call_command("kpi", "export", "--start", "2025-03-01", "--end", "2025-03-16",
                 "--output", str(target), stderr=err)  # fmt: skip
    rows = list(csv.reader(target.open()))
    assert len(rows) == 1 + 16 and rows[0][0] == "date"
    assert sum(int(r[1]) for r in rows[1:]) == 40
    assert "16 days written" in err.getvalue()
    with pytest.raises(CommandError, match="must not be after"):
        call_command("kpi", "export", "--start", "2025-03-02", "--end", "2025-03-01")
