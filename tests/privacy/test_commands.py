"""`manage.py redact` and `manage.py audit` contracts."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from privacy.services import audit_record
from privacy.triggers import drop_triggers, install_triggers
from tests.fixtures.identifiers import valid_nir


def _run(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_redact_plain_and_json(redactor):
    text = f"Je suis Marie Dupont, NIR {valid_nir()}."
    assert _run("redact", "--lang", "fr", text).strip() == "Je suis <PERSON_1>, NIR <NIR_1>."
    payload = json.loads(_run("redact", "--json", text))
    assert payload["redacted"] == "Je suis <PERSON_1>, NIR <NIR_1>."
    for entity in payload["entities"]:
        assert set(entity) == {"type", "start", "end", "score"}
    nir_entity = next(e for e in payload["entities"] if e["type"] == "NIR")
    assert text[nir_entity["start"] : nir_entity["end"]] == valid_nir()


def test_redact_stdin_jsonl(redactor, monkeypatch):
    lines = "\n".join(
        [
            json.dumps({"id": "a", "lang": "en", "text": "Mail john@example.com please"}),
            "not json",
            json.dumps({"id": 7, "lang": "xx", "text": "hi"}),
            json.dumps({"id": "b", "text": f"NIR {valid_nir()}"}),
        ]
    )
    output = _run("redact", "--stdin-jsonl", stdin=lines, monkeypatch=monkeypatch)
    out = [json.loads(x) for x in output.splitlines()]
    assert [o["id"] for o in out] == ["a", None, 7, "b"]
    assert out[0]["redacted"] == "Mail <EMAIL_1> please"
    assert "error" in out[1] and "error" in out[2]
    assert out[3]["redacted"] == "NIR <NIR_1>"


def test_redact_needs_text():
    with pytest.raises(CommandError, match="TEXT"):
        call_command("redact")


@pytest.mark.django_db
def test_audit_verify_export_purge(tmp_path):
    for i in range(3):
        audit_record(action="test.event", actor=None, payload={"n": i})
    assert _run("audit", "verify").strip() == "chain intact: 3 events"

    target = tmp_path / "audit.jsonl"
    _run("audit", "export", "--format", "jsonl", "--output", str(target))
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["sequence"] for r in rows] == [1, 2, 3] and rows[2]["hash"]
    checkpoint = tmp_path / "audit.jsonl.checkpoint.json"
    assert json.loads(checkpoint.read_text())["sequence"] == 3
    # The export is itself audited; the checkpoint still verifies the longer chain.
    assert "chain intact: 4 events" in _run("audit", "verify", "--checkpoint", str(checkpoint))

    csv_target = tmp_path / "audit.csv"
    _run("audit", "export", "--format", "csv", "--since", "2000-01-01", "--output", str(csv_target))
    assert csv_target.read_text().splitlines()[0].startswith("sequence,created_at,action")

    from django.utils import timezone

    assert "5 events purged" in _run("audit", "purge", "--before", timezone.now().isoformat())
    assert _run("audit", "verify").strip() == "chain intact: 6 events (5 purged to tombstones)"


@pytest.mark.django_db
def test_audit_purge_and_broken_chain(tmp_path):
    for i in range(3):
        audit_record(action="test.event", actor=None, payload={"n": i})
    with pytest.raises(CommandError, match="future"):
        call_command("audit", "purge", "--before", "2999-01-01")
    with pytest.raises(CommandError, match="not a date"):
        call_command("audit", "purge", "--before", "yesterday")
    drop_triggers(connection)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE privacy_auditevent SET question = 'x' WHERE sequence = 2")
    install_triggers(connection)
    with pytest.raises(CommandError, match="sequence 2: content altered") as excinfo:
        call_command("audit", "verify")
    assert excinfo.value.returncode != 0
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(CommandError, match="malformed"):
        call_command("audit", "verify", "--checkpoint", str(bad))
