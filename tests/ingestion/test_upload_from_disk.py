"""documents_upload() on files given as paths (the ingest command and the demo seeding): each path
is opened while it is read, a zip on disk is expanded, an oversize file is one rejected outcome."""

from __future__ import annotations

from ingestion.models import Document, IngestJob
from ingestion.services import documents_upload
from tests.ingestion import samples


def test_paths_are_uploaded_like_browser_files(collection_a, settings, tmp_path):
    settings.RAG_MAX_UPLOAD_MB = 1
    (tmp_path / "policy.txt").write_bytes(samples.text("disk"))
    (tmp_path / "bundle.zip").write_bytes(samples.zip_of({"sub/guide.txt": samples.text("zip")}))
    (tmp_path / "big.txt").write_bytes(b"a" * (1024 * 1024 + 1))
    files = [(tmp_path / name, f"docs/{name}") for name in ("policy.txt", "bundle.zip", "big.txt")]

    outcomes = documents_upload(collection=collection_a, files=files, uploaded_by=None)

    assert [(o.name, o.status) for o in outcomes] == [
        ("docs/policy.txt", "queued"),
        ("sub/guide.txt", "queued"),
        ("docs/big.txt", "rejected"),
    ]
    assert "1 MB" in outcomes[2].message
    names = dict(Document.objects.values_list("original_name", "status"))
    assert names == {"docs/policy.txt": "queued", "sub/guide.txt": "queued"}
    assert IngestJob.objects.filter(status="queued").count() == 2
    # nothing left behind in the spool folder
    assert not [p for p in (tmp_path / "files" / "incoming").rglob("*") if p.is_file()]


def test_the_same_path_twice_is_a_duplicate(collection_a, tmp_path):
    path = tmp_path / "policy.txt"
    path.write_bytes(samples.text("twice"))
    first, again = documents_upload(
        collection=collection_a,
        files=[(path, "policy.txt"), (path, "policy.txt")],
        uploaded_by=None,
    )
    assert (first.status, again.status) == ("queued", "duplicate")
    assert again.document is not None and first.document is not None
    assert again.document.pk == first.document.pk
