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
