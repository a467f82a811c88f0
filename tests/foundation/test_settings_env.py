import pytest
from django.core.exceptions import ImproperlyConfigured

from assistant import envconfig


def test_env_bool_accepts_true_and_false_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "true")
    assert envconfig.env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert envconfig.env_bool("X_FLAG", True) is False
    monkeypatch.delenv("X_FLAG")
    assert envconfig.env_bool("X_FLAG", True) is True


def test_env_bool_rejects_other_values_with_the_variable_name(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='maybe': use true or false"):
        envconfig.env_bool("DEBUG", False)


def test_env_int_rejects_non_integers_and_out_of_range(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "five")
    with pytest.raises(ImproperlyConfigured, match="RAG_TOP_K='five': expected an integer"):
        envconfig.env_int("RAG_TOP_K", 4)
    monkeypatch.setenv("RAG_TOP_K", "0")
    with pytest.raises(ImproperlyConfigured, match="must be at least 1"):
        envconfig.env_int("RAG_TOP_K", 4, minimum=1)
    monkeypatch.setenv("RAG_TOP_K", "7")
    assert envconfig.env_int("RAG_TOP_K", 4, minimum=1) == 7


def test_env_float_range(monkeypatch):
    monkeypatch.setenv("RAG_MIN_SCORE", "1.5")
    with pytest.raises(ImproperlyConfigured, match="must be at most 1"):
        envconfig.env_float("RAG_MIN_SCORE", 0.3, minimum=0, maximum=1)
    monkeypatch.setenv("RAG_MIN_SCORE", "abc")
    with pytest.raises(ImproperlyConfigured, match="expected a number"):
        envconfig.env_float("RAG_MIN_SCORE", 0.3)


def test_env_choice_lists_the_allowed_values(monkeypatch):
    monkeypatch.setenv("RAG_LLM_BACKEND", "gpt")
    with pytest.raises(ImproperlyConfigured, match="expected one of llamacpp, openai"):
        envconfig.env_choice("RAG_LLM_BACKEND", "llamacpp", ("llamacpp", "openai"))


def test_env_url_checks_the_scheme_and_allows_empty(monkeypatch):
    monkeypatch.setenv("RAG_QDRANT_URL", "qdrant:6333")
    with pytest.raises(ImproperlyConfigured, match="expected a URL starting with one of http://"):
        envconfig.env_url("RAG_QDRANT_URL", "", schemes=("http", "https"))
    monkeypatch.setenv("RAG_QDRANT_URL", "")
    assert envconfig.env_url("RAG_QDRANT_URL", "x", schemes=("http",)) == ""
    monkeypatch.setenv("RAG_QDRANT_URL", "http://qdrant:6333")
    assert envconfig.env_url("RAG_QDRANT_URL", "", schemes=("http",)) == "http://qdrant:6333"


def test_env_sha256_must_be_64_hex(monkeypatch):
    monkeypatch.setenv("RAG_MODEL_SHA256", "abc")
    with pytest.raises(ImproperlyConfigured, match="expected 64 hexadecimal characters"):
        envconfig.env_sha256("RAG_MODEL_SHA256")
    monkeypatch.setenv("RAG_MODEL_SHA256", "A" * 64)
    assert envconfig.env_sha256("RAG_MODEL_SHA256") == "a" * 64


def test_settings_module_fails_loudly_on_a_bad_value(tmp_path):
    """Importing settings with a bad variable stops with the variable's name, not later."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path), "RAG_TOP_K": "lots"}
    result = subprocess.run(
        [sys.executable, "-c", "import assistant.settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RAG_TOP_K='lots': expected an integer" in result.stderr


def test_secret_key_is_generated_into_the_data_dir_with_mode_0600(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["RAG_DATA_DIR"] = str(tmp_path)
    code = "from django.conf import settings; import assistant.settings as s; print(s.SECRET_KEY)"
    first = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    second = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 50
    assert (key_file.stat().st_mode & 0o777) == 0o600
