"""The model behind a route, and what an answer through it cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from assistant.backends.llm import LLM
from assistant.chat.routing.config import RouteConfig

if TYPE_CHECKING:
    from assistant.chat.models import Exchange


def llm_for(route: RouteConfig) -> LLM:
    """In-process routes share the process-wide model; a server route gets a fresh, cheap client
    per request (it holds that request's token usage)."""
    from assistant.backends.llm import FakeLLM, get_llm, local_llm
    from assistant.backends.llm_openai import OpenAICompatibleLLM

    if route.kind == "llamacpp":
        return local_llm()
    if route.kind == "fake":
        return get_llm() if settings.RAG_LLM_BACKEND == "fake" else FakeLLM()
    return OpenAICompatibleLLM(
        base_url=route.url,
        model=route.model,
        api_key=route.api_key,
        timeout=route.timeout,
        context_length=route.context,
        is_local=route.local,
    )


def route_cost(
    route: RouteConfig, *, prompt_tokens: int, completion_tokens: int, busy_seconds: float
) -> float | None:
    """Estimated cost in RAG_COST_CURRENCY. Token-billed when the route has a price (its own
    price_per_million, else RAG_CLOUD_PRICES for its model name); otherwise the busy time of a
    self-hosted machine (the route's cost_per_hour, else assistant.costs). None for an external
    route without any known price: better no figure than a wrong one."""
    from assistant.costs import TokenPrice, cloud_prices, self_hosted_cost

    price: TokenPrice | None = None
    if route.price_per_million is not None:
        price = TokenPrice(route.name, *route.price_per_million)
    elif not route.local:
        price = next((p for p in cloud_prices() if p.name == route.model), None)
    if price is not None:
        return price.cost(prompt_tokens, completion_tokens)
    if route.cost_per_hour is not None:
        return route.cost_per_hour * max(0.0, busy_seconds) / 3600
    if not route.local:
        return None
    return self_hosted_cost(busy_seconds)


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
