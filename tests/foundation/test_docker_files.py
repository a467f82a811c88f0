"""No Docker engine here: parse the compose file and check it against what settings read."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def settings_variable_names() -> set[str]:
    source = (ROOT / "assistant" / "settings.py").read_text()
    names = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    names |= set(re.findall(r'os\.environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', source))
    return names


def test_every_app_service_variable_is_read_by_settings():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    known = settings_variable_names()
    for service in ("web", "worker"):
        env = compose["services"][service]["environment"]
        unknown = sorted(set(env) - known)
        assert unknown == [], f"{service} sets variables that settings never read: {unknown}"


def test_compose_has_the_server_mode_services():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "qdrant", "web", "worker", "llm"} <= set(services)
    assert services["qdrant"]["image"].startswith("qdrant/qdrant")
    assert services["llm"]["profiles"] == ["llm"]
    assert services["web"]["environment"]["RAG_QDRANT_URL"] == "http://qdrant:6333"
    assert services["worker"]["command"][:4] == ["celery", "-A", "assistant", "worker"]


def test_dockerfile_is_multi_stage_non_root_with_healthcheck():
    text = (ROOT / "docker" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER rag$", text, re.M)
    assert "HEALTHCHECK" in text and "/healthz" in text


def test_settings_read_the_documented_variables():
    required = {
        "RAG_DATA_DIR",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "RAG_QDRANT_URL",
        "RAG_LLM_BACKEND",
        "RAG_LLM_URL",
        "RAG_MODEL_PATH",
        "RAG_MODEL_SHA256",
        "RAG_EMBED_MODEL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DEBUG",
    }
    assert required <= settings_variable_names()
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in settings_variable_names() if f"`{name}`" not in readme)
    assert missing == [], f"README settings table lacks {missing}"
