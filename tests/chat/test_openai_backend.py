"""The OpenAI-compatible backend against a small SSE server on loopback (what leaves the process).
Its fallback to the local model is the route chain's (tests/routing)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.backends.llm import LLMUnavailable
from assistant.backends.llm_openai import OpenAICompatibleLLM
from assistant.chat.prompting import Source, build_prompt


class _Handler(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in ["The rate ", "is 145 ", "euros [1]."]:
            chunk = {"choices": [{"delta": {"content": piece}}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def model_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _prompt(llm: OpenAICompatibleLLM) -> str:
    return build_prompt(
        question="Hotel rate?", language="en", sources=[Source(1, "Travel", 2, "145 euros")],
        history=[], tokenizer=llm, context_length=2048, max_answer_tokens=64,
    ).text  # fmt: skip


def test_streams_chat_completions_as_messages(settings, model_server):
    settings.RAG_LLM_URL = model_server
    settings.RAG_LLM_API_KEY = "secret-token"
    llm = OpenAICompatibleLLM()
    pieces = list(llm.stream(_prompt(llm), max_tokens=64, stop=["<|im_end|>"]))
    assert "".join(pieces) == "The rate is 145 euros [1]."
    sent = _Handler.received[-1]
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert "145 euros" in sent["messages"][1]["content"]
    assert sent["stream"] is True and sent["max_tokens"] == 64
    assert llm.is_local is False


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_down_raises_unavailable_and_the_route_chain_falls_back(settings, db):
    """The backend itself never falls back (the route chain does, assistant.chat.routing): with
    RAG_LLM_FALLBACK_LOCAL the derived chain is [server, local], without it [server]."""
    from assistant.chat.routing.policy import current_policy

    settings.RAG_LLM_URL = f"http://127.0.0.1:{_closed_port()}/v1"
    llm = OpenAICompatibleLLM()
    with pytest.raises(LLMUnavailable, match="unreachable"):
        list(llm.stream(_prompt(llm), max_tokens=8, stop=["<|im_end|>"]))
    settings.RAG_LLM_BACKEND = "openai"
    settings.RAG_ROUTING = {}
    settings.RAG_LLM_FALLBACK_LOCAL = False
    assert current_policy().rules[0].routes == ("server",)
    settings.RAG_LLM_FALLBACK_LOCAL = True
    policy = current_policy()
    assert policy.rules[0].routes == ("server", "local")
    assert policy.routes["server"].local is False and policy.routes["local"].kind == "llamacpp"
