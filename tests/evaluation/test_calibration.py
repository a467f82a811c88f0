"""Thresholds calibrated per embedder: the calibration is deterministic, stored in the registry
(or a calibration file), and what retrieval, the cache and the review queue read."""

import json

import pytest
from django.core.management import CommandError, call_command

from assistant.backends import embedder_registry
from assistant.backends.embedder_registry import (
    KNOWN_EMBEDDERS,
    Calibration,
    calibration_for,
    save_calibration,
    thresholds,
)
from assistant.evaluation.calibration import calibrate, quantile


def test_quantile_is_nearest_rank():
    values = [0.9, 0.1, 0.5, 0.3, 0.7]
    assert quantile(values, 0.0) == 0.1
    assert quantile(values, 0.2) == 0.1
    assert quantile(values, 0.21) == 0.3
    assert quantile(values, 1.0) == 0.9
    with pytest.raises(ValueError):
        quantile([], 0.5)


@pytest.fixture
def no_overrides(settings, tmp_path):
    settings.RAG_MIN_SCORE = None
    settings.RAG_CACHE_THRESHOLD = None
    settings.RAG_REVIEW_LOW_SCORE = None
    settings.DATA_DIR = tmp_path
    return settings


def test_each_shipped_embedder_has_its_own_calibration(no_overrides):
    for name, spec in KNOWN_EMBEDDERS.items():
        assert spec.name == name
        assert calibration_for(name) == spec.calibration
        assert 0 < spec.calibration.min_score <= spec.calibration.review_low_score < 1
        assert 0 <= spec.calibration.min_score_cross_lingual <= spec.calibration.min_score
        assert 0 < spec.calibration.cache_threshold < 1


def test_settings_override_the_calibration_and_files_override_the_registry(no_overrides):
    name = embedder_registry.configured_embedder_name()
    registry = KNOWN_EMBEDDERS[name].calibration
    assert thresholds().min_score == registry.min_score
    assert thresholds().source == "registry"
    path = save_calibration(name, Calibration(0.11, 0.91, 0.21, 0.05, measured={"n": 1}))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text())["min_score"] == 0.11
    assert (thresholds().min_score, thresholds().cache_threshold) == (0.11, 0.91)
    assert thresholds().min_score_cross_lingual == 0.05
    assert thresholds().source == str(path)
    no_overrides.RAG_MIN_SCORE = 0.42
    assert thresholds().min_score == 0.42
    assert thresholds().min_score_cross_lingual == 0.42  # one threshold when set by hand
    assert thresholds().cache_threshold == 0.91
    assert thresholds().source.startswith("settings over ")


def test_an_unknown_embedder_gets_the_conservative_fallback(no_overrides, caplog):
    found = calibration_for("some-model-nobody-calibrated")
    assert found.source == "fallback"
    assert found.min_score == embedder_registry.FALLBACK.min_score
    assert "no calibration" in caplog.text


def test_an_unreadable_calibration_file_is_ignored(no_overrides, caplog):
    name = embedder_registry.configured_embedder_name()
    path = embedder_registry.calibration_file(name)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert calibration_for(name) == KNOWN_EMBEDDERS[name].calibration
    assert "unreadable calibration" in caplog.text


def test_calibration_is_deterministic_and_keeps_false_refusals_low():
    """With the real configured embedder on the generated set (the real-text sets are run by
    `calibrate --check` in the evaluation smoke test)."""
    from assistant.backends.embedder import get_embedder

    first = calibrate(get_embedder())
    second = calibrate(get_embedder())
    assert first == second
    for key, share in first.measured["false_refusals"].items():
        assert share <= 0.05, key
    assert first.measured["cache_false_hit_pairs"] == 0
    assert first.min_score <= first.review_low_score


@pytest.mark.django_db
def test_calibrate_command_saves_and_checks(no_overrides, capsys):
    call_command("calibrate", "--real-limit", "0", "--save")
    out = capsys.readouterr().out
    assert "min_score (relevance)" in out and "written:" in out
    name = embedder_registry.configured_embedder_name()
    assert embedder_registry.calibration_file(name).is_file()


def test_calibrate_check_fails_when_the_registry_disagrees(no_overrides, monkeypatch):
    name = embedder_registry.configured_embedder_name()
    wrong = KNOWN_EMBEDDERS[name].__class__(
        **{**KNOWN_EMBEDDERS[name].__dict__, "calibration": Calibration(0.99, 0.99, 0.99, 0.99)}
    )
    monkeypatch.setitem(KNOWN_EMBEDDERS, name, wrong)
    with pytest.raises(CommandError, match=r"registry min_score=0\.99"):
        call_command("calibrate", "--real-limit", "0", "--check")


@pytest.mark.django_db
def test_a_passage_in_the_other_language_gets_the_cross_lingual_threshold(
    chat_users, settings, monkeypatch
):
    """The French leave document scores low for an English question with MiniLM: kept by the
    cross-lingual threshold, dropped by the same-language one."""
    from assistant.chat.retrieval import retrieve

    settings.RAG_MIN_SCORE = None
    question = "How many days of paid annual leave do employees get?"
    calibrated = Calibration(0.99, 0.99, 0.99, 0.0)
    monkeypatch.setattr(embedder_registry, "calibration_for", lambda name: calibrated)
    result = retrieve(user=chat_users["hana"], question=question, language="en")
    assert [p.document_title for p in result.passages] == ["Congés"]
    monkeypatch.setattr(
        embedder_registry, "calibration_for", lambda name: Calibration(0.99, 0.99, 0.99, 0.99)
    )
    assert retrieve(user=chat_users["hana"], question=question, language="en").passages == []
