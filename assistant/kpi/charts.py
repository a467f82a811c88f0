"""Server-rendered SVG charts: no JavaScript, nothing from a CDN, and no style attribute (the CSP
forbids them). Colours and strokes come from classes styled in static/assistant/kpi.css; every
point or bar carries a <title> so hovering shows its day and value.

Every text placed in the SVG goes through escape(); numbers are formatted here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_SERIES_CLASSES = 8


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


Formatter = Callable[[float], str]


def plain(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def milliseconds(value: float) -> str:
    return f"{value:,.0f} ms"


def money(value: float) -> str:
    """Costs per request are fractions of a cent: three significant digits, no exponent."""
    if value == 0:
        return "0"
    return f"{value:.{max(0, 2 - math.floor(math.log10(abs(value))))}f}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above value (axis tops people can read)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude * (1 + 1e-9):
            return step * magnitude
    return 10 * magnitude


def _x(index: int, count: int) -> float:
    """Centre of a line chart's point: the first and last days sit on the plot's edges."""
    if count <= 1:
        return LEFT + PLOT_W / 2
    return LEFT + PLOT_W * index / (count - 1)


def _bar_x(index: int, count: int) -> float:
    """Centre of a bar chart's slot."""
    return LEFT + PLOT_W * (index + 0.5) / max(count, 1)


def _y(value: float, top: float) -> float:
    return TOP + PLOT_H * (1 - value / top)


def _frame(
    title: str,
    top: float,
    days: Sequence[date],
    fmt: Formatter,
    x_of: Callable[[int, int], float] = _x,
) -> list[str]:
    parts = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(5):
        value = top * i / 4
        y = _y(value, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    if days:
        picks = sorted({0, len(days) // 2, len(days) - 1})
        for index in picks:
            anchor = "middle"
            if len(days) > 1 and index in (0, len(days) - 1):
                anchor = "start" if index == 0 else "end"
            parts.append(
                f'<text class="tick" x="{x_of(index, len(days)):.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="{anchor}">{days[index].isoformat()}</text>'
            )
    return parts


def _figure(title: str, svg: list[str], names: Sequence[str], *, empty: bool) -> SafeString:
    if empty:
        svg.append(
            f'<text class="empty" x="{LEFT + PLOT_W / 2}" y="{TOP + PLOT_H / 2}" '
            f'text-anchor="middle">{escape(gettext("no data in this period"))}</text>'
        )
    svg.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch series-{i % MAX_SERIES_CLASSES}"></span>{escape(name)}</li>'
        for i, name in enumerate(names)
    )
    return mark_safe(  # noqa: S308 - every text above is escaped, the rest is our own markup
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>{"".join(svg)}'
        f'<ul class="legend">{legend}</ul></figure>'
    )


def line_chart(
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    *,
    fmt: Formatter = plain,
    top: float | None = None,
) -> SafeString:
    """One polyline per series; a day without a value breaks the line instead of inventing one."""
    values = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    top = top or nice_ceiling(max(values, default=0.0))
    svg = _frame(title, top, days, fmt)
    for i, one in enumerate(series):
        css = f"series-{i % MAX_SERIES_CLASSES}"
        segment: list[str] = []
        points: list[str] = []
        for index, value in enumerate(one.values):
            if value is None or not math.isfinite(value):
                if len(segment) > 1:
                    svg.append(f'<polyline class="line {css}" points="{" ".join(segment)}"/>')
                segment = []
                continue
            x, y = _x(index, len(days)), _y(min(value, top), top)
            segment.append(f"{x:.1f},{y:.1f}")
            points.append(
                f'<circle class="dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>'
                f"{days[index].isoformat()} {escape(one.name)}: {escape(fmt(value))}"
                "</title></circle>"
            )
        if len(segment) > 1:
            svg.append(f'<polyline class="line {css}" points="{" ".join(segment)}"/>')
        svg.extend(points)
    return _figure(title, svg, [s.name for s in series], empty=not values)


def bar_chart(
    title: str, days: Sequence[date], stacks: Sequence[Series], *, fmt: Formatter = plain
) -> SafeString:
    """Stacked bars, one per day, one colour per series (counts: None is drawn as 0)."""
    totals = [sum(s.values[i] or 0 for s in stacks) for i in range(len(days))]
    top = nice_ceiling(max(totals, default=0))
    svg = _frame(title, top, days, fmt, _bar_x)
    slot = PLOT_W / max(len(days), 1)
    width = max(1.0, slot * 0.8)
    for index, day in enumerate(days):
        base = 0.0
        x = LEFT + slot * index + (slot - width) / 2
        for i, one in enumerate(stacks):
            value = one.values[index] or 0
            if value <= 0:
                continue
            y_top, y_base = _y(base + value, top), _y(base, top)
            svg.append(
                f'<rect class="bar series-{i % MAX_SERIES_CLASSES}" x="{x:.1f}" '
                f'y="{y_top:.1f}" width="{width:.1f}" height="{y_base - y_top:.1f}"><title>'
                f"{day.isoformat()} {escape(one.name)}: {escape(fmt(value))}</title></rect>"
            )
            base += value
    return _figure(title, svg, [s.name for s in stacks], empty=not any(totals))
