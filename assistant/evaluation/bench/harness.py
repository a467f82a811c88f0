"""Benchmark harness: each benchmark runs in a child process on a temporary RAG_DATA_DIR.

A fresh process per benchmark keeps them isolated (one embedded Qdrant per folder, cold caches
measured the same way every time) and lets the parent record machine facts once. Every benchmark
function returns a dict with a "rows" list of {metric, ours, raw, ratio, unit, target} entries
(ratios compare our code path with the raw library measured in the same run) plus free-form
details; the harness prints a table and writes JSON and Markdown under RAG_DATA_DIR/bench/.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

# name -> "module:function"; each function takes quick: bool and returns a result dict.
BENCHMARKS: dict[str, str] = {
    "ingest": "assistant.evaluation.bench.ingest:run_ingest_bench",
    "retrieval": "assistant.evaluation.bench.retrieval:run_retrieval_bench",
    "chat": "assistant.evaluation.bench.chat:run_chat_bench",
    "redact": "assistant.evaluation.bench.redact:run_redact_bench",
    "concurrency": "assistant.evaluation.bench.concurrency:run_concurrency_bench",
    "cache": "assistant.evaluation.bench.cache:run_cache_bench",
}

PACKAGES = (
    "django",
    "celery",
    "qdrant-edge-py",
    "qdrant-client",
    "sentence-transformers",
    "torch",
    "llama-cpp-python",
    "unstructured",
    "pypdf",
    "presidio-analyzer",
    "spacy",
)


def machine_facts(model_path: Path | None) -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    facts: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if model_path and model_path.is_file():
        digest = hashlib.sha256()
        with model_path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        facts["model"] = {"file": model_path.name, "sha256": digest.hexdigest()}
    return facts


def resolve(name: str) -> Callable[..., dict[str, Any]]:
    module_name, func_name = BENCHMARKS[name].split(":")
    return getattr(importlib.import_module(module_name), func_name)


def run_in_child(name: str, *, quick: bool, timeout: float) -> dict[str, Any]:
    """Run one benchmark in `manage.py bench --child NAME` on a fresh temporary data dir."""
    from django.conf import settings

    with tempfile.TemporaryDirectory(prefix=f"rag-bench-{name}-") as data_dir:
        out = Path(data_dir) / "result.json"
        env = {**os.environ, "RAG_DATA_DIR": data_dir}
        for var in ("DATABASE_URL", "CELERY_BROKER_URL", "RAG_QDRANT_URL"):
            env.pop(var, None)  # benchmarks measure the embedded default in isolation
        command = [sys.executable, "manage.py", "bench", "--child", name, "--output", str(out)]
        if quick:
            command.append("--quick")
        started = time.monotonic()
        completed = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=settings.BASE_DIR,  # where manage.py is
        )
        elapsed = time.monotonic() - started
        if completed.returncode != 0 or not out.exists():
            tail = (completed.stderr or completed.stdout)[-2000:]
            return {"name": name, "ok": False, "error": tail, "seconds": round(elapsed, 1)}
        result = json.loads(out.read_text())
        result.setdefault("name", name)
        result["ok"] = True
        result["seconds"] = round(elapsed, 1)
        return result


def run_child(name: str, *, quick: bool, output: Path) -> None:
    """Inside the child: migrate the temporary database, run the benchmark, write JSON."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    result = resolve(name)(quick=quick)
    output.write_text(json.dumps(result, indent=2, default=str))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def to_markdown(results: list[dict[str, Any]], facts: dict[str, Any], command: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"`{command}` on {facts.get('cpu')} ({facts.get('cores')} cores), {facts.get('date')}.",
        "",
        "| benchmark | metric | ours | raw | ratio | target | unit |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        if not result.get("ok"):
            lines.append(f"| {result['name']} | FAILED | | | | | |")
            continue
        for row in result.get("rows", []):
            lines.append(
                "| "
                + " | ".join(
                    [result["name"]]
                    + [
                        _fmt(row.get(k))
                        for k in ("metric", "ours", "raw", "ratio", "target", "unit")
                    ]
                )
                + " |"
            )
    return "\n".join(lines) + "\n"


def write_results(
    results: list[dict[str, Any]], facts: dict[str, Any], command: str, bench_dir: Path
) -> tuple[Path, Path]:
    bench_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = bench_dir / f"bench-{stamp}.json"
    md_path = bench_dir / f"bench-{stamp}.md"
    payload = {"command": command, "machine": facts, "results": results}
    json_path.write_text(json.dumps(payload, indent=2, default=str))
    md_path.write_text(to_markdown(results, facts, command))
    (bench_dir / "latest.json").write_text(json_path.read_text())
    (bench_dir / "latest.md").write_text(md_path.read_text())
    return json_path, md_path
