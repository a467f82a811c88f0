"""Redaction benchmark: p50/p95 latency of our redact() (analysis, our post-processing, typed
placeholders) on 500- and 5,000-character French and English texts, against the raw baseline: the
same presidio AnalyzerEngine (same recognisers, same spaCy models) called directly on the same
texts, without our layer. The engine load is measured separately. `finders_p95_ms` prices the
name, address, birth-date and table-cell finders alone (privacy.names, addresses, birthdates,
tables: pure Python, inside both figures above), the cost of recognising names in any casing.

Texts are built from the PII evaluation set (assistant.evaluation.redaction: realistic sentences
full of identifiers), so the recognisers work as hard as they do on real questions.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from assistant.evaluation.metrics import nearest_rank


def run_redact_bench(quick: bool) -> dict[str, Any]:
    from privacy.redaction import get_redactor

    ours = _measure_redact(repeats=10 if quick else 30)
    analyzer = get_redactor()._analyzer  # type: ignore[attr-defined]
    rows = []
    finders: dict[str, float] = {}
    for result in ours["results"]:
        language, size, runs = result["language"], result["chars"], result["n"]
        text = _sample_text(language, size)
        analyzer.analyze(text=text, language=language, score_threshold=0)  # warm-up
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            analyzer.analyze(text=text, language=language, score_threshold=0)
            timings.append((time.perf_counter() - started) * 1000)
        for label, share, key in (("p50", 0.5, "p50_ms"), ("p95", 0.95, "p95_ms")):
            raw = nearest_rank(timings, share)
            rows.append(
                {"metric": f"redact {label}, {language}, {size} chars", "ours": result[key],
                 "raw": raw, "ratio": result[key] / raw, "unit": "ms", "target": ""}
            )  # fmt: skip
        # No raw counterpart (these finders are ours), so a detail rather than a ratio row.
        finders[f"{language}, {size} chars"] = _finder_timings(text, runs)
    return {
        "rows": rows,
        "load_s": ours["load_s"],
        "details": ours["results"],
        "finders_p95_ms": finders,
    }


def _finder_timings(text: str, runs: int) -> float:
    """p95 ms of privacy's pure-Python finders on `text` (already inside both other figures)."""
    from privacy.addresses import find_addresses
    from privacy.birthdates import find_birth_dates
    from privacy.names import find_names
    from privacy.tables import find_table_cells

    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        for finder in (find_names, find_addresses, find_birth_dates):
            list(finder(text))
        list(find_table_cells(text))
        timings.append((time.perf_counter() - started) * 1000)
    return round(nearest_rank(timings, 0.95), 2)


def _sample_text(language: str, size: int, seed: int = 7) -> str:
    """About `size` characters of evaluation-set sentences in `language`, cut at a word."""
    from assistant.evaluation.redaction import build_dataset

    sentences = [
        s.text for s in build_dataset(seed=seed, per_template=20) if s.language == language
    ]
    text = ""
    for sentence in sentences:
        if len(text) >= size:
            break
        text += sentence + " "
    return text[:size].rsplit(" ", 1)[0]


def _measure_redact(*, repeats: int, sizes: tuple[int, ...] = (500, 5000)) -> dict[str, Any]:
    """{"load_s": ..., "results": [{"language", "chars", "n", "p50_ms", "p95_ms", "mean_ms",
    "cpu_p50_ms", "cpu_p95_ms"}]}: wall-clock and process CPU time per redact() call."""
    from privacy.redaction import get_redactor

    started = time.perf_counter()
    redactor = get_redactor()
    load_s = time.perf_counter() - started
    results = []
    for language in ("fr", "en"):
        for size in sizes:
            text = _sample_text(language, size)
            redactor.redact(text, language=language)  # warm-up
            runs = max(5, repeats if size <= 1000 else repeats // 3)
            timings, cpu = [], []
            for _ in range(runs):
                t0, c0 = time.perf_counter(), time.process_time()
                redactor.redact(text, language=language)
                timings.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            results.append(
                {
                    "language": language,
                    "chars": len(text),
                    "n": runs,
                    "p50_ms": round(nearest_rank(timings, 0.50), 2),
                    "p95_ms": round(nearest_rank(timings, 0.95), 2),
                    "mean_ms": round(statistics.fmean(timings), 2),
                    # CPU time of the process: what the call costs when the machine is busy.
                    "cpu_p50_ms": round(nearest_rank(cpu, 0.50), 2),
                    "cpu_p95_ms": round(nearest_rank(cpu, 0.95), 2),
                }
            )
    return {"load_s": round(load_s, 2), "results": results}
