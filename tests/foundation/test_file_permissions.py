"""At rest: what the product writes is for its own user only (files 0600, folders 0700), whatever
umask it was started with. An operator's steps on a fresh data dir, as `manage.py` subprocesses
started with the common umask 022: migrate, an upload, the audit and KPI exports, a checkpoint.
Then every file and folder of the data dir is checked, and the exports written elsewhere."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from assistant.private_files import open_private, private_directory

ROOT = Path(__file__).resolve().parents[2]

OPERATOR_STEPS = """
import io
from pathlib import Path
from django.core.management import call_command
from assistant.accounts.services import user_create_or_update
from ingestion.models import Collection
from ingestion.services import document_upload

exports = Path({exports!r})
ada, _ = user_create_or_update(username="ada", roles=["admin"], password="x" * 20)
handbook = Collection.objects.create(slug="handbook", name="Handbook")
outcome = document_upload(
    collection=handbook, file=io.BytesIO(b"Leave: 25 days a year."), uploaded_by=ada,
    original_name="leave.txt",
)
assert outcome.status == "queued", outcome
call_command("audit", "export", "--output", str(exports / "audit.jsonl"))
call_command("kpi", "export", "--output", str(exports / "kpi.csv"))
call_command("audit", "checkpoint")
print("document", outcome.document.file.path)
"""

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the SQLite file is what is checked: the SQLite pass runs this",
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _manage(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """manage.py with the product's settings, started with umask 022 (the usual default)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"}
        and not name.startswith("RAG_")
    }
    env.update(DJANGO_SETTINGS_MODULE="assistant.settings", RAG_DATA_DIR=str(data_dir))
    result = subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$0" "$@"', sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_fresh_install_writes_nothing_others_can_read(tmp_path):
    data_dir = tmp_path / "data"  # does not exist yet: settings create it
    exports = tmp_path / "exports"
    exports.mkdir(mode=0o755)
    (exports / "kpi.csv").write_text("an older export\n")
    os.chmod(exports / "kpi.csv", 0o644)  # overwritten: must not keep 0644

    _manage(data_dir, "migrate", "--noinput")
    result = _manage(data_dir, "shell", "-c", OPERATOR_STEPS.format(exports=str(exports)))

    document = Path(result.stdout.split("document ", 1)[1].strip())
    named = {
        data_dir: 0o700,
        data_dir / "db.sqlite3": 0o600,
        data_dir / "secret_key": 0o600,
        data_dir / "celery-broker.sqlite3": 0o600,  # the embedded broker got the ingest task
        data_dir / "files": 0o700,
        document.parent: 0o700,
        document: 0o600,
        data_dir / "audit": 0o700,
        data_dir / "audit" / "checkpoints.jsonl": 0o600,
        exports / "audit.jsonl": 0o600,
        exports / "audit.jsonl.checkpoint.json": 0o600,
        exports / "kpi.csv": 0o600,
    }
    assert document.is_relative_to(data_dir / "files") and document.read_bytes()
    assert {path: _mode(path) for path in named} == named
    wider = []
    for folder, subfolders, files in os.walk(data_dir):
        for name in [*subfolders, *files]:
            path = Path(folder) / name
            if not path.is_symlink() and _mode(path) & 0o077:
                wider.append(f"{path.relative_to(data_dir)} {oct(_mode(path))}")
    assert wider == []
    written = {p.name for p in data_dir.iterdir()}
    assert {"db.sqlite3", "secret_key", "files", "audit", "static"} <= written


def test_helpers_tighten_what_existed_with_a_wider_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    assert _mode(private_directory(folder)) == 0o700
    target = folder / "export.csv"
    target.write_text("old\n")
    os.chmod(target, 0o644)
    with open_private(target) as out:
        out.write("new\n")
    with open_private(target, append=True) as out:
        out.write("more\n")
    assert (_mode(target), target.read_text()) == (0o600, "new\nmore\n")


def test_the_test_process_runs_with_the_product_umask():
    """Settings set it at import: every entry point imports them before writing a file."""
    current = os.umask(0o077)
    os.umask(current)
    assert current == 0o077
