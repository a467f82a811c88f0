import hashlib

import pytest


@pytest.mark.django_db
def test_healthz_ok_names_every_component(client, settings, tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF fake weights")
    settings.RAG_MODEL_PATH = model
    settings.RAG_MODEL_SHA256 = hashlib.sha256(b"GGUF fake weights").hexdigest()
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "broker", "vector_store", "llm", "embedder"}
    assert "sha256 verified" in body["components"]["llm"]["detail"]


@pytest.mark.django_db
def test_healthz_degraded_on_sha256_mismatch(client, settings, tmp_path):
    model = tmp_path / "model.gguf"
    model.write_bytes(b"tampered")
    settings.RAG_MODEL_PATH = model
    settings.RAG_MODEL_SHA256 = "0" * 64
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["llm"]
    assert "sha256 mismatch" in body["components"]["llm"]["detail"]


@pytest.mark.django_db
def test_healthz_degraded_when_model_missing_or_broker_down(client, settings, tmp_path):
    settings.RAG_MODEL_PATH = tmp_path / "missing.gguf"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.RAG_EMBEDDED_BROKER = False
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker", "llm"]
    assert "model file missing" in body["components"]["llm"]["detail"]


@pytest.mark.django_db
def test_healthz_contains_no_secrets(client, settings):
    settings.CELERY_BROKER_URL = "redis://:s3cr3t-pass@127.0.0.1:1/0"
    settings.RAG_EMBEDDED_BROKER = False
    text = client.get("/healthz").content.decode()
    assert "s3cr3t-pass" not in text
    assert settings.SECRET_KEY not in text


def test_the_default_model_is_the_smollm2_gguf(settings):
    assert settings.RAG_MODEL_PATH.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert settings.RAG_MODEL_PATH.is_file()
