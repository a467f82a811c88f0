"""SVG chart building: gaps stay gaps, bars stack, text is escaped, axes get readable tops."""

from __future__ import annotations

import re
from datetime import date, timedelta

from assistant.kpi.charts import Series, bar_chart, line_chart, nice_ceiling, percent

DAYS = [date(2025, 3, 1) + timedelta(days=i) for i in range(5)]


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0, 0.37, 1, 7, 13, 2100, 4300)] == [
        1.0, 0.5, 1, 10, 20, 2500, 5000,
    ]  # fmt: skip


def test_a_missing_day_breaks_the_line():
    svg = line_chart("t", DAYS, [Series("s", [1.0, 2.0, None, 3.0, 4.0])])
    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4
    assert "2025-03-04 s: 3" in svg  # hover title names the day and the value


def test_bars_stack_per_day():
    svg = bar_chart("t", DAYS[:2], [Series("a", [1, 0]), Series("b", [3, 2])])
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert len(heights) == 3  # a zero is not drawn
    day_one = heights[:2]
    assert day_one[1] == 3 * day_one[0]  # b is three times a on the first day


def test_text_is_escaped_and_formatted():
    svg = line_chart('<b>"x"</b>', DAYS[:2], [Series("<i>", [0.25, 0.5])], fmt=percent)
    assert "<b>" not in svg and "<i>" not in svg
    assert "&lt;b&gt;" in svg and "25.0 %" in svg


def test_no_data_says_so():
    assert "no data in this period" in line_chart("t", DAYS, [Series("s", [None] * 5)])
    assert "no data in this period" in bar_chart("t", DAYS, [Series("s", [0] * 5)])


def test_money_shows_fractions_of_a_cent_as_plain_decimals():
    from assistant.kpi.templatetags.kpi_format import MISSING, money

    assert money(4.54e-05) == "0.0000454"
    assert money(0.000375) == "0.000375"
    assert money(6.891) == "6.89"
    assert money(1234.5) == "1,234"
    assert money(0) == "0" and money(None) == MISSING
