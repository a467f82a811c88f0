"""`manage.py ingest --wait` in the embedded mode: a worker runs inside the command."""

from __future__ import annotations

from tests.ingestion import samples
from tests.ingestion.subprocess_helpers import child_env, counts, manage


def test_ingest_folder_waits_prints_a_table_and_fails_on_a_bad_file(tmp_path):
    data = tmp_path / "data"
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "policy.txt").write_bytes(samples.text("command"))
    (folder / "sub" / "guide.pdf").write_bytes(samples.pdf("command"))
    (folder / "scan.pdf").write_bytes(samples.scanned_pdf())
    env = child_env(data)
    assert manage(env, "migrate", "--noinput").returncode == 0

    result = manage(env, "ingest", str(folder), "--collection", "docs", "--create", "--wait")
    assert result.returncode == 1, result.stderr  # one file failed
    table = result.stdout
    lines = {line.split()[0]: line for line in table.splitlines() if line.split()}
    assert "indexed" in lines["policy.txt"]
    assert "indexed" in lines["sub/guide.pdf"] and " 2 " in lines["sub/guide.pdf"]
    assert "failed" in lines["scan.pdf"] and "no text layer" in lines["scan.pdf"]
    assert "1 file(s) failed" in result.stderr

    again = manage(env, "ingest", str(folder / "policy.txt"), "--collection", "docs", "--wait")
    assert again.returncode == 0 and "duplicate" in again.stdout

    state = counts(env)
    assert state["points"] == state["chunks"] > 0 and state["point_ids_match"]

    reconcile = manage(env, "reconcile")
    assert reconcile.returncode == 0 and "no drift" in reconcile.stdout

    missing = manage(env, "ingest", str(folder), "--collection", "nope")
    assert missing.returncode != 0 and "--create" in missing.stderr
