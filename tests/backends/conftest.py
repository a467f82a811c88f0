"""Backends fixtures: the real embedder, loaded once per test session."""

from __future__ import annotations

import pytest

from assistant.backends.embedder import Embedder, SentenceTransformerEmbedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    from django.conf import settings

    return SentenceTransformerEmbedder(settings.RAG_EMBED_MODEL)


@pytest.fixture(scope="session")
def use_embedder() -> Embedder:
    from assistant.backends.embedder import UniversalSentenceEncoderEmbedder

    return UniversalSentenceEncoderEmbedder()
