"""A circuit breaker per route, its state in Django's cache (Redis in server mode, so every web
process and worker sees the same state; locmem in the embedded mode's single process).

Closed: requests go through; RAG_BREAKER_FAILURES consecutive failures open it. Open: the route
is skipped without a network call for RAG_BREAKER_COOLDOWN_S (or the server's Retry-After, when
it rate limits us). Half-open: after the cooldown one trial request goes through (an atomic
cache.add elects it); success closes the breaker, failure opens it again.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

from assistant.chat.routing.config import RouteConfig

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
MAX_RETRY_AFTER_S = 600.0  # a server asking for more is still retried after ten minutes
_STATE_TTL = 24 * 3600


def _keys(route: str) -> tuple[str, str, str]:
    base = f"rag:breaker:{route}"
    return f"{base}:failures", f"{base}:open_until", f"{base}:trial"


def state(route: str) -> str:
    _, open_key, _ = _keys(route)
    open_until = cache.get(open_key)
    if open_until is None:
        return CLOSED
    return OPEN if time.time() < float(open_until) else HALF_OPEN


def allow(route: RouteConfig) -> bool:
    """May a request go to `route` now? In half-open state only the caller that wins the trial
    gets True (the trial expires after the route's timeout, should its process die)."""
    current = state(route.name)
    if current == CLOSED:
        return True
    if current == OPEN:
        return False
    _, _, trial_key = _keys(route.name)
    return bool(cache.add(trial_key, 1, timeout=int(route.timeout) + 5))


def record_success(route: str) -> None:
    failures_key, open_key, trial_key = _keys(route)
    if cache.get(open_key) is not None:
        logger.info("route %s answered its trial request: breaker closed", route)
    cache.delete_many([failures_key, open_key, trial_key])


def record_failure(route: str, *, retry_after: float | None = None) -> None:
    """Count a failure; open the breaker at the threshold, after a failed trial, or at once for
    the Retry-After a rate-limiting server asked for."""
    failures_key, open_key, trial_key = _keys(route)
    cache.add(failures_key, 0, timeout=_STATE_TTL)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr
        cache.set(failures_key, 1, timeout=_STATE_TTL)
        failures = 1
    was_open = cache.get(open_key) is not None
    threshold = failures >= settings.RAG_BREAKER_FAILURES
    if not (was_open or threshold or retry_after):
        return
    cooldown = float(settings.RAG_BREAKER_COOLDOWN_S)
    if retry_after:
        cooldown = max(cooldown, min(float(retry_after), MAX_RETRY_AFTER_S))
    cache.set(open_key, time.time() + cooldown, timeout=_STATE_TTL)
    cache.delete(trial_key)
    logger.warning(
        "route %s: breaker open for %.1fs after %d consecutive failure(s)%s",
        route,
        cooldown,
        failures,
        " (trial failed)" if was_open else "",
    )


def reset(route: str) -> None:
    cache.delete_many(list(_keys(route)))


def track_breakers(routes: Iterable[RouteConfig]) -> None:
    """Export rag_route_breaker_open{route} for these routes, read from the shared state at each
    scrape (so every process reports what the cache holds, not what it saw itself)."""
    from assistant.metrics import track_route_breaker

    for route in routes:
        track_route_breaker(route.name, functools.partial(_is_open, route.name))


def _is_open(route: str) -> bool:
    try:
        return state(route) == OPEN
    except Exception:  # a scrape must not fail because the cache is down
        return False
