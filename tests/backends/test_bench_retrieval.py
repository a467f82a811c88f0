"""The retrieval benchmark runs end to end on a tiny size (figures are not asserted)."""

from __future__ import annotations

from assistant.evaluation.bench.retrieval import run_retrieval_bench


def test_retrieval_bench_reports_ours_and_raw_for_each_backend() -> None:
    report = run_retrieval_bench(sizes=(300,), queries=6)
    size = report["sizes"]["300"]
    for backend in ("edge", "client_local"):
        for mode in ("hybrid", "dense"):
            result = size[backend][mode]
            assert result["ours_p50_ms"] > 0 and result["raw_p50_ms"] > 0
            assert result["queries"] == 6
        # dense search is deterministic: our store and the raw library agree on the top hit
        assert size[backend]["dense"]["same_top_hit"] == 1.0
    assert len(report["rows"]) == 8
    assert {"metric", "ours", "raw", "ratio", "unit", "target"} <= set(report["rows"][0])
