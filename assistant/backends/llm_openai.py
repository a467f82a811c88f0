"""The OpenAI-compatible backend (llama-server, vLLM, an external API): /v1/chat/completions
streamed over SSE with timeouts, Retry-After kept for the circuit breaker, and the server's token
usage kept when it sends one. Errors map onto assistant.backends.llm's LLMError family."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from django.conf import settings

from assistant.backends.chat_templates import split_chatml
from assistant.backends.llm import (
    CancelCheck,
    LLMError,
    LLMRateLimited,
    LLMTimedOut,
    LLMUnavailable,
)
from assistant.backends.model_registry import ModelSpec, current_model_spec

logger = logging.getLogger(__name__)


class OpenAICompatibleLLM:
    """Streams /v1/chat/completions from an OpenAI-compatible server. The server applies its own
    chat template, so the ChatML prompt is split back into messages before sending.

    Arguments default to the RAG_LLM_* settings; a routing policy passes its route's. One
    instance per request when routed: `usage` holds the server's token counts after a stream
    (None when it sent none)."""

    is_local = False

    def __init__(
        self,
        *,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        context_length: int | None = None,
        is_local: bool = False,
    ) -> None:
        self.base_url = (base_url if base_url is not None else settings.RAG_LLM_URL).rstrip("/")
        self.model_id = model or settings.RAG_LLM_MODEL_NAME
        self.api_key = api_key if api_key is not None else settings.RAG_LLM_API_KEY
        self.timeout = float(timeout or settings.RAG_LLM_TIMEOUT)
        self.is_local = is_local
        self.model_sha256 = ""
        self.usage: dict[str, int] | None = None
        local = current_model_spec()
        self.spec = ModelSpec(
            name=self.model_id,
            path=local.path,
            sha256="",
            licence="unknown",
            quantisation="server",
            context_length=context_length or settings.RAG_MODEL_CONTEXT,
            chat_template="chatml",
            languages=(),
        )

    def count_tokens(self, text: str) -> int:
        # The server's tokenizer is not reachable cheaply; ~3.5 characters per token over-counts
        # a little for English and French, which keeps the prompt inside the window.
        return max(1, int(len(text) / 3.5) + 1)

    def stream(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: list[str],
        should_stop: CancelCheck | None = None,
    ) -> Iterator[str]:
        self.usage = None
        yield from self._stream_server(split_chatml(prompt), max_tokens, stop, should_stop)

    def _stream_server(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        stop: list[str],
        should_stop: CancelCheck | None,
    ) -> Iterator[str]:
        import httpx

        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {
            "model": self.model_id,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stop": stop,
            "stream": True,
            # The server's own token counts in a last chunk (cost and KPIs need real numbers).
            "stream_options": {"include_usage": True},
        }
        timeout = httpx.Timeout(self.timeout, connect=min(5.0, self.timeout))
        produced = False
        try:
            with (
                httpx.Client(timeout=timeout) as client,
                client.stream(
                    "POST", f"{self.base_url}/chat/completions", json=body, headers=headers
                ) as response,
            ):
                if response.status_code == 429:
                    raise LLMRateLimited(
                        "model server rate limited the request (429)",
                        _retry_after(response.headers.get("Retry-After")),
                    )
                if response.status_code >= 500:
                    raise LLMUnavailable(f"model server answered {response.status_code}")
                if response.status_code >= 400:
                    raise LLMError(f"model server refused the request ({response.status_code})")
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        continue
                    if not isinstance(chunk, dict):
                        continue
                    self._keep_usage(chunk.get("usage"))
                    choices = chunk.get("choices") or [{}]
                    first = choices[0] if isinstance(choices[0], dict) else {}
                    delta = first.get("delta") or {}
                    text = delta.get("content") or ""
                    if text:
                        produced = True
                        yield text
                    if should_stop is not None and should_stop():
                        break
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise LLMUnavailable(f"model server unreachable: {type(exc).__name__}") from exc
        except httpx.TimeoutException as exc:
            if not produced:
                raise LLMTimedOut(f"model server timed out: {type(exc).__name__}") from exc
            raise LLMError("the model server stopped answering") from exc

    def _keep_usage(self, usage: object) -> None:
        if isinstance(usage, dict):
            prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
            if isinstance(prompt, int) and isinstance(completion, int):
                self.usage = {"prompt_tokens": prompt, "completion_tokens": completion}


def _retry_after(value: str | None) -> float | None:
    """Seconds of a Retry-After header; None when absent or an HTTP date (not worth parsing)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
