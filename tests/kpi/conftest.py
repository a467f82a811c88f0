"""Hand-made exchanges for the KPI tests: make_exchange(day, **fields) with created_at at noon of
that day (server time zone), optionally reviewed."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from django.utils import timezone

from assistant.chat.models import Conversation, Exchange


@pytest.fixture
def make_exchange(alice):
    from privacy.models import Review
    from privacy.services import audit_record

    conversation = Conversation.objects.create(user=alice, title="kpi")
    defaults: dict[str, Any] = {
        "status": Exchange.Status.DONE,
        "answer_path": Exchange.AnswerPath.GENERATED,
        "question": "q",
        "answer": "a",
    }

    def make(day: date, *, review: str | None = None, **fields: Any) -> Exchange:
        exchange = Exchange.objects.create(
            conversation=conversation, user=alice, **{**defaults, **fields}
        )
        moment = timezone.make_aware(datetime.combine(day, time(12)))
        Exchange.objects.filter(pk=exchange.pk).update(created_at=moment)
        if review:
            event = audit_record(action="test.exchange", actor=None, payload={})
            Review.objects.create(exchange=exchange, audit_event=event, user=alice, state=review)
        return exchange

    return make


def generated(**fields: Any) -> dict[str, Any]:
    """A generated answer: 1 s to the first token, 2 s in all, 100 prompt / 50 completion tokens."""
    return {
        "ttft_ms": 1000.0,
        "total_ms": 2000.0,
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "metrics": {"citation_coverage": 0.5, "groundedness": 0.8},
        **fields,
    }
