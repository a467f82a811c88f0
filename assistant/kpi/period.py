"""The period a dashboard or an export covers: whole days in the server's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 30
# A year and a leap day: enough for a yearly review, and it keeps the page and the query bounded.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start of the first day, start of the day after the last) as aware datetimes."""
        zone = timezone.get_current_timezone()
        first = timezone.make_aware(datetime.combine(self.start, time.min), zone)
        after = timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), zone)
        return first, after


def default_period(today: date | None = None) -> Period:
    end = today or timezone.localdate()
    return Period(end - timedelta(days=DEFAULT_DAYS - 1), end)


def last_days(end: date, count: int) -> Period:
    return Period(end - timedelta(days=count - 1), end)


class PeriodForm(forms.Form):
    """?start=YYYY-MM-DD&end=YYYY-MM-DD; a missing bound defaults to the last 30 days."""

    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label=_("From"))
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label=_("To"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            field.error_messages["invalid"] = _("Enter a date as YYYY-MM-DD.")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.errors:
            return data
        default = default_period()
        end = data.get("end") or default.end
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)s days.") % {"days": MAX_DAYS}
            )
        data["period"] = Period(start, end)
        return data

    @property
    def period(self) -> Period:
        period: Period = self.cleaned_data["period"]
        return period

    def error_text(self) -> str:
        """Every error of the bound form on one line, for plain-text answers (CSV, command)."""
        return "; ".join(str(e) for errors in self.errors.values() for e in errors)


def period_from_query(query: dict[str, str]) -> tuple[Period | None, PeriodForm]:
    """(the period, the bound form) or (None, the form with its errors)."""
    form = PeriodForm({k: query.get(k, "") for k in ("start", "end")})
    if not form.is_valid():
        return None, form
    period = form.period
    # Re-bound to the resolved dates, so the date inputs show the defaults that were applied.
    shown = PeriodForm({"start": period.start.isoformat(), "end": period.end.isoformat()})
    shown.is_valid()
    return period, shown
