"""The parser child: limits turn into readable errors and never harm the caller."""

from __future__ import annotations

import os

import pytest

from ingestion.pipeline.parse import parse_document
from ingestion.pipeline.sandbox import SandboxFailure, run_sandboxed

HOOKS = "tests.ingestion.pipeline.hooks"


def _healthy(good_corpus) -> None:
    path, phrase = good_corpus["notes.txt"]
    doc = parse_document(path, original_name="notes.txt")
    assert any(phrase in element.text for element in doc.elements)


def test_result_comes_back_from_another_process():
    result = run_sandboxed(f"{HOOKS}:echo", {"value": "hé"}, timeout=30, memory_mb=256)
    assert result["value"] == "hé"
    assert result["pid"] != os.getpid()


def test_a_hanging_parser_is_killed_at_the_timeout(good_corpus):
    with pytest.raises(SandboxFailure, match=r"parsing took longer than 1 s"):
        run_sandboxed(f"{HOOKS}:spin", {"seconds": 120}, timeout=1, memory_mb=256)
    _healthy(good_corpus)


def test_parse_document_applies_the_timeout_setting(settings, good_corpus):
    settings.RAG_PARSE_TIMEOUT = 0.001
    path, _ = good_corpus["expenses.docx"]
    with pytest.raises(SandboxFailure, match=r"parsing took longer than 0.001 s"):
        parse_document(path, original_name="expenses.docx")
    settings.RAG_PARSE_TIMEOUT = 300
    _healthy(good_corpus)


def test_memory_blow_up_is_stopped_by_the_rlimit(good_corpus):
    with pytest.raises(SandboxFailure, match="parser ran out of memory"):
        run_sandboxed(f"{HOOKS}:allocate", {"megabytes": 8000}, timeout=60, memory_mb=200)
    _healthy(good_corpus)


def test_within_the_memory_limit_allocation_works():
    result = run_sandboxed(f"{HOOKS}:allocate", {"megabytes": 50}, timeout=60, memory_mb=200)
    assert result == {"allocated": 50}


def test_parse_document_applies_the_memory_setting(settings, good_corpus, tmp_path):
    # the budget is what the parser may add to its preloaded libraries: reading and decoding
    # 8 MB of text cannot fit in 1 MB more
    settings.RAG_PARSE_MEMORY_MB = 1
    path = tmp_path / "big.txt"
    path.write_text("A short paragraph about leave.\n\n" * 250_000)
    with pytest.raises(SandboxFailure, match=r"memory|crashed"):
        parse_document(path, original_name="big.txt")
    settings.RAG_PARSE_MEMORY_MB = 2048
    _healthy(good_corpus)


def test_a_crashing_parser_is_reported(good_corpus):
    with pytest.raises(SandboxFailure, match=r"parser crashed \(SIGSEGV\)"):
        run_sandboxed(f"{HOOKS}:segfault", {}, timeout=30, memory_mb=256)
    _healthy(good_corpus)


def test_an_unknown_target_is_a_failure_not_a_crash_of_the_caller():
    with pytest.raises(SandboxFailure, match="parser failed"):
        run_sandboxed(f"{HOOKS}:missing", {}, timeout=30, memory_mb=256)


def test_works_inside_a_celery_prefork_worker_process():
    """Celery's prefork pool runs tasks in daemonic billiard processes."""
    import billiard

    from tests.ingestion.pipeline.hooks import sandbox_from_daemon

    queue = billiard.Queue()
    worker = billiard.Process(target=sandbox_from_daemon, args=(queue,), daemon=True)
    worker.start()
    try:
        result = queue.get(timeout=120)
    finally:
        worker.join(10)
    assert result.get("value") == "ok", result
