"""Routing fixtures: real OpenAI-compatible SSE servers on loopback (what leaves the process is
what they receive), the chat corpus, and a clean breaker state per test."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.chat.conftest import chat_embedder, chat_users, corpus, synthetic_index  # noqa: F401

REPLY = "Employees receive 27 days of paid annual leave per year [1]."


@dataclass
class ModelServer:
    """One loopback server. `mode`: ok | error (500) | unauthorized (401) | slow (sleeps `delay`
    before answering) | rate_limited (429 with Retry-After `retry_after`)."""

    url: str = ""
    mode: str = "ok"
    reply: str = REPLY
    delay: float = 0.0
    retry_after: str | None = None
    usage: dict[str, int] | None = field(
        default_factory=lambda: {"prompt_tokens": 321, "completion_tokens": 12}
    )
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    @property
    def prompts(self) -> str:
        return json.dumps(self.received, ensure_ascii=False)


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.received.append(body)
            server.headers.append(dict(self.headers))
            if server.mode in ("error", "unauthorized"):
                self.send_response(500 if server.mode == "error" else 401)
                self.end_headers()
                return
            if server.mode == "rate_limited":
                self.send_response(429)
                if server.retry_after is not None:
                    self.send_header("Retry-After", server.retry_after)
                self.end_headers()
                return
            if server.mode == "slow":
                time.sleep(server.delay)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            words = server.reply.split(" ")
            for i, word in enumerate(words):
                chunk = {"choices": [{"delta": {"content": word if i == 0 else " " + word}}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if server.usage is not None:
                final = {"choices": [], "usage": {**server.usage, "total_tokens": 0}}
                self.wfile.write(f"data: {json.dumps(final)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def model_servers() -> Iterator[Any]:
    """A factory of loopback model servers, shut down after the test."""
    running: list[ThreadingHTTPServer] = []

    def start(**options: Any) -> ModelServer:
        server = ModelServer(**options)
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        running.append(httpd)
        server.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        return server

    yield start
    for httpd in running:
        httpd.shutdown()
        httpd.server_close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"


@pytest.fixture(autouse=True)
def clean_breakers(settings):
    from django.core.cache import cache

    settings.RAG_REVIEW_SAMPLE_RATE = 0
    settings.RAG_JUDGE_SAMPLE_RATE = 0
    settings.RAG_CACHE_ENABLED = False  # every question must reach the routes
    cache.clear()
    yield
    cache.clear()


def openai_route(server: ModelServer | str, *, local: bool = False, **extra: Any) -> dict:
    url = server if isinstance(server, str) else server.url
    return {"kind": "openai", "url": url, "model": "test-model", "local": local, **extra}
