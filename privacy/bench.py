"""Redaction latency: p50/p95 for 500- and 5,000-character French and English texts.

Assistant-independent: ``run_redact_bench()`` is what ``manage.py bench redact`` calls. Texts are
built from the evaluation set (realistic sentences full of identifiers), so the recognisers work
as hard as they do on real questions. The engine load is measured separately.
"""

from __future__ import annotations

import statistics
import time
from typing import Any


def _text(language: str, size: int, seed: int = 7) -> str:
    from privacy.evaluation import build_dataset

    sentences = [
        s.text for s in build_dataset(seed=seed, per_template=20) if s.language == language
    ]
    text = ""
    for sentence in sentences:
        if len(text) >= size:
            break
        text += sentence + " "
    return text[:size].rsplit(" ", 1)[0]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_redact_bench(*, repeats: int = 30, sizes: tuple[int, ...] = (500, 5000)) -> dict[str, Any]:
    """{"load_s": ..., "results": [{"language", "chars", "n", "p50_ms", "p95_ms", "mean_ms",
    "cpu_p50_ms", "cpu_p95_ms"}]}: wall-clock and process CPU time per redact() call."""
    from privacy.redaction import get_redactor

    started = time.perf_counter()
    redactor = get_redactor()
    load_s = time.perf_counter() - started
    results = []
    for language in ("fr", "en"):
        for size in sizes:
            text = _text(language, size)
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
                    "p50_ms": round(_percentile(timings, 0.50), 2),
                    "p95_ms": round(_percentile(timings, 0.95), 2),
                    "mean_ms": round(statistics.fmean(timings), 2),
                    # CPU time of the process: what the call costs when the machine is busy.
                    "cpu_p50_ms": round(_percentile(cpu, 0.50), 2),
                    "cpu_p95_ms": round(_percentile(cpu, 0.95), 2),
                }
            )
    return {"load_s": round(load_s, 2), "results": results}
