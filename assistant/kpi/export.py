"""CSV export of the daily series: one row per day, one column per KPI.

Cells are dates, integers or decimals, and empty when a KPI has no value that day. Route and
price names come from data and settings, so header names made from them keep only
[A-Za-z0-9_.-]. Every cell still goes through privacy.exports.neutralise_row, the one guard of
all our CSV exports, so a text column added later cannot carry a formula; a number, even a
negative one, stays a number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from typing import IO

from assistant.kpi.costing import (
    TokenPrice,
    cloud_per_request,
    cloud_prices,
    self_hosted_per_request,
)
from assistant.kpi.selectors import PATHS, REVIEW_STATES, DailyKpis, Kpis
from privacy.exports import neutralise_row

Column = tuple[str, Callable[[Kpis], float | int | None]]

BASE_COLUMNS: list[Column] = [
    ("requests", lambda k: k.requests),
    ("answered", lambda k: k.answered),
    ("errors", lambda k: k.errors),
    ("cancelled", lambda k: k.cancelled),
    *[(f"path_{p}", lambda k, p=p: k.paths.get(p, 0)) for p in PATHS],
    ("p50_latency_ms", lambda k: k.p50_ms),
    ("p95_latency_ms", lambda k: k.p95_ms),
    ("p50_ttft_ms", lambda k: k.p50_ttft_ms),
    ("p95_ttft_ms", lambda k: k.p95_ttft_ms),
    ("tokens_per_s", lambda k: k.tokens_per_s),
    ("refusal_rate", lambda k: k.refusal_rate),
    ("cache_hit_rate", lambda k: k.cache_hit_rate),
    ("citation_coverage", lambda k: k.citation_coverage),
    ("groundedness", lambda k: k.groundedness),
    ("feedback_up", lambda k: k.feedback_up),
    ("feedback_down", lambda k: k.feedback_down),
    ("reviewed_share", lambda k: k.reviewed_share),
    *[(f"reviews_{s}", lambda k, s=s: k.reviews.get(s, 0)) for s in REVIEW_STATES],
    ("prompt_tokens", lambda k: k.prompt_tokens),
    ("completion_tokens", lambda k: k.completion_tokens),
    ("self_hosted_cost_per_request", self_hosted_per_request),
    ("estimated_cost_total", lambda k: k.estimated_cost if k.estimated_cost_count else None),
]


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


def _cloud_column(price: TokenPrice) -> Column:
    return (
        f"cloud_cost_per_request_{safe_name(price.name)}",
        lambda k: cloud_per_request(k, price),
    )


def _route_column(route: str) -> Column:
    return (f"route_{safe_name(route)}", lambda k: k.routes.get(route, 0))


def columns(daily: DailyKpis) -> list[Column]:
    return [
        *BASE_COLUMNS,
        *[_cloud_column(price) for price in cloud_prices()],
        *[_route_column(route) for route in daily.routes],
    ]


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    # Fixed notation with 9 decimals: costs per request are fractions of a cent.
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def csv_rows(daily: DailyKpis) -> Iterator[list[str]]:
    chosen = columns(daily)
    yield ["date", *(name for name, _ in chosen)]
    for day, kpis in daily.days:
        yield [day.isoformat(), *(_cell(get(kpis)) for _, get in chosen)]


def write_csv(out: IO[str], daily: DailyKpis) -> int:
    """Write the series to `out`; returns the number of day rows."""
    writer = csv.writer(out)
    count = -1
    for row in csv_rows(daily):
        writer.writerow(neutralise_row(row))
        count += 1
    return count
