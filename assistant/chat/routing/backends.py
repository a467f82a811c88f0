"""The model behind a route, and the usage and cost of an answer through it (priced by
assistant.kpi.costing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.backends.llm import LLM
from assistant.backends.llm_factory import create_llm
from assistant.chat.routing.config import RouteConfig
from assistant.kpi.costing import route_cost

if TYPE_CHECKING:
    from assistant.chat.models import Exchange


def llm_for(route: RouteConfig) -> LLM:
    """The route's model, from the one LLM factory: in-process routes share the process-wide
    model; a server route gets a fresh, cheap client per request (it holds that request's token
    usage)."""
    return create_llm(
        route.kind,
        base_url=route.url,
        model=route.model,
        api_key=route.api_key,
        timeout=route.timeout,
        context_length=route.context,
        is_local=route.local,
    )


def record_usage_and_cost(
    exchange: Exchange, route: RouteConfig, llm: LLM, raw_answer: str, busy_seconds: float
) -> None:
    """Token counts from the server's `usage` when it sent one (else the prompt's own count and
    the model's tokenizer on the answer), and the estimated cost, set on the exchange."""
    usage = getattr(llm, "usage", None)
    if usage:
        exchange.prompt_tokens = usage["prompt_tokens"]
        exchange.completion_tokens = usage["completion_tokens"]
    else:
        exchange.completion_tokens = llm.count_tokens(raw_answer) if raw_answer else 0
    exchange.metrics = {**exchange.metrics, "token_counts": "server" if usage else "estimated"}
    exchange.estimated_cost = route_cost(
        route,
        prompt_tokens=exchange.prompt_tokens,
        completion_tokens=exchange.completion_tokens,
        busy_seconds=busy_seconds,
    )
