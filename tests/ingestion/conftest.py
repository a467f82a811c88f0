"""Ingestion fixtures: a fresh embedded store per test. The synchronous stand-in for the worker
(run_queued_jobs) and the other helpers are in tests/fixtures/ingestion_jobs.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from assistant.backends.vectorstore_factory import get_vector_store, reset_vector_store


@pytest.fixture(autouse=True)
def fresh_store(isolated_data_dir) -> Iterator[None]:
    reset_vector_store()
    yield
    reset_vector_store()


@pytest.fixture
def store(fresh_store) -> Any:
    return get_vector_store()
