"""Run manage.py and small Django scripts in child processes sharing one RAG_DATA_DIR."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

COUNT_SCRIPT = """
import json, django
django.setup()
from assistant.backends.vectorstore_factory import get_vector_store
from ingestion.models import Chunk, Document, IngestJob
store = get_vector_store()
print(json.dumps({
    "documents": list(Document.objects.values("original_name", "status", "chunk_count", "error_message")),
    "chunks": Chunk.objects.count(),
    "points": store.count(),
    "point_ids_match": sorted(p for p, _ in store.iter_points()) == sorted(Chunk.objects.values_list("point_id", flat=True)),
    "attempts": list(IngestJob.objects.values_list("attempts", flat=True)),
}))
"""


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="assistant.settings",
        RAG_DATA_DIR=str(data_dir),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    env.pop("RAG_QDRANT_URL", None)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def counts(env: dict[str, str]) -> dict[str, Any]:
    """Counted by a process that owns the embedded store (run it when no worker holds it)."""
    result = subprocess.run(
        [sys.executable, "-c", COUNT_SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def job_state(data_dir: Path) -> list[tuple[str, int, int]]:
    """(status, progress, attempts) of every ingest job, read straight from the SQLite file."""
    with sqlite3.connect(data_dir / "db.sqlite3", timeout=10) as db:
        return db.execute(
            "SELECT status, progress, attempts FROM ingestion_ingestjob ORDER BY id"
        ).fetchall()
