"""`manage.py serve` (what `make run` ends with) really serves and runs the in-process worker."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_login_and_health_and_starts_the_worker(tmp_path):
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path)}
    for var in ("DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(var, None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as handle:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
                    assert page.status == 200
                    assert b"Log in" in page.read()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200
        while "embedded Celery worker started" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        text = log.read_text()
        assert "mode=embedded" in text
        assert "vector_store=embedded qdrant-edge" in text
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode in (0, -15)
