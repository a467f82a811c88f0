"""A canary exchange full of PII: no value reaches the audit trail, the logs or the review pages."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from assistant.chat.audit import audit_exchange
from assistant.chat.models import Citation
from privacy.models import AuditEvent, Review
from tests.fixtures.identifiers import valid_nir

pytestmark = pytest.mark.django_db

NIR = valid_nir()
SPACED_NIR = " ".join([NIR[0], NIR[1:3], NIR[3:5], NIR[5:7], NIR[7:10], NIR[10:13], NIR[13:]])
IBAN = "FR76 3000 6000 0112 3456 7890 189"
EMAIL = "marie.dupont@example.fr"
NAME = "Marie Dupont"
CANARIES = [NIR, SPACED_NIR, IBAN, IBAN.replace(" ", ""), EMAIL, NAME, "Dupont"]


def _assert_clean(text: str) -> None:
    for value in CANARIES:
        assert value not in text


@pytest.fixture
def canary_exchange(make_exchange, settings):
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    exchange = make_exchange(
        question=(
            f"Bonjour, je suis {NAME}, mon NIR est {SPACED_NIR}, mon IBAN {IBAN} et mon "
            f"adresse {EMAIL}. Quand serai-je remboursée ?"
        ),
        answer=f"Madame Dupont, le remboursement sur {IBAN} est prévu sous 5 jours [1].",
        language="fr",
    )
    Citation.objects.create(
        exchange=exchange,
        number=1,
        collection_id_at_answer=1,
        document_id_at_answer=1,
        document_title="Remboursements",
        chunk_id_at_answer=1,
        point_id="p1",
        score=0.8,
        snippet=f"Dossier de {NAME} ({EMAIL}) : remboursement sous 5 jours.",
        cited_in_answer=True,
    )
    return exchange


def test_canary_never_leaves_the_exchange(canary_exchange, carl, client_for, caplog, redactor):
    caplog.set_level(logging.DEBUG)
    event = audit_exchange(canary_exchange)

    # Audit rows: every column of every row.
    for row in AuditEvent.objects.values():
        _assert_clean(json.dumps(row, default=str, ensure_ascii=False))
    assert event.pii_counts["NIR"] == 1 and event.pii_counts["EMAIL"] == 1
    assert event.pii_counts["IBAN"] == 2  # question and answer
    assert "<NIR_1>" in event.question and "<IBAN_1>" in event.answer  # same IBAN, same tag

    # The review queue got it (PII found) and its pages and exports stay clean.
    review = Review.objects.get(exchange=canary_exchange)
    assert "pii" in review.reasons
    client = client_for(carl)
    pages = [
        client.get(reverse("review_queue")),
        client.get(reverse("review_detail", args=[review.pk])),
        client.get(reverse("review_export", args=["csv"])),
        client.get(reverse("review_export", args=["jsonl"])),
    ]
    for response in pages:
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        _assert_clean(body.decode())
    detail = pages[1].content.decode()
    assert "&lt;PERSON_1&gt;" in detail and "&lt;EMAIL_1&gt;" in detail  # the passage, redacted

    # Application logs.
    _assert_clean(caplog.text)
    # The exchange itself still holds the user's own original text.
    canary_exchange.refresh_from_db()
    assert NAME in canary_exchange.question
