"""CI smoke test: `manage.py bench all --quick --json` completes and its output is well formed.
Only the shape is asserted; the figures themselves are measurements, not test expectations."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.evaluation.bench.harness import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.bench
def test_bench_all_quick_completes_with_well_formed_output(tmp_path):
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path)}
    for var in ("DATABASE_URL", "CELERY_BROKER_URL", "RAG_QDRANT_URL"):
        env.pop(var, None)
    completed = subprocess.run(
        [sys.executable, "manage.py", "bench", "all", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-4000:]
    printed = json.loads(completed.stdout.strip().splitlines()[-1])
    results = {r["name"]: r for r in printed["results"]}
    assert set(results) == set(BENCHMARKS)
    for name, result in results.items():
        assert result["ok"], (name, result.get("error"))
        assert result["rows"], name
        for row in result["rows"]:
            assert isinstance(row["metric"], str) and row["metric"]
            for key in ("ours", "raw", "ratio"):
                assert isinstance(row[key], int | float) and not isinstance(row[key], bool)
                assert not math.isinf(row[key]), (name, row)
    assert printed["machine"]["cores"] and printed["machine"]["packages"]["django"]
    latest = tmp_path / "bench" / "latest.json"
    assert json.loads(latest.read_text())["results"]
    assert "| benchmark | metric |" in (tmp_path / "bench" / "latest.md").read_text()
