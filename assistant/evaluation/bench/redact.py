"""Redaction benchmark for the harness: privacy.bench measures our redact() (analysis, our
post-processing, typed placeholders); the raw baseline is the same presidio AnalyzerEngine
(same recognisers, same spaCy models) called directly on the same texts, without our layer."""

from __future__ import annotations

import time
from typing import Any


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def run_redact_bench(quick: bool) -> dict[str, Any]:
    from privacy.bench import _text
    from privacy.bench import run_redact_bench as run_ours
    from privacy.redaction import get_redactor

    repeats = 10 if quick else 30
    ours = run_ours(repeats=repeats)
    analyzer = get_redactor()._analyzer  # type: ignore[attr-defined]
    rows = []
    for result in ours["results"]:
        language, size, runs = result["language"], result["chars"], result["n"]
        text = _text(language, size)
        analyzer.analyze(text=text, language=language, score_threshold=0)  # warm-up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            analyzer.analyze(text=text, language=language, score_threshold=0)
            timings.append((time.perf_counter() - started) * 1000)
        for label, share, key in (("p50", 0.5, "p50_ms"), ("p95", 0.95, "p95_ms")):
            raw = _percentile(timings, share)
            rows.append(
                {"metric": f"redact {label}, {language}, {size} chars", "ours": result[key],
                 "raw": raw, "ratio": result[key] / raw, "unit": "ms", "target": ""}
            )  # fmt: skip
    return {"rows": rows, "load_s": ours["load_s"], "details": ours["results"]}
