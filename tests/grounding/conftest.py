"""The real embedder, loaded once for the grounding tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def embedder() -> Any:
    from assistant.backends.embedder import get_embedder

    return get_embedder()
