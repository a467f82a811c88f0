"""Against a real `manage.py serve` (waitress) process with the real model: the answer streams over
HTTP token by token, and Playwright drives Debian's Chromium through the chat."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.chat.documents import HANDBOOK, QUESTION, SECRET, write_pdfs

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def live_stack(tmp_path_factory):
    data = tmp_path_factory.mktemp("live")
    env = {**os.environ, "RAG_DATA_DIR": str(data), "RAG_LLM_BACKEND": "llamacpp"}
    for var in ("DATABASE_URL", "CELERY_BROKER_URL", "RAG_QDRANT_URL"):
        env.pop(var, None)
    _manage(env, "migrate", "--noinput")
    _manage(env, "createuser", "alice", "--role", "employee", "--password-stdin", stdin=PASSWORD)
    docs = write_pdfs(data / "handbook", HANDBOOK)
    secret = write_pdfs(data / "secret", SECRET)
    _manage(env, "ingest", *map(str, docs), "--collection", "handbook", "--create", "--wait")
    _manage(env, "ingest", *map(str, secret), "--collection", "secret", "--create", "--wait")
    _manage(env, "grant", "--collection", "handbook", "--user", "alice")
    secret_id = _manage(
        env, "shell", "-c",
        "from ingestion.models import Document; "
        "print(Document.objects.get(collection__slug='secret').pk)",
    ).strip().splitlines()[-1]  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("server did not start: " + (server.stdout.read() if server.stdout else ""))
    yield {"base": base, "secret_id": int(secret_id)}
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def _login(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120)
    client.get("/accounts/login/")
    client.post(
        "/accounts/login/",
        data={"username": "alice", "password": PASSWORD,
              "csrfmiddlewaretoken": client.cookies["csrftoken"]},
    )  # fmt: skip
    assert "sessionid" in client.cookies
    return client


@pytest.mark.e2e
def test_waitress_streams_checked_sentences_as_they_come(live_stack):
    client = _login(live_stack["base"])
    headers = {"X-CSRFToken": client.cookies["csrftoken"], "HX-Request": "true"}
    ask = client.post("/chat/ask", data={"question": QUESTION}, headers=headers)
    assert ask.status_code == 200
    url = re.search(r'sse-connect="([^"]+)"', ask.text).group(1)  # type: ignore[union-attr]
    reads: list[str] = []
    with client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for chunk in response.iter_raw():
            reads.append(chunk.decode())
    body = "".join(reads)
    # Text is released sentence by sentence once checked (issue 20), so the number of token
    # events is the number of sentences; what matters here is that waitress does not buffer:
    # a checked sentence reaches the client in its own network read, before the end.
    early = [r for r in reads if "event: token" in r and "event: done" not in r]
    assert early, reads
    assert "event: done" not in reads[0] and "event: done" in body
    assert body.index("event: token") < body.index("event: done")
    # alice may not fetch a file from a collection she cannot read
    assert client.get(f"/chat/documents/{live_stack['secret_id']}/file").status_code == 404


@pytest.mark.browser
@pytest.mark.e2e
def test_browser_ask_stream_and_open_a_citation(live_stack, tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.chat.browser import launch_chromium

    base = live_stack["base"]
    with sync_playwright() as playwright:
        context = launch_chromium(playwright, tmp_path / "chromium-profile")
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "alice")
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/chat/")
            errors.clear()  # from here on: the chat page only
            page.fill("#question", QUESTION)
            page.click("#ask-form button[type=submit]")
            # While streaming: text appears in the streaming body before the final answer.
            page.wait_for_function(
                "() => { const b = document.querySelector('.answer-streaming .answer-body');"
                " return b && b.textContent.trim().length > 0; }",
                timeout=60000,
            )
            page.wait_for_selector(".answer.answer-done", timeout=120000)
            assert page.input_value("#question") == ""
            # Source 1 (the citation list orders each document's links by page, not by [n]).
            page.click('.answer-done .citations a.cite-source[href$="/sources/1"]')
            page.wait_for_selector("#source-panel .passage", timeout=10000)
            panel = page.inner_text("#source-panel")
            assert "travel-policy" in panel and "145 euros" in panel
            assert page.locator("#source-panel mark").count() == 1
            assert "Page 2" in panel
            assert not [e for e in errors if "Content Security Policy" in e], errors
            response = page.goto(f"{base}/chat/documents/{live_stack['secret_id']}/file")
            assert response is not None and response.status == 404
        finally:
            context.close()
