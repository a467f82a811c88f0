"""Number formats of the KPI dashboard: a missing value shows as an em dash, never as 0."""

from __future__ import annotations

import math

from django import template

register = template.Library()

MISSING = "—"


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


@register.filter
def pct(value: object) -> str:
    """0.1234 -> "12.3 %"."""
    number = _number(value)
    return MISSING if number is None else f"{number * 100:.1f} %"


@register.filter
def ratio(value: object) -> str:
    """A signed relative change: 0.07 -> "+7.0 %", infinity -> "from zero"."""
    from assistant.kpi.drift import format_ratio

    number = _number(value)
    return MISSING if number is None else format_ratio(number)


@register.filter
def ms(value: object) -> str:
    number = _number(value)
    return MISSING if number is None else f"{number:,.0f} ms"


@register.filter
def num(value: object, digits: int = 1) -> str:
    number = _number(value)
    return MISSING if number is None else f"{number:,.{int(digits)}f}"


@register.filter
def money(value: object) -> str:
    """Three significant digits: a request costs fractions of a cent, a month whole units."""
    number = _number(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    if abs(number) >= 100:
        return f"{number:,.0f}"
    if abs(number) >= 1e-4:
        return f"{number:.3g}"
    # Plain decimals, three significant digits: 0.0000454, never 4.54e-05 (not for readers).
    decimals = min(12, -math.floor(math.log10(abs(number))) + 2)
    return f"{number:.{decimals}f}"
