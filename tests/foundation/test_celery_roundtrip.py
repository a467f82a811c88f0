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
