"""Period parsing: defaults, bad dates, order, span cap."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from assistant.kpi.period import MAX_DAYS, Period, period_from_query


def test_default_is_the_last_30_days_ending_today():
    period, _ = period_from_query({})
    today = timezone.localdate()
    assert period == Period(today - timedelta(days=29), today)
    assert len(period.days) == 30


def test_explicit_dates_and_a_single_day():
    period, _ = period_from_query({"start": "2025-01-31", "end": "2025-02-02"})
    assert period == Period(date(2025, 1, 31), date(2025, 2, 2))
    assert period.days == [date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 2)]
    single, _ = period_from_query({"start": "2025-01-31", "end": "2025-01-31"})
    assert single is not None and len(single.days) == 1


def test_only_an_end_date_gives_30_days_before_it():
    period, _ = period_from_query({"end": "2025-03-30"})
    assert period == Period(date(2025, 3, 1), date(2025, 3, 30))


def test_bad_dates_are_reported():
    for query, message in (
        ({"start": "2025-13-01"}, "YYYY-MM-DD"),
        ({"end": "yesterday"}, "YYYY-MM-DD"),
        ({"start": "2025-03-02", "end": "2025-03-01"}, "must not be after"),
        ({"start": "2024-01-01", "end": "2025-01-01"}, f"at most {MAX_DAYS} days"),
    ):
        period, form = period_from_query(query)
        assert period is None
        assert message in str(form.errors), (query, form.errors)


def test_a_span_of_exactly_the_cap_is_accepted():
    end = date(2025, 12, 31)
    period, _ = period_from_query(
        {"start": (end - timedelta(days=MAX_DAYS - 1)).isoformat(), "end": end.isoformat()}
    )
    assert period is not None and len(period.days) == MAX_DAYS
