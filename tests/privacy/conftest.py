"""Privacy fixtures: one presidio engine per test session and exchanges to audit (valid and
invalid identifiers: tests/fixtures/identifiers.py). (Transactional tests flush through privacy's
own `flush` command, which lifts the append-only triggers on test databases only.)"""

from __future__ import annotations

from typing import Any

import pytest

from assistant.chat.models import Conversation, Exchange


@pytest.fixture(scope="session")
def redactor() -> Any:
    """The process-wide engine (~4-7 s, ~650 MB): loaded once per session."""
    from privacy.redaction import get_redactor

    return get_redactor()


@pytest.fixture
def make_exchange(alice, collection_a):
    def make(**fields: Any) -> Exchange:
        conversation = Conversation.objects.create(user=alice, title="t")
        defaults: dict[str, Any] = {
            "conversation": conversation,
            "user": alice,
            "question": "What is the leave policy?",
            "answer": "Twenty-five days [1].",
            "status": Exchange.Status.DONE,
            "language": "en",
            "max_score": 0.8,
            "model_id": "SmolLM2-135M-Instruct",
            "prompt_sha256": "a" * 64,
        }
        defaults.update(fields)
        exchange = Exchange.objects.create(**defaults)
        exchange.searched_collections.add(collection_a)
        return exchange

    return make
