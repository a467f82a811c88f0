"""An empty upload (any type) is rejected with its own "empty file" message and is never compared
for duplicates: every empty file has the same sha256, so an empty PDF used to be reported as
"identical to" an unrelated empty text file."""

from __future__ import annotations

import hashlib
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ingestion.models import Document
from ingestion.services import (
    EMPTY_FILE_MESSAGE,
    UploadRejected,
    document_upload,
    documents_upload,
)
from privacy.models import AuditEvent
from tests.ingestion import samples

pytestmark = pytest.mark.django_db
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _stored_files(data_dir) -> list:
    return [p for p in (data_dir / "files").rglob("*") if p.is_file()]


def test_empty_txt_then_empty_pdf_are_both_rejected_as_empty(
    client_for, ada, collection_a, isolated_data_dir
):
    admin = client_for(ada)
    url = reverse("document_upload", args=[collection_a.slug])
    for name in ("notes.txt", "report.pdf"):
        response = admin.post(url, {"documents": [SimpleUploadedFile(name, b"")]})
        assert response.status_code == 200
        page = response.content.decode()
        assert f"<strong>{name}</strong>: rejected — {EMPTY_FILE_MESSAGE}" in page
        assert "duplicate" not in page and "identical to" not in page
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(action="document.upload").exists()
    assert _stored_files(isolated_data_dir) == []


@pytest.mark.parametrize("name", ["empty.txt", "empty.pdf", "empty.docx", "empty", "e.zip"])
def test_any_type_of_empty_file_is_rejected_by_the_service(collection_a, name):
    with pytest.raises(UploadRejected, match=r"^the file is empty \(0 bytes\)"):
        document_upload(
            collection=collection_a, file=BytesIO(b""), uploaded_by=None, original_name=name
        )
    assert not Document.objects.exists()


def test_empty_files_and_an_empty_zip_member_each_get_their_own_outcome(collection_a, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"")
    (tmp_path / "b.pdf").write_bytes(b"")
    bundle = samples.zip_of({"sub/blank.md": b"", "sub/full.txt": samples.text("full")})
    (tmp_path / "bundle.zip").write_bytes(bundle)
    files = [(tmp_path / name, name) for name in ("a.txt", "b.pdf", "bundle.zip")]

    outcomes = documents_upload(collection=collection_a, files=files, uploaded_by=None)

    assert [(o.name, o.status, o.message) for o in outcomes] == [
        ("a.txt", "rejected", EMPTY_FILE_MESSAGE),
        ("b.pdf", "rejected", EMPTY_FILE_MESSAGE),
        ("sub/blank.md", "rejected", EMPTY_FILE_MESSAGE),
        ("sub/full.txt", "queued", "queued for indexing"),
    ]
    assert list(Document.objects.values_list("original_name", flat=True)) == ["sub/full.txt"]


def test_an_old_empty_row_is_never_matched_as_a_duplicate(collection_a):
    """A zero-byte FAILED row stored before this rule does not capture later empty uploads."""
    Document.objects.create(
        collection=collection_a, title="old", original_name="old.txt", file="x/old.txt",
        sha256=EMPTY_SHA256, mime_type="application/octet-stream", size=0,
        status=Document.Status.FAILED, error_message="the file is empty",
    )  # fmt: skip
    [outcome] = documents_upload(
        collection=collection_a, files=[(BytesIO(b""), "new.pdf")], uploaded_by=None
    )
    assert (outcome.status, outcome.message, outcome.document) == (
        "rejected",
        EMPTY_FILE_MESSAGE,
        None,
    )


def test_the_same_name_with_content_is_then_queued_normally(collection_a):
    [empty] = documents_upload(
        collection=collection_a, files=[(BytesIO(b""), "guide.txt")], uploaded_by=None
    )
    [full] = documents_upload(
        collection=collection_a, files=[(BytesIO(samples.text("guide")), "guide.txt")],
        uploaded_by=None,
    )  # fmt: skip
    assert (empty.status, full.status) == ("rejected", "queued")
    assert full.document is not None and full.document.version == 1
