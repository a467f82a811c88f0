import pytest


@pytest.mark.django_db
def test_metrics_are_served_to_allowed_addresses(client):
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'rag_http_requests_total{route="healthz",status="2xx"}' in body
    assert "rag_time_to_first_token_seconds_bucket" in body


@pytest.mark.django_db
def test_metrics_are_refused_to_other_addresses_unless_staff(client, ada, client_for):
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
    assert client_for(ada).get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_exchange_and_ingest_metrics_are_recorded(client, alice):
    from prometheus_client import REGISTRY

    from assistant.chat.models import Conversation, Exchange
    from assistant.metrics import observe_exchange, observe_ingest, observe_redactions

    def value(name, labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = value("rag_exchanges_total", {"outcome": "done", "path": "quote"})
    conversation = Conversation.objects.create(user=alice)
    exchange = Exchange.objects.create(
        conversation=conversation,
        user=alice,
        question="q",
        status="done",
        answer_path="quote",
        retrieval_ms=12.0,
        ttft_ms=800.0,
        total_ms=1800.0,
        completion_tokens=50,
    )
    observe_exchange(exchange)
    observe_ingest("indexed", {"parse": 0.5, "embed": 1.5})
    observe_redactions({"EMAIL": 2})
    assert value("rag_exchanges_total", {"outcome": "done", "path": "quote"}) == before + 1
    assert value("rag_generation_tokens_per_second_count", {}) >= 1
    assert value("rag_ingest_documents_total", {"state": "indexed"}) >= 1
    assert value("rag_redacted_entities_total", {"entity_type": "EMAIL"}) >= 2
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "rag_generation_queue_depth" in body
