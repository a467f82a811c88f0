"""Upgrade: a database made by the previous release (tests/fixtures/upgrade/, see its README)
migrates forward with the current code and keeps its users, collections, documents, chunks,
exchanges, citations, reviews and audit chain; `reindex` rebuilds the vector index (not part of
the fixture) from its chunks. Each step is a `manage.py` subprocess on a copy of the fixture, as
an operator would run it (~30 s in all, so the PostgreSQL pass leaves it out: it is a SQLite
file either way)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "upgrade" / "release-0.1.sqlite3"
ALICE_PASSWORD = "release-0.1-alice"  # set by make_fixture.py
# The previous release's tables, counted in the fixture before any migration.
TABLES = {
    "users": "auth_user",
    "collections": "ingestion_collection",
    "documents": "ingestion_document",
    "chunks": "ingestion_chunk",
    "exchanges": "assistant_exchange",
    "citations": "assistant_citation",
    "reviews": "privacy_review",
    "audit_events": "privacy_auditevent",
}
# The same things through the current models, after the migration.
COUNT_NOW = """
import json
from django.contrib.auth import get_user_model
from assistant.chat.models import Citation, Exchange
from ingestion.models import Chunk, Collection, Document
from privacy.models import AuditEvent, Review
models = {"users": get_user_model(), "collections": Collection, "documents": Document,
          "chunks": Chunk, "exchanges": Exchange, "citations": Citation, "reviews": Review,
          "audit_events": AuditEvent}
print(json.dumps({name: model.objects.count() for name, model in models.items()}))
"""
REINDEX_AND_SEARCH = (
    f"password = {ALICE_PASSWORD!r}\n"
    + """
import io, json
from django.contrib.auth import get_user_model
from django.core.management import call_command
out = io.StringIO()
call_command("reindex", stdout=out)  # in this process: the embedder loads once
from assistant.chat.retrieval import retrieve
users = get_user_model().objects
alice, bob = users.get(username="alice"), users.get(username="bob")
question = "Which class is allowed for flights longer than 6 hours?"
print(json.dumps({
    "reindex": out.getvalue(),
    "alice_password_ok": alice.check_password(password),
    "alice": [p.text for p in retrieve(user=alice, question=question).passages],
    "bob": [p.text for p in retrieve(user=bob, question=question).passages],
}))
"""
)

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the previous release's database is a SQLite file: the SQLite pass runs this",
)


def manage(data_dir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """manage.py with the current code and product settings, on data_dir/db.sqlite3."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "assistant.settings",
        "RAG_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A data dir holding a copy of the fixture migrated by the current code, and the counts the
    previous release left in it."""
    data_dir = tmp_path_factory.mktemp("upgrade")
    database = data_dir / "db.sqlite3"
    shutil.copyfile(FIXTURE, database)
    with sqlite3.connect(database) as db:
        before = {
            name: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for name, table in TABLES.items()
        }
    db.close()
    result = manage(data_dir, "migrate", "--noinput")
    assert result.returncode == 0, result.stdout + result.stderr
    return data_dir, before


def test_the_fixture_has_something_of_everything(upgraded):
    _, before = upgraded
    assert all(before.values()), before


def test_migrate_keeps_every_row(upgraded):
    data_dir, before = upgraded
    assert last_json(manage(data_dir, "shell", "-c", COUNT_NOW)) == before


def test_every_migration_is_applied(upgraded):
    data_dir, _ = upgraded
    result = manage(data_dir, "showmigrations", "--plan")
    assert result.returncode == 0, result.stderr
    plan = [line for line in result.stdout.splitlines() if line.strip()]
    assert plan
    assert [line for line in plan if not line.startswith("[X]")] == []


def test_the_audit_chain_still_verifies(upgraded):
    data_dir, _ = upgraded
    result = manage(data_dir, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr


def test_reindex_rebuilds_the_index_from_the_chunks(upgraded):
    data_dir, before = upgraded
    found = last_json(manage(data_dir, "shell", "-c", REINDEX_AND_SEARCH))
    assert f"reindexed {before['chunks']} chunks" in found["reindex"]
    assert found["alice_password_ok"]
    assert any("business" in text and "6 hours" in text for text in found["alice"]), found
    assert found["bob"] == []  # the demo handbook is alice's; bob reads only finance
