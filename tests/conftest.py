"""Root conftest: the shared fixture plugins (tests/fixtures/; pytest only reads `pytest_plugins`
here) and the isolation every test gets. Named users: alice (employee, collection A), bob
(employee, collection B), ada (admin), carl (compliance), in tests/fixtures/users.py."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.fixtures.users",
    "tests.fixtures.chat_corpus",
    "tests.fixtures.routing_servers",
]


@pytest.fixture(autouse=True)
def isolated_data_dir(settings, tmp_path: Path) -> Path:
    """Every test gets its own files and Qdrant folder, like a temporary RAG_DATA_DIR."""
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.RAG_QDRANT_PATH = tmp_path / "qdrant"
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_process_cache():
    """Rate-limit counters, cancel flags and breaker states live in Django's cache; in-process
    (locmem) they would leak from one test to the next. A Redis cache is left alone: it is the
    Celery broker's database too, and those tests clean up after themselves."""
    from django.conf import settings as django_settings
    from django.core.cache import cache

    if "locmem" in django_settings.CACHES["default"]["BACKEND"].lower():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """A request with Accept-Language: fr leaves French active in this thread (LocaleMiddleware
    activates it and nothing switches back outside a request cycle): the next test would build
    its messages in French."""
    yield
    from django.utils import translation

    translation.deactivate()
