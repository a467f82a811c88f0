"""A real Celery worker on Redis, SIGKILLed in the middle of a job, then restarted: the document
ends indexed exactly once, with one point per chunk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.ingestion.subprocess_helpers import ROOT, child_env, counts, job_state, manage

BROKER = "redis://127.0.0.1:6379/13"
HOSTNAME = f"killtest-{os.getpid()}@localhost"


def _long_document() -> bytes:
    paragraphs = [
        f"Section {i}. Rule {i} of the travel policy says that trip number {i} to city {i * 7} "
        f"needs approval {i % 5} days ahead, receipts for meal {i}, and hotel class {i % 3}. " * 3
        for i in range(250)
    ]
    return ("Travel policy\n\n" + "\n\n".join(paragraphs)).encode()


def _start_worker(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
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
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            HOSTNAME,
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.redis
def test_sigkilled_worker_job_is_finished_once_after_restart(tmp_path):
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    data = tmp_path / "data"
    env = child_env(data, CELERY_BROKER_URL=BROKER)
    assert manage(env, "migrate", "--noinput").returncode == 0
    source = tmp_path / "long-policy.txt"
    source.write_bytes(_long_document())
    log_path = tmp_path / "worker.log"
    worker = None
    with log_path.open("ab") as log:
        try:
            worker = _start_worker(env, log)
            result = manage(env, "ingest", str(source), "--collection", "kill", "--create")
            assert result.returncode == 0, result.stderr

            def embedding_started() -> bool:
                jobs = job_state(data)
                return bool(jobs) and jobs[0][0] == "embedding" and jobs[0][1] >= 20

            _wait_for(embedding_started, 240, "the job to be embedding")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)
            status, progress, attempts = job_state(data)[0]
            assert status == "embedding" and progress < 100 and attempts == 1

            worker = _start_worker(env, log)  # same hostname: it requeues what it left behind
            _wait_for(lambda: job_state(data)[0][0] in ("done", "failed"), 300, "the job to end")
        finally:
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            redis.Redis.from_url(BROKER).flushdb()

    state = counts(env)  # the worker is gone: this process owns the embedded store
    assert len(state["documents"]) == 1, state["documents"]
    document = state["documents"][0]
    assert document["status"] == "indexed", (document, log_path.read_text()[-3000:])
    assert state["attempts"] == [2]
    assert state["points"] == state["chunks"] == document["chunk_count"] > 30
    assert state["point_ids_match"]
