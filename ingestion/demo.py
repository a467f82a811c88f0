"""Demo documents: the files shipped in ingestion/demo_files/, ingested like any upload."""

from __future__ import annotations

from pathlib import Path

from ingestion.models import Collection
from ingestion.services import UploadOutcome, documents_upload

DEMO_FILES = Path(__file__).resolve().parent / "demo_files"


def seed_demo_documents(collection: Collection) -> list[UploadOutcome]:
    """Upload every demo file into `collection` through the normal upload service (the ingest
    tasks are enqueued after commit). Idempotent: a file already there is a sha256 duplicate."""
    outcomes: list[UploadOutcome] = []
    if not DEMO_FILES.is_dir():
        return outcomes
    for path in sorted(p for p in DEMO_FILES.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.name == "__init__.py":
            continue
        with path.open("rb") as handle:
            outcomes.extend(
                documents_upload(
                    collection=collection,
                    files=[(handle, path.relative_to(DEMO_FILES).as_posix())],
                    uploaded_by=None,
                )
            )
    return outcomes
