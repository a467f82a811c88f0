"""Shared fixtures. Named users: alice (employee, collection A), bob (employee, collection B),
ada (admin), carl (compliance)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client

from assistant.accounts.services import collection_grant, user_create_or_update
from ingestion.models import Collection

PASSWORD = "correct-horse-battery-staple"


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


@pytest.fixture
def collection_a(db) -> Collection:
    return Collection.objects.create(slug="collection-a", name="Collection A")


@pytest.fixture
def collection_b(db) -> Collection:
    return Collection.objects.create(slug="collection-b", name="Collection B")


def _user(name: str, roles: list[str]) -> AbstractUser:
    user, _ = user_create_or_update(username=name, roles=roles, password=PASSWORD)
    return user


@pytest.fixture
def alice(db, collection_a) -> AbstractUser:
    user = _user("alice", ["employee"])
    collection_grant(collection_slug=collection_a.slug, username="alice")
    return user


@pytest.fixture
def bob(db, collection_b) -> AbstractUser:
    user = _user("bob", ["employee"])
    collection_grant(collection_slug=collection_b.slug, username="bob")
    return user


@pytest.fixture
def ada(db) -> AbstractUser:
    return _user("ada", ["admin"])


@pytest.fixture
def carl(db) -> AbstractUser:
    return _user("carl", ["compliance"])


@pytest.fixture
def client_for():
    """client_for(user) -> a Django test client logged in as that user."""

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
