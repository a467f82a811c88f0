"""RAG_ROUTING parsing: a bad policy fails loudly, naming the route or rule at fault; the default
policy is derived from RAG_LLM_BACKEND."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from assistant.chat.routing.config import BackendDefaults, build_policy, parse_policy

ROUTES: dict[str, dict[str, Any]] = {
    "local": {"kind": "llamacpp"},
    "cloud": {"kind": "openai", "url": "https://api.example.com/v1", "model": "gpt-4o-mini"},
}


def _defaults(backend: str, fallback_local: bool = True) -> BackendDefaults:
    return BackendDefaults(
        backend=backend, url="http://llm:8080/v1/", model="m", api_key="k", timeout=7.0,
        fallback_local=fallback_local,
    )  # fmt: skip


def test_a_valid_policy_parses_into_routes_and_rules(monkeypatch):
    monkeypatch.setenv("CLOUD_KEY_FOR_TEST", "sk-test")
    cloud_spec = {**ROUTES["cloud"], "api_key_env": "CLOUD_KEY_FOR_TEST",
                  "price_per_million": [0.15, 0.6], "timeout": 5}  # fmt: skip
    policy = parse_policy(
        {
            "routes": {"local": ROUTES["local"], "cloud": cloud_spec},
            "rules": [{"sensitivity": ["secret"], "routes": ["local"]},
                      {"routes": ["cloud", "local"]}],
        }
    )  # fmt: skip
    cloud = policy.routes["cloud"]
    assert (cloud.local, cloud.timeout, cloud.price_per_million) == (False, 5.0, (0.15, 0.6))
    assert cloud.api_key == "sk-test" and "sk-test" not in repr(cloud)
    assert policy.routes["local"].local is True
    assert [r.routes for r in policy.rules] == [("local",), ("cloud", "local")]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"routes": ROUTES, "rules": [{"routes": ["nowhere"]}]}, r"rule 0: unknown routes \['nowhere'\]"),
        ({"routes": ROUTES, "rules": [{"min_chars": 10, "routes": ["local"]}]},
         "rule 0: the last rule must have no condition"),
        ({"routes": ROUTES, "rules": [{"sensitivity": ["top"], "routes": ["local"]}, {"routes": ["local"]}]},
         r"rule 0: sensitivity \['top'\] unknown"),
        ({"routes": ROUTES, "rules": [{"roles": ["boss"], "routes": ["local"]}, {"routes": ["local"]}]},
         r"rule 0: roles \['boss'\] unknown"),
        ({"routes": ROUTES, "rules": [{"min_chars": 9, "max_chars": 3, "routes": ["local"]}, {"routes": ["local"]}]},
         "rule 0: min_chars is above max_chars"),
        ({"routes": ROUTES, "rules": [{"routes": ["local"], "colour": "red"}]}, "rule 0: unknown conditions"),
        ({"routes": {"x": {"kind": "gpt"}}, "rules": [{"routes": ["x"]}]}, "route 'x': kind must be one of"),
        ({"routes": {"x": {"kind": "openai", "url": "ftp://h", "model": "m"}}, "rules": [{"routes": ["x"]}]},
         "route 'x': url must start with"),
        ({"routes": {"x": {"kind": "openai", "url": "http://h", "model": "m", "api_key": "sk"}},
          "rules": [{"routes": ["x"]}]}, "route 'x': never put a key in the policy"),
        ({"routes": {"x": {"kind": "openai", "url": "http://h", "model": "m",
                           "api_key_env": "ROUTING_TEST_UNSET_VARIABLE"}}, "rules": [{"routes": ["x"]}]},
         "route 'x': the environment variable ROUTING_TEST_UNSET_VARIABLE is empty or unset"),
        ({"routes": {"x": {"kind": "llamacpp", "local": False}}, "rules": [{"routes": ["x"]}]},
         "route 'x': a llamacpp route runs in this process"),
        ({"routes": {"x": {"kind": "openai", "url": "http://h", "model": "m", "price_per_million": [1]}},
          "rules": [{"routes": ["x"]}]}, "route 'x': price_per_million"),
        ({"routes": ROUTES}, '"rules" must be a non-empty list'),
        ([], "expected an object"),
    ],
)  # fmt: skip
def test_bad_policies_name_what_is_wrong(policy, message):
    with pytest.raises(ImproperlyConfigured, match="RAG_ROUTING: " + message):
        parse_policy(policy)


def test_openai_routes_are_external_unless_they_say_otherwise():
    policy = parse_policy({"routes": ROUTES, "rules": [{"routes": ["cloud"]}]})
    assert policy.routes["cloud"].local is False


@pytest.mark.parametrize(
    ("backend", "fallback_local", "chain", "localities"),
    [
        ("llamacpp", True, ("local",), [True]),
        ("fake", True, ("fake",), [True]),
        ("openai", True, ("server", "local"), [False, True]),
        ("openai", False, ("server",), [False]),
    ],
)
def test_empty_setting_derives_the_policy_from_the_backend(
    backend, fallback_local, chain, localities
):
    policy = build_policy({}, _defaults(backend, fallback_local))
    assert policy.derived and len(policy.rules) == 1
    assert policy.rules[0].routes == chain
    assert [policy.routes[name].local for name in chain] == localities
    if backend == "openai":
        server = policy.routes["server"]
        assert (server.url, server.model, server.timeout) == ("http://llm:8080/v1", "m", 7.0)


def test_a_bad_policy_stops_start_up(tmp_path):
    """Validated when settings load (django.setup), not at the first question; @file works."""
    bad = tmp_path / "routing.json"
    bad.write_text(json.dumps({"routes": ROUTES, "rules": [{"routes": ["cloud", "gpu"]}]}))
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path), "RAG_ROUTING": f"@{bad}",
           "DJANGO_SETTINGS_MODULE": "assistant.settings"}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "RAG_ROUTING: rule 0: unknown routes ['gpu']" in result.stderr
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"routes": ROUTES, "rules": [{"routes": ["cloud", "local"]}]}))
    env["RAG_ROUTING"] = f"@{good}"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
