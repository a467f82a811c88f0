"""The review queue: automatic feeding, role checks, decisions as audit events, export."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assistant.chat.audit import audit_exchange
from assistant.chat.models import Exchange
from privacy.models import AuditEvent, Review
from privacy.review import review_decide
from privacy.services import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_random_sample(settings):
    settings.RAG_REVIEW_SAMPLE_RATE = 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"refused": True, "status": Exchange.Status.REFUSED}, "refused"),
        ({"invalid_citation": True}, "invalid_citation"),
        ({"feedback": -1}, "negative_feedback"),
        ({"max_score": 0.1}, "low_score"),
    ],
)
def test_reasons_queue_an_exchange(make_exchange, fields, reason):
    event = audit_exchange(make_exchange(**fields))
    review = Review.objects.get(audit_event=event)
    assert review.reasons == [reason] and review.state == "queued"


def test_clean_exchange_is_not_queued_unless_sampled(make_exchange, settings):
    audit_exchange(make_exchange())
    assert Review.objects.count() == 0
    settings.RAG_REVIEW_SAMPLE_RATE = 1.0
    audit_exchange(make_exchange())
    assert list(Review.objects.values_list("reasons", flat=True)) == [["sample"]]


def test_audit_exchange_is_idempotent(make_exchange):
    exchange = make_exchange(refused=True)
    assert audit_exchange(exchange) == audit_exchange(exchange)
    assert AuditEvent.objects.count() == 1 and Review.objects.count() == 1


def test_negative_feedback_queues_and_reopens(make_exchange, carl):
    from assistant.chat.services import record_feedback

    exchange = make_exchange()
    audit_exchange(exchange)
    assert not Review.objects.exists()
    record_feedback(exchange=exchange, value=-1, reason="wrong")
    review = Review.objects.get(exchange=exchange)
    assert review.reasons == ["negative_feedback"]
    review_decide(review=review, actor=carl, decision="approve")
    # A later reason re-opens a decided review.
    exchange.invalid_citation = True
    exchange.save()
    record_feedback(exchange=exchange, value=-1)
    from privacy.review import review_enqueue

    review_enqueue(exchange, event=review.audit_event, sample=False)
    review.refresh_from_db()
    assert review.state == "queued" and "invalid_citation" in review.reasons


@pytest.mark.parametrize("user", ["alice", "ada"])
def test_other_roles_get_403(request, client_for, user, make_exchange):
    event = audit_exchange(make_exchange(refused=True))
    review = Review.objects.get(audit_event=event)
    client = client_for(request.getfixturevalue(user))
    for url in (
        reverse("review_queue"),
        reverse("review_detail", args=[review.pk]),
        reverse("review_export", args=["csv"]),
    ):
        assert client.get(url).status_code == 403
    response = client.post(reverse("review_decide", args=[review.pk]), {"decision": "approve"})
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.state == "queued"


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("review_queue"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_decisions_are_audit_events(make_exchange, carl, client_for):
    event = audit_exchange(make_exchange(refused=True))
    review = Review.objects.get(audit_event=event)
    client = client_for(carl)
    url = reverse("review_decide", args=[review.pk])

    client.post(url, {"decision": "reject", "reason": ""})
    review.refresh_from_db()
    assert review.state == "queued"  # a rejection needs a reason

    client.post(url, {"decision": "reject", "reason": "Answer invents a date."})
    review.refresh_from_db()
    assert (review.state, review.decided_by) == ("rejected", carl)
    client.post(reverse("review_annotate", args=[review.pk]), {"text": "Escalated to HR."})
    review.refresh_from_db()
    assert review.annotations[0]["text"] == "Escalated to HR."
    actions = list(AuditEvent.objects.values_list("action", "actor_username"))
    assert ("review.reject", "carl") in actions and ("review.annotate", "carl") in actions


def test_service_checks_role_and_reason(make_exchange, alice, carl):
    review = Review.objects.get(audit_event=audit_exchange(make_exchange(refused=True)))
    with pytest.raises(PermissionDenied):
        review_decide(review=review, actor=alice, decision="approve")
    with pytest.raises(ValidationError):
        review_decide(review=review, actor=carl, decision="reject", reason="  ")


def test_filters_and_export(make_exchange, carl, client_for, collection_b):
    refused = audit_exchange(make_exchange(refused=True, question="Refused one?"))
    low = audit_exchange(make_exchange(max_score=0.1, question="Low one?"))
    client = client_for(carl)
    page = client.get(reverse("review_queue"), {"refused": "yes"}).content.decode()
    assert "Refused one?" in page and "Low one?" not in page
    page = client.get(reverse("review_queue"), {"low_score": "yes"}).content.decode()
    assert "Low one?" in page and "Refused one?" not in page
    page = client.get(reverse("review_queue"), {"collection": collection_b.pk}).content.decode()
    assert "Low one?" not in page and "Refused one?" not in page
    page = client.get(reverse("review_queue"), {"state": "rejected"}).content.decode()
    assert "Low one?" not in page
    page = client.get(reverse("review_queue"), {"user": "alice", "date_from": "2000-01-01"})
    assert "Low one?" in page.content.decode()

    response = client.get(reverse("review_export", args=["jsonl"]), {"refused": "yes"})
    rows = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [r["audit_sequence"] for r in rows] == [refused.sequence]
    response = client.get(reverse("review_export", args=["csv"]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("review_id,audit_sequence") and len(lines) == 3
    assert AuditEvent.objects.filter(action="review.export").count() == 2
    assert low.sequence < AuditEvent.objects.order_by("-sequence")[0].sequence
    assert client.get(reverse("review_export", args=["xml"])).status_code == 404


def test_audit_record_redacts_free_text_but_keeps_identifiers(redactor):
    event = audit_record(
        action="collection.grant",
        actor=None,
        payload={
            "collection": "hr",
            "document_id": 12,
            "granted_users": ["alice"],
            "name": "Arrêt maladie de Marie Dupont.pdf",
        },
    )
    assert event.data["granted_users"] == ["alice"] and event.data["collection"] == "hr"
    assert "Marie Dupont" not in event.data["name"] and event.pii_counts == {"PERSON": 1}
