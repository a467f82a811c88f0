"""Routing fixtures: a clean breaker state per test. The loopback model servers are in
tests/fixtures/routing_servers.py, the chat corpus in tests/fixtures/chat_corpus.py."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def clean_breakers(settings):
    from django.core.cache import cache

    settings.RAG_REVIEW_SAMPLE_RATE = 0
    settings.RAG_JUDGE_SAMPLE_RATE = 0
    settings.RAG_CACHE_ENABLED = False  # every question must reach the routes
    cache.clear()
    yield
    cache.clear()
