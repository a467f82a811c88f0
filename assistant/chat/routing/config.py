"""RAG_ROUTING: the routing policy as frozen dataclasses, validated loudly.

Shape (JSON, or `@/path/file.json`):

    {"routes": {"local": {"kind": "llamacpp"},
                "big": {"kind": "openai", "url": "http://gpu:8080/v1", "model": "qwen2.5-14b",
                        "local": true, "timeout": 30, "api_key_env": "BIG_API_KEY"},
                "cloud": {"kind": "openai", "url": "https://api.example.com/v1",
                          "model": "gpt-4o-mini", "api_key_env": "CLOUD_API_KEY",
                          "price_per_million": [0.15, 0.60]}},
     "rules": [{"sensitivity": ["confidential", "secret"], "routes": ["big", "local"]},
               {"min_chars": 400, "routes": ["big", "local"]},
               {"routes": ["cloud", "big", "local"]}]}

The first rule whose conditions all hold gives the chain; the last rule must have no condition
(the default chain). An OpenAI-compatible route is external (`local: false`) unless it says
otherwise: a forgotten flag must never let confidential data leave. API keys are read from the
environment variable named by `api_key_env`, never from the JSON.

This module is imported by settings.py: stdlib and envconfig only, no django.conf.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from assistant.envconfig import env_str

SENSITIVITY_LEVELS = ("public", "internal", "confidential", "secret")
# Material at these levels never goes to a route with local=false, whatever the rules say.
LOCAL_ONLY_LEVELS = frozenset({"confidential", "secret"})
ROLES = (
    "employee",
    "admin",
    "compliance",
)  # assistant.accounts.roles.ROLES (not imported: settings time)

_ROUTE_KEYS = {
    "kind", "url", "model", "local", "timeout", "api_key_env", "price_per_million",
    "cost_per_hour", "context",
}  # fmt: skip
_RULE_KEYS = {"routes", "sensitivity", "languages", "roles", "min_chars", "max_chars"}


@dataclass(frozen=True)
class RouteConfig:
    name: str
    kind: str
    local: bool
    url: str = ""
    model: str = ""
    timeout: float = 60.0
    api_key: str = field(default="", repr=False)  # never logged
    context: int | None = None
    price_per_million: tuple[float, float] | None = None  # external APIs: billed per token
    cost_per_hour: float | None = None  # self-hosted servers with their own cost per hour


@dataclass(frozen=True)
class RoutingRule:
    index: int
    routes: tuple[str, ...]
    sensitivity: frozenset[str] | None = None
    languages: frozenset[str] | None = None
    roles: frozenset[str] | None = None
    min_chars: int | None = None
    max_chars: int | None = None

    @property
    def is_default(self) -> bool:
        return all(
            value is None
            for value in (
                self.sensitivity, self.languages, self.roles, self.min_chars, self.max_chars
            )
        )  # fmt: skip


@dataclass(frozen=True)
class RoutingPolicy:
    routes: Mapping[str, RouteConfig]
    rules: tuple[RoutingRule, ...]
    derived: bool = False  # built from RAG_LLM_BACKEND because RAG_ROUTING is empty


@dataclass(frozen=True)
class BackendDefaults:
    """The single-backend settings the default policy is derived from."""

    backend: str
    url: str
    model: str
    api_key: str
    timeout: float
    fallback_local: bool


def build_policy(raw: object, defaults: BackendDefaults) -> RoutingPolicy:
    """The policy of RAG_ROUTING, or the one derived from RAG_LLM_BACKEND when it is empty.
    Raises ImproperlyConfigured naming the route or rule at fault."""
    if raw in (None, {}, ""):
        return derived_policy(defaults)
    return parse_policy(raw)


def derived_policy(defaults: BackendDefaults) -> RoutingPolicy:
    """Today's behaviour as a policy: llamacpp -> [local]; openai -> [server]
    plus [local] when RAG_LLM_FALLBACK_LOCAL (the server's fallback now lives in the chain)."""
    if defaults.backend == "openai":
        server = RouteConfig(
            name="server", kind="openai", local=False, url=defaults.url.rstrip("/"),
            model=defaults.model, timeout=defaults.timeout, api_key=defaults.api_key,
        )  # fmt: skip
        routes = {"server": server}
        if defaults.fallback_local:
            routes["local"] = RouteConfig(name="local", kind="llamacpp", local=True)
        chain = tuple(routes)
    else:
        # another in-process kind (a test double registered by the test settings) names its route
        name = "local" if defaults.backend == "llamacpp" else defaults.backend
        routes = {name: RouteConfig(name=name, kind=defaults.backend, local=True)}
        chain = (name,)
    return RoutingPolicy(routes=routes, rules=(RoutingRule(index=0, routes=chain),), derived=True)


def parse_policy(raw: object) -> RoutingPolicy:
    if not isinstance(raw, dict):
        raise _bad('expected an object {"routes": {...}, "rules": [...]}')
    unknown = set(raw) - {"routes", "rules"}
    if unknown:
        raise _bad(f"unknown keys {sorted(unknown)} (expected routes and rules)")
    routes_raw = raw.get("routes")
    if not isinstance(routes_raw, dict) or not routes_raw:
        raise _bad('"routes" must be a non-empty object of named routes')
    routes = {name: _parse_route(name, spec) for name, spec in routes_raw.items()}
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list) or not rules_raw:
        raise _bad('"rules" must be a non-empty list')
    rules = tuple(_parse_rule(i, spec, routes) for i, spec in enumerate(rules_raw))
    if not rules[-1].is_default:
        raise _bad(
            f"rule {len(rules) - 1}: the last rule must have no condition (the default chain)"
        )
    return RoutingPolicy(routes=routes, rules=rules)


def _parse_route(name: object, spec: object) -> RouteConfig:
    where = f"route {name!r}"
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise _bad(f"{where}: names are letters, digits, - and _")
    if not isinstance(spec, dict):
        raise _bad(f"{where}: expected an object")
    if "api_key" in spec:
        raise _bad(f"{where}: never put a key in the policy; name its variable in api_key_env")
    unknown = set(spec) - _ROUTE_KEYS
    if unknown:
        raise _bad(f"{where}: unknown keys {sorted(unknown)}")
    from assistant.backends.llm_factory import llm_backend_kinds

    kinds = llm_backend_kinds()
    kind = spec.get("kind")
    if kind not in kinds:
        raise _bad(f"{where}: kind must be one of {', '.join(sorted(kinds))}")
    if kinds[kind]:  # in process
        if spec.get("local", True) is not True:
            raise _bad(f"{where}: a {kind} route runs in this process, it cannot be local=false")
        if set(spec) - {"kind", "local", "cost_per_hour"}:
            raise _bad(f"{where}: a {kind} route takes only kind, local and cost_per_hour")
        return RouteConfig(
            name=name, kind=kind, local=True, cost_per_hour=_cost_per_hour(where, spec)
        )
    url = spec.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise _bad(f"{where}: url must start with http:// or https://")
    model = spec.get("model")
    if not isinstance(model, str) or not model:
        raise _bad(f"{where}: model (the name sent to the server) is required")
    local = spec.get("local", False)
    if not isinstance(local, bool):
        raise _bad(f"{where}: local must be true or false")
    timeout = spec.get("timeout", 60)
    if not _number(timeout) or timeout <= 0:
        raise _bad(f"{where}: timeout must be a positive number of seconds")
    api_key = ""
    api_key_env = spec.get("api_key_env")
    if api_key_env is not None:
        if not isinstance(api_key_env, str) or not api_key_env:
            raise _bad(f"{where}: api_key_env must name an environment variable")
        api_key = env_str(api_key_env, "").strip()
        if not api_key:
            raise _bad(f"{where}: the environment variable {api_key_env} is empty or unset")
    price = spec.get("price_per_million")
    if price is not None and not (
        isinstance(price, list) and len(price) == 2 and all(_number(p) and p >= 0 for p in price)
    ):
        raise _bad(f"{where}: price_per_million must be [input, output] per million tokens")
    context = spec.get("context")
    if context is not None and not (isinstance(context, int) and context >= 512):
        raise _bad(f"{where}: context must be an integer of at least 512 tokens")
    return RouteConfig(
        name=name, kind=kind, local=local, url=url.rstrip("/"), model=model,
        timeout=float(timeout), api_key=api_key, context=context,
        price_per_million=(float(price[0]), float(price[1])) if price else None,
        cost_per_hour=_cost_per_hour(where, spec),
    )  # fmt: skip


def _parse_rule(index: int, spec: object, routes: Mapping[str, RouteConfig]) -> RoutingRule:
    where = f"rule {index}"
    if not isinstance(spec, dict):
        raise _bad(f"{where}: expected an object")
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise _bad(f"{where}: unknown conditions {sorted(unknown)}")
    chain = spec.get("routes")
    if not isinstance(chain, list) or not chain or not all(isinstance(r, str) for r in chain):
        raise _bad(f"{where}: routes must be a non-empty list of route names")
    missing = [r for r in chain if r not in routes]
    if missing:
        raise _bad(f"{where}: unknown routes {missing}")
    if len(set(chain)) != len(chain):
        raise _bad(f"{where}: a route appears twice in the chain")
    sensitivity = _string_set(where, spec, "sensitivity", SENSITIVITY_LEVELS)
    roles = _string_set(where, spec, "roles", ROLES)
    languages = _string_set(where, spec, "languages", None)
    min_chars, max_chars = _chars(where, spec, "min_chars"), _chars(where, spec, "max_chars")
    if min_chars is not None and max_chars is not None and min_chars > max_chars:
        raise _bad(f"{where}: min_chars is above max_chars")
    return RoutingRule(
        index=index, routes=tuple(chain), sensitivity=sensitivity, languages=languages,
        roles=roles, min_chars=min_chars, max_chars=max_chars,
    )  # fmt: skip


def _chars(where: str, spec: dict[str, Any], key: str) -> int | None:
    value = spec.get(key)
    if value is not None and not (isinstance(value, int) and value >= 0):
        raise _bad(f"{where}: {key} must be a non-negative integer")
    return value


def _string_set(
    where: str, spec: dict[str, Any], key: str, allowed: tuple[str, ...] | None
) -> frozenset[str] | None:
    if key not in spec:
        return None
    values = spec[key]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise _bad(f"{where}: {key} must be a non-empty list of strings")
    values = [v.strip().lower() for v in values]
    if allowed is not None:
        wrong = sorted(set(values) - set(allowed))
        if wrong:
            raise _bad(f"{where}: {key} {wrong} unknown (expected {', '.join(allowed)})")
    return frozenset(values)


def _cost_per_hour(where: str, spec: dict[str, Any]) -> float | None:
    value = spec.get("cost_per_hour")
    if value is not None and not (_number(value) and value >= 0):
        raise _bad(f"{where}: cost_per_hour must be a non-negative number")
    return float(value) if value is not None else None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bad(message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"RAG_ROUTING: {message}")
