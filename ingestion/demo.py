"""Demo documents: the files shipped in ingestion/demo_files/, ingested like any upload."""

from __future__ import annotations

from pathlib import Path

from ingestion.models import Collection
from ingestion.services import UploadOutcome, documents_upload

DEMO_FILES = Path(__file__).resolve().parent / "demo_files"


def seed_demo_documents(collection: Collection) -> list[UploadOutcome]:
    """Upload every demo file into `collection` through the normal upload service (the ingest
    tasks are enqueued after commit). Idempotent: a file already there is a sha256 duplicate."""
    if not DEMO_FILES.is_dir():
        return []
    files = [
        (path, path.relative_to(DEMO_FILES).as_posix())
        for path in sorted(p for p in DEMO_FILES.rglob("*") if p.is_file())
        if not path.name.startswith(".") and path.name != "__init__.py"
    ]
    return documents_upload(collection=collection, files=files, uploaded_by=None)
