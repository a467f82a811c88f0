"""Hand-made exchanges for the KPI tests: make_exchange(day, **fields) with created_at at noon of
that day (server time zone), optionally reviewed. Typical field values: tests.fixtures.kpi_data."""

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
