"""A question and a document written the way people and HR exports write names (lower case,
capitals, surname first, table cells, a signature, an address, a birth date) go through the real
ingestion and the web chat (fake model): no name reaches the audit record, the review page or the
logs. A question naming only a city records no personal data at all."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from assistant.chat.models import Exchange
from privacy.models import AuditEvent, Review

pytestmark = pytest.mark.django_db

DOCUMENT = """NOTE DE SERVICE

Solde de congés payés 2025 du service paie.

| Nom | Service | Solde de congés |
| --- | --- | --- |
| DELAUNAY Grégoire | Paie | 12 jours |
| LE GALL Yann | Achats | 8 jours |

Contact : grégoire delaunay, né le 14/03/1987, domicilié 12 rue des Lilas, 69003 Lyon.

Cordialement,
GRÉGOIRE DELAUNAY
Responsable paie
"""
QUESTION = "quel est le solde de congés de grégoire delaunay ?"
REPLY = "Le solde de congés de Grégoire Delaunay est de 12 jours [1]."
SECRETS = ("delaunay", "grégoire", "le gall", "lilas", "14/03/1987")


def ask_in_browser(client, question: str) -> Exchange:
    """Post the question as the chat page does and read the answer's event stream to its end."""
    response = client.post("/chat/ask", {"question": question, "mode": "generated"},
                           HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200, response.content
    url = response.content.decode().split('sse-connect="', 1)[1].split('"', 1)[0]
    b"".join(client.get(url).streaming_content)
    return Exchange.objects.latest("created_at")


def _assert_no_name(text: str) -> None:
    folded = text.casefold()
    for value in SECRETS:
        assert value not in folded, value


@pytest.fixture
def hr_document(alice, collection_a, settings):
    from assistant.backends.llm_factory import reset_llm
    from assistant.backends.vectorstore_factory import reset_vector_store
    from tests.fixtures.ingestion_jobs import run_queued_jobs, upload

    settings.RAG_LLM_BACKEND = "fake"
    settings.RAG_CACHE_ENABLED = False
    settings.RAG_REVIEW_SAMPLE_RATE = 0.0
    reset_llm()
    reset_vector_store()
    upload(collection_a, "conges-paie.txt", DOCUMENT.encode())
    assert run_queued_jobs() == 1
    yield
    reset_vector_store()
    reset_llm()


def test_names_in_every_style_never_reach_audit_review_or_logs(
    hr_document, alice, carl, client_for, settings, caplog, redactor
):
    caplog.set_level(logging.DEBUG)
    settings.RAG_FAKE_LLM_REPLY = REPLY
    exchange = ask_in_browser(client_for(alice), QUESTION)
    assert exchange.citations.exists(), "the passage was not retrieved"

    event = AuditEvent.objects.get(exchange_public_id=exchange.public_id)
    assert event.pii_counts.get("PERSON", 0) >= 1
    for row in AuditEvent.objects.values():
        _assert_no_name(json.dumps(row, default=str, ensure_ascii=False))

    review = Review.objects.get(exchange=exchange)
    assert "pii" in review.reasons
    for url in (reverse("review_queue"), reverse("review_detail", args=[review.pk])):
        response = client_for(carl).get(url)
        assert response.status_code == 200
        _assert_no_name(response.content.decode())
    _assert_no_name(caplog.text)


def test_a_city_only_question_records_no_personal_data(hr_document, alice, client_for):
    exchange = ask_in_browser(client_for(alice), "What is the hotel ceiling in Paris?")
    event = AuditEvent.objects.get(exchange_public_id=exchange.public_id)
    assert "Paris" in event.question
    assert event.pii_counts == {}
    review = Review.objects.filter(exchange=exchange).first()
    assert review is None or "pii" not in review.reasons
