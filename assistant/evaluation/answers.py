"""Aggregates of the per-exchange quality metrics (`Exchange.metrics`) and outcome fields.

Reads only: whatever numeric or boolean values the answer pipeline stored in `metrics` (nested
dicts are flattened to "judge.faithfulness") are averaged, so new metrics show up here without a
change. Exchanges that recorded no metric are counted, never silently skipped.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from assistant.chat.models import Exchange


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, float]:
    flat: dict[str, float] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            flat[name] = 1.0 if value else 0.0
        elif isinstance(value, int | float):
            flat[name] = float(value)
        elif isinstance(value, dict):
            flat.update(_flatten(value, prefix=f"{name}."))
    return flat


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "mean": round(statistics.fmean(ordered), 4),
        "p50": round(statistics.median(ordered), 4),
        "min": round(ordered[0], 4),
        "max": round(ordered[-1], 4),
    }


def answer_aggregates(*, since: datetime | None = None) -> dict[str, Any]:
    """Counts by status and answer path, refusal and invalid-citation rates, latency medians and
    every metric found in Exchange.metrics, over exchanges created at or after `since`."""
    exchanges = Exchange.objects.all()
    if since is not None:
        exchanges = exchanges.filter(created_at__gte=since)
    rows = list(
        exchanges.values(
            "status",
            "answer_path",
            "refused",
            "invalid_citation",
            "max_score",
            "retrieval_ms",
            "ttft_ms",
            "total_ms",
            "metrics",
        )
    )
    result: dict[str, Any] = {"since": since.isoformat() if since else None, "exchanges": len(rows)}
    if not rows:
        return result
    result["by_status"] = _counts(row["status"] for row in rows)
    result["by_answer_path"] = _counts(row["answer_path"] for row in rows)
    result["refused_rate"] = round(sum(row["refused"] for row in rows) / len(rows), 4)
    result["invalid_citation_rate"] = round(
        sum(row["invalid_citation"] for row in rows) / len(rows), 4
    )
    fields: dict[str, dict[str, float]] = {}
    for field in ("max_score", "retrieval_ms", "ttft_ms", "total_ms"):
        samples = [float(value) for row in rows if (value := row[field]) is not None]
        if samples:
            fields[field] = _summary(samples)
    result["fields"] = fields
    per_metric: dict[str, list[float]] = {}
    without = 0
    for row in rows:
        flat = _flatten(row["metrics"]) if isinstance(row["metrics"], dict) else {}
        if not flat:
            without += 1
        for name, value in flat.items():
            per_metric.setdefault(name, []).append(value)
    result["without_metrics"] = without
    result["metrics"] = {name: _summary(values) for name, values in sorted(per_metric.items())}
    return result


def _counts(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def answers_markdown(aggregates: dict[str, Any]) -> str:
    since = aggregates["since"] or "the beginning"
    lines = [f"# Answer quality since {since}", "", f"Exchanges: {aggregates['exchanges']}"]
    if not aggregates["exchanges"]:
        return "\n".join([*lines, "", "No exchange in this period."])
    lines += [
        f"By status: {aggregates['by_status']}",
        f"By answer path: {aggregates['by_answer_path']}",
        f"Refused: {aggregates['refused_rate']:.1%}; invalid citation: "
        f"{aggregates['invalid_citation_rate']:.1%}; without metrics: "
        f"{aggregates['without_metrics']}",
        "",
        "| value | n | mean | p50 | min | max |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for group in ("fields", "metrics"):
        for name, s in aggregates[group].items():
            lines.append(
                f"| {name} | {s['n']} | {s['mean']} | {s['p50']} | {s['min']} | {s['max']} |"
            )
    return "\n".join(lines)
