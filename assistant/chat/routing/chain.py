"""Book-keeping of one exchange's trip down its route chain: which routes were skipped and why,
each attempt's outcome and duration (Exchange.route_attempts), the breakers and the metrics.
The answering pipeline (assistant.chat.answering._generate) drives it and builds each prompt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from assistant.backends.llm import LLM, LLMError, LLMRateLimited, LLMTimedOut, LLMUnavailable
from assistant.chat.models import Exchange
from assistant.chat.routing import breaker
from assistant.chat.routing.config import RouteConfig
from assistant.chat.routing.policy import (
    RouteDecision,
    RouteRequest,
    choose_routes,
    current_policy,
    highest_sensitivity,
)

logger = logging.getLogger(__name__)

OK, ERROR, TIMEOUT, RATE_LIMITED = "ok", "error", "timeout", "rate_limited"
BREAKER_OPEN, SKIPPED_SENSITIVITY = "breaker_open", "skipped_sensitivity"


class RouteRun:
    """The chain of one exchange. Attempts are appended to exchange.route_attempts in order."""

    def __init__(self, exchange: Exchange, decision: RouteDecision, sensitivity: str) -> None:
        self.exchange = exchange
        self.decision = decision
        self.sensitivity = sensitivity
        self.last_error: LLMError | None = None
        self.exchange.route_attempts = []
        self.exchange.metrics = {
            **exchange.metrics,
            "routing": {
                "rule": decision.rule.index,
                "sensitivity": sensitivity,
                "local_fallback": decision.local_fallback,
            },
        }
        for route in decision.skipped:
            self._record(route, SKIPPED_SENSITIVITY, model=route.model or route.kind)

    @classmethod
    def start(cls, exchange: Exchange, collection_ids: Iterable[int]) -> RouteRun:
        """Choose the chain for `exchange`, whose prompt would carry data of `collection_ids`."""
        from assistant.accounts.roles import user_roles

        sensitivity = highest_sensitivity(collection_ids)
        request = RouteRequest(
            sensitivity=sensitivity,
            question_chars=len(exchange.question),
            language=exchange.language,
            roles=frozenset(user_roles(exchange.user)),
        )
        return cls(exchange, choose_routes(current_policy(), request), sensitivity)

    @property
    def chain(self) -> tuple[RouteConfig, ...]:
        return self.decision.chain

    def candidates(self) -> Iterator[RouteConfig]:
        """The routes to try, in order; an open breaker skips its route without a request."""
        for route in self.chain:
            if not breaker.allow(route):
                self._record(route, BREAKER_OPEN, model=route.model or route.kind)
                continue
            yield route

    def failed(self, route: RouteConfig, llm: LLM, exc: LLMError, begun: float) -> None:
        """An attempt failed. Transient failures (down, 5xx, timeout, 429) count against the
        route's breaker and the chain moves on; others end the exchange."""
        self.last_error = exc
        if isinstance(exc, LLMRateLimited):
            outcome = RATE_LIMITED
        elif isinstance(exc, LLMTimedOut):
            outcome = TIMEOUT
        else:
            outcome = ERROR
        if isinstance(exc, LLMUnavailable):
            retry_after = exc.retry_after if isinstance(exc, LLMRateLimited) else None
            breaker.record_failure(route.name, retry_after=retry_after)
        logger.warning("route %s failed (%s): %s", route.name, outcome, exc)
        self._record(route, outcome, model=llm.model_id, error=str(exc)[:200], begun=begun)

    def answering(self, route: RouteConfig, llm: LLM, begun: float) -> None:
        """The first token arrived: this route answers (no fallback from here on)."""
        breaker.record_success(route.name)
        self.exchange.route = route.name
        self._record(route, OK, model=llm.model_id, begun=begun)

    def finished(self, begun: float) -> None:
        """The answering attempt's duration covers the whole generation."""
        self.exchange.route_attempts[-1]["ms"] = _ms(begun)

    def _record(
        self,
        route: RouteConfig,
        outcome: str,
        *,
        model: str,
        error: str = "",
        begun: float | None = None,
    ) -> None:
        from assistant.metrics import observe_route_attempt

        attempt: dict[str, Any] = {
            "route": route.name,
            "model": model,
            "local": route.local,
            "outcome": outcome,
            "error": error,
            "ms": _ms(begun) if begun is not None else 0.0,
        }
        self.exchange.route_attempts = [*self.exchange.route_attempts, attempt]
        observe_route_attempt(route.name, outcome)


def _ms(begun: float) -> float:
    return round((time.perf_counter() - begun) * 1000, 2)
