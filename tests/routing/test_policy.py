"""The routing table: rules on sensitivity, length, language and role, first match wins, and
the invariant that confidential or secret data never goes to a non-local route."""

from __future__ import annotations

import pytest

from assistant.chat.routing.config import parse_policy
from assistant.chat.routing.policy import RouteRequest, choose_routes, highest_sensitivity

POLICY = parse_policy(
    {
        "routes": {
            "local": {"kind": "llamacpp"},
            "big": {"kind": "openai", "url": "http://gpu:8080/v1", "model": "qwen", "local": True},
            "cloud": {"kind": "openai", "url": "https://api.example.com/v1", "model": "gpt"},
            "eu": {"kind": "openai", "url": "https://eu.example.com/v1", "model": "mistral"},
        },
        "rules": [
            {"sensitivity": ["confidential", "secret"], "routes": ["big", "local"]},
            {"min_chars": 400, "routes": ["big", "local"]},
            {"languages": ["fr"], "roles": ["compliance"], "routes": ["eu", "local"]},
            {"max_chars": 20, "routes": ["local"]},
            {"routes": ["cloud", "big", "local"]},
        ],
    }
)


def _request(sensitivity="internal", chars=100, language="en", roles=("employee",)):
    return RouteRequest(sensitivity, chars, language, frozenset(roles))


@pytest.mark.parametrize(
    ("request_", "rule", "chain"),
    [
        (_request(sensitivity="secret"), 0, ["big", "local"]),
        (_request(sensitivity="confidential", chars=900), 0, ["big", "local"]),  # first match
        (_request(chars=400), 1, ["big", "local"]),
        (_request(chars=399), 4, ["cloud", "big", "local"]),
        (_request(language="fr", roles=("compliance", "admin")), 2, ["eu", "local"]),
        (_request(language="fr", roles=("employee",)), 4, ["cloud", "big", "local"]),  # all conditions
        (_request(language="en", roles=("compliance",)), 4, ["cloud", "big", "local"]),
        (_request(chars=20), 3, ["local"]),
        (_request(sensitivity="public"), 4, ["cloud", "big", "local"]),
    ],
)  # fmt: skip
def test_first_matching_rule_gives_the_chain(request_, rule, chain):
    decision = choose_routes(POLICY, request_)
    assert decision.rule.index == rule
    assert [r.name for r in decision.chain] == chain
    assert decision.skipped == ()


@pytest.mark.parametrize("level", ["confidential", "secret"])
def test_sensitive_data_never_gets_a_non_local_route_even_if_a_rule_says_so(level):
    policy = parse_policy(
        {
            "routes": {
                "local": {"kind": "llamacpp"},
                "cloud": {"kind": "openai", "url": "https://api.example.com/v1", "model": "gpt"},
                "big": {"kind": "openai", "url": "http://gpu/v1", "model": "q", "local": True},
            },
            "rules": [{"routes": ["cloud", "big", "local"]}],
        }
    )  # fmt: skip
    decision = choose_routes(policy, _request(sensitivity=level))
    assert [r.name for r in decision.chain] == ["big", "local"]
    assert [r.name for r in decision.skipped] == ["cloud"]
    assert not decision.local_fallback


def test_an_emptied_chain_falls_back_to_the_local_model_or_to_nothing():
    routes = {
        "local": {"kind": "llamacpp"},
        "cloud": {"kind": "openai", "url": "https://api.example.com/v1", "model": "gpt"},
    }
    with_local = parse_policy({"routes": routes, "rules": [{"routes": ["cloud"]}]})
    decision = choose_routes(with_local, _request(sensitivity="secret"))
    assert [r.name for r in decision.chain] == ["local"] and decision.local_fallback
    without = parse_policy({"routes": {"cloud": routes["cloud"]}, "rules": [{"routes": ["cloud"]}]})
    decision = choose_routes(without, _request(sensitivity="confidential"))
    assert decision.chain == () and [r.name for r in decision.skipped] == ["cloud"]
    # internal data may go out
    assert [r.name for r in choose_routes(without, _request()).chain] == ["cloud"]


@pytest.mark.django_db
def test_request_sensitivity_is_the_highest_level_and_fails_closed():
    from ingestion.models import Collection

    public = Collection.objects.create(slug="p", name="P", sensitivity="public")
    internal = Collection.objects.create(slug="i", name="I", sensitivity="internal")
    secret = Collection.objects.create(slug="s", name="S", sensitivity="secret")
    assert highest_sensitivity([public.pk]) == "public"
    assert highest_sensitivity([public.pk, internal.pk]) == "internal"
    assert highest_sensitivity([public.pk, secret.pk, internal.pk]) == "secret"
    assert highest_sensitivity([]) == "public"
    assert highest_sensitivity([public.pk, 987654]) == "secret"  # deleted since: fail closed
