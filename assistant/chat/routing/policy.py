"""Choose the route chain of one request, then enforce the locality invariant.

The request's sensitivity is the highest level among the collections of the data that would
leave: the retrieved passages and the earlier turns sent as history (their answers came from
their own passages). An unknown collection (deleted since) counts as secret: fail closed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from assistant.chat.routing.config import (
    LOCAL_ONLY_LEVELS,
    SENSITIVITY_LEVELS,
    BackendDefaults,
    RouteConfig,
    RoutingPolicy,
    RoutingRule,
    build_policy,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RouteRequest:
    """What a rule may look at."""

    sensitivity: str
    question_chars: int
    language: str
    roles: frozenset[str]


@dataclass(frozen=True)
class RouteDecision:
    rule: RoutingRule
    chain: tuple[RouteConfig, ...]  # allowed routes, in fallback order
    skipped: tuple[RouteConfig, ...]  # removed by the invariant (non-local, sensitive data)
    local_fallback: bool  # the chain was emptied and the local model was put in its place


def rule_matches(rule: RoutingRule, request: RouteRequest) -> bool:
    if rule.sensitivity is not None and request.sensitivity not in rule.sensitivity:
        return False
    if rule.languages is not None and request.language.lower() not in rule.languages:
        return False
    if rule.roles is not None and not (rule.roles & request.roles):
        return False
    if rule.min_chars is not None and request.question_chars < rule.min_chars:
        return False
    return not (rule.max_chars is not None and request.question_chars > rule.max_chars)


def choose_routes(policy: RoutingPolicy, request: RouteRequest) -> RouteDecision:
    """The first matching rule's chain, minus non-local routes when the data is confidential or
    secret (whatever the rule says). If that empties the chain, the policy's in-process model
    takes its place when there is one; an empty chain means: answer with quotations."""
    rule = next(r for r in policy.rules if rule_matches(r, request))
    wanted = tuple(policy.routes[name] for name in rule.routes)
    if request.sensitivity not in LOCAL_ONLY_LEVELS:
        return RouteDecision(rule, wanted, (), local_fallback=False)
    chain = tuple(r for r in wanted if r.local)
    skipped = tuple(r for r in wanted if not r.local)
    if skipped:
        logger.warning(
            "rule %d sends %s data to non-local routes %s: skipped",
            rule.index,
            request.sensitivity,
            [r.name for r in skipped],
        )
    local_fallback = False
    if not chain:
        from assistant.backends.llm_factory import llm_backend_kinds

        in_process = {kind for kind, local in llm_backend_kinds().items() if local}
        chain = tuple(r for r in policy.routes.values() if r.kind in in_process)[:1]
        local_fallback = bool(chain)
    return RouteDecision(rule, chain, skipped, local_fallback)


def highest_sensitivity(collection_ids: Iterable[int]) -> str:
    """Highest Collection.sensitivity among `collection_ids`; "public" for none; "secret" when
    one of them no longer exists."""
    from ingestion.models import Collection

    wanted = {int(pk) for pk in collection_ids}
    if not wanted:
        return SENSITIVITY_LEVELS[0]
    found = dict(Collection.objects.filter(pk__in=wanted).values_list("pk", "sensitivity"))
    if len(found) < len(wanted):
        return SENSITIVITY_LEVELS[-1]
    ranks = [
        SENSITIVITY_LEVELS.index(level) if level in SENSITIVITY_LEVELS else len(SENSITIVITY_LEVELS)
        for level in found.values()
    ]
    return SENSITIVITY_LEVELS[min(max(ranks), len(SENSITIVITY_LEVELS) - 1)]


_cache_lock = threading.Lock()
_cached: tuple[str, RoutingPolicy] | None = None


def current_policy() -> RoutingPolicy:
    """The policy for the current settings, parsed once per distinct configuration."""
    global _cached
    import json

    defaults = BackendDefaults(
        backend=settings.RAG_LLM_BACKEND,
        url=settings.RAG_LLM_URL,
        model=settings.RAG_LLM_MODEL_NAME,
        api_key=settings.RAG_LLM_API_KEY,
        timeout=settings.RAG_LLM_TIMEOUT,
        fallback_local=settings.RAG_LLM_FALLBACK_LOCAL,
    )
    key = json.dumps([settings.RAG_ROUTING, repr(defaults)], sort_keys=True, default=str)
    with _cache_lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    policy = build_policy(settings.RAG_ROUTING, defaults)
    from assistant.chat.routing.breaker import track_breakers

    track_breakers(policy.routes.values())
    with _cache_lock:
        _cached = (key, policy)
    return policy
