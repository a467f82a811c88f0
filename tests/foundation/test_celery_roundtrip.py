"""Tasks go through a real broker and a real worker, in both modes."""

import os
import subprocess
import sys
import time

import pytest

EMBEDDED_SCRIPT = """
import sys, threading
from celery import Celery
from assistant.embedded_worker import EmbeddedWorker

app = Celery("roundtrip")
app.conf.update(broker_url="sqla+sqlite:///" + sys.argv[1], task_acks_late=True)
done = threading.Event()
results = []

@app.task(name="roundtrip.double")
def double(x):
    results.append(2 * x)
    done.set()
    return 2 * x

worker = EmbeddedWorker(app)
worker.start()
try:
    double.delay(21)  # serialised into the SQLite broker, consumed by the worker thread
    assert done.wait(timeout=60), "task not consumed"
    print("RESULT", results)
finally:
    worker.stop()
"""


def test_embedded_broker_round_trip_through_the_in_process_worker(tmp_path):
    """The embedded mode: kombu's SQLAlchemy transport on SQLite, worker in a thread. Runs in a
    fresh interpreter so no other test's Celery state can interfere."""
    broker = tmp_path / "broker.sqlite3"
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "assistant.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", EMBEDDED_SCRIPT, str(broker)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RESULT [42]" in result.stdout
    assert broker.stat().st_size > 0


@pytest.mark.redis
def test_redis_round_trip_with_a_real_worker_process(tmp_path):
    """Server mode: `celery -A assistant worker` as a separate process on the local Redis."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
        "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/14",
        "RAG_DATA_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "assistant",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"test-{os.getpid()}@localhost",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        code = "from assistant.celery import ping; print(ping.delay('round-trip').get(timeout=60))"
        deadline = time.monotonic() + 90
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=deadline - time.monotonic(),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "round-trip"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


BEAT_SCRIPT = """
import sys, threading
from celery import Celery
from assistant.embedded_worker import EmbeddedWorker

app = Celery("beat-roundtrip")
app.conf.update(
    broker_url="sqla+sqlite:///" + sys.argv[1],
    beat_schedule={"tick": {"task": "roundtrip.tick", "schedule": 0.5, "args": (7,)}},
)
ticks = []
done = threading.Event()

@app.task(name="roundtrip.tick")
def tick(x):
    ticks.append(x)
    if len(ticks) >= 2:
        done.set()

worker = EmbeddedWorker(app, beat=True, schedule_filename=sys.argv[2])
worker.start()
try:
    assert done.wait(timeout=90), "the beat thread sent nothing the worker ran"
    print("TICKS", len(ticks) >= 2)
finally:
    worker.stop()
"""


def test_the_embedded_worker_runs_the_beat_schedule_in_process(tmp_path):
    """Embedded mode: periodic tasks are sent by a beat thread beside the worker thread, through
    the same SQLite broker, with no other process."""
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "assistant.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", BEAT_SCRIPT, str(tmp_path / "broker.sqlite3"),
         str(tmp_path / "celerybeat-schedule")],
        env=env, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TICKS True" in result.stdout


def test_every_scheduled_task_exists_and_can_be_switched_off(monkeypatch):
    """The product's beat schedule names real tasks (a typo would silently never run)."""
    import importlib

    from django.conf import settings

    from assistant.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled == {
        "privacy.audit_checkpoint",
        "assistant.cache_purge",
        "assistant.kpi_drift_check",
        "ingestion.requeue_interrupted",
    }
    assert scheduled <= set(app.tasks)
    monkeypatch.setenv("RAG_SCHEDULE_AUDIT_CHECKPOINT_S", "0")
    import assistant.settings as product_settings

    reloaded = importlib.reload(product_settings)
    try:
        assert "audit-checkpoint" not in reloaded.CELERY_BEAT_SCHEDULE
        assert "cache-purge" in reloaded.CELERY_BEAT_SCHEDULE
    finally:
        monkeypatch.delenv("RAG_SCHEDULE_AUDIT_CHECKPOINT_S")
        importlib.reload(product_settings)
