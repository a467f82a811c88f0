"""The one LLM factory: registered kinds, the shared in-process model, fresh server clients, and
no fake in the product (the test settings register it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from assistant.backends.llm_factory import create_llm, get_llm, reset_llm
from assistant.backends.llm_openai import OpenAICompatibleLLM
from tests.fakes.llm import FakeLLM

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_models():
    reset_llm()
    yield
    reset_llm()


def test_an_in_process_kind_is_one_model_shared_by_the_process(settings):
    settings.RAG_LLM_BACKEND = "fake"
    shared = create_llm("fake")
    assert isinstance(shared, FakeLLM)
    # A route's arguments do not apply to an in-process model: it is the same instance.
    assert create_llm("fake", base_url="http://elsewhere/v1", model="other") is shared
    assert get_llm() is shared
    reset_llm()
    assert create_llm("fake") is not shared


def test_a_server_kind_is_a_fresh_client_per_call_from_plain_values(settings):
    settings.RAG_LLM_API_KEY = "settings-key"
    first = create_llm(
        "openai", base_url="http://gpu:8080/v1/", model="qwen", api_key="", timeout=7.0,
        context_length=4096, is_local=True,
    )  # fmt: skip
    assert isinstance(first, OpenAICompatibleLLM)
    assert (first.base_url, first.model_id, first.api_key, first.timeout) == (
        "http://gpu:8080/v1", "qwen", "", 7.0,
    )  # fmt: skip
    assert first.is_local and first.spec.context_length == 4096
    assert create_llm("openai", base_url="http://gpu:8080/v1", model="qwen") is not first


def test_get_llm_keeps_one_client_built_from_the_settings(settings):
    settings.RAG_LLM_BACKEND = "openai"
    settings.RAG_LLM_URL = "http://llm:8080/v1"
    settings.RAG_LLM_MODEL_NAME = "served-model"
    settings.RAG_LLM_API_KEY = "settings-key"
    client = get_llm()
    assert isinstance(client, OpenAICompatibleLLM)
    assert (client.base_url, client.model_id, client.api_key) == (
        "http://llm:8080/v1", "served-model", "settings-key",
    )  # fmt: skip
    assert not client.is_local
    assert get_llm() is client


def test_an_unknown_kind_is_refused_with_the_known_ones():
    with pytest.raises(ImproperlyConfigured, match=r"unknown LLM backend 'gpt'.*llamacpp"):
        create_llm("gpt")


def test_the_product_settings_know_no_fake(tmp_path):
    """Only tests/settings.py registers the fake: the product's settings neither build it nor
    accept RAG_LLM_BACKEND=fake from the environment."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "assistant.settings",
           "RAG_DATA_DIR": str(tmp_path)}  # fmt: skip
    env.pop("RAG_LLM_BACKEND", None)
    script = (
        "import django; django.setup()\n"
        "from django.core.exceptions import ImproperlyConfigured\n"
        "from assistant.backends.llm_factory import create_llm\n"
        "try:\n    create_llm('fake')\nexcept ImproperlyConfigured as exc:\n    print(exc)\n"
    )
    built = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert "unknown LLM backend 'fake'" in built.stdout, built.stderr
    chosen = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "RAG_LLM_BACKEND": "fake"}, cwd=ROOT, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert chosen.returncode != 0
    assert "RAG_LLM_BACKEND='fake': expected one of llamacpp, openai" in chosen.stderr
