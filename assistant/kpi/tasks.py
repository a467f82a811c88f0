"""Thin Celery tasks of the KPI dashboard. No heavy import here."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="assistant.kpi_drift_check")
def kpi_drift_check_task() -> list[str]:
    """Week-over-week KPI drift up to today (for a Celery beat schedule): sets the
    rag_kpi_drift_ratio gauge in the worker, logs a warning per degraded KPI, returns their keys."""
    from assistant.kpi.drift import check_current_drift

    return [change.kpi.key for change in check_current_drift().degraded]
