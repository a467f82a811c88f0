"""The admin pages: admin role only, collection and access editing, upload, progress, delete."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ingestion.models import Collection, Document, IngestJob
from tests.fixtures.ingestion_jobs import indexed_document
from tests.ingestion import samples


def _pages(collection: Collection, document: Document) -> list[tuple[str, str]]:
    return [
        ("get", reverse("collections")),
        ("get", reverse("collection_create")),
        ("get", reverse("collection_detail", args=[collection.slug])),
        ("get", reverse("collection_edit", args=[collection.slug])),
        ("get", reverse("collection_delete", args=[collection.slug])),
        ("post", reverse("document_upload", args=[collection.slug])),
        ("get", reverse("document_row", args=[document.pk])),
        ("post", reverse("document_retry", args=[document.pk])),
        ("get", reverse("document_delete", args=[document.pk])),
    ]


def test_every_page_is_admin_only(client, client_for, alice, carl, ada, collection_a):
    document = indexed_document(collection_a, "a.txt", ["hello"])
    for method, url in _pages(collection_a, document):
        assert getattr(client, method)(url).status_code == 302, url  # anonymous -> login
        for user in (alice, carl):
            assert getattr(client_for(user), method)(url).status_code == 403, (url, user)
    admin = client_for(ada)
    for method, url in _pages(collection_a, document):
        if method == "get":
            assert admin.get(url).status_code == 200, url


def test_collection_list_shows_counts_by_state(client_for, ada, collection_a):
    indexed_document(collection_a, "a.txt", ["hello"])
    failed = indexed_document(collection_a, "b.txt", ["hello"])
    Document.objects.filter(pk=failed.pk).update(status=Document.Status.FAILED)
    page = client_for(ada).get(reverse("collections")).content.decode()
    assert "Collection A" in page
    assert "?status=failed" in page
    assert " style=" not in page and "<script>" not in page


def test_create_collection_with_readers(client_for, ada, alice, bob):
    from django.contrib.auth.models import Group

    employees = Group.objects.get(name="employee")
    response = client_for(ada).post(
        reverse("collection_create"),
        {
            "name": "HR policies",
            "slug": "hr",
            "description": "",
            "sensitivity": "internal",
            "redaction_policy": "mask_in_logs",
            "answer_mode": "auto",
            "reader_groups": [employees.pk],
            "reader_users": [alice.pk],
        },
    )
    assert response.status_code == 302
    collection = Collection.objects.get(slug="hr")
    assert list(collection.reader_groups.all()) == [employees]
    assert list(collection.reader_users.all()) == [alice]
    # editing revokes alice
    client_for(ada).post(
        reverse("collection_edit", args=["hr"]),
        {
            "name": "HR",
            "slug": "hr",
            "sensitivity": "internal",
            "redaction_policy": "mask_in_logs",
            "answer_mode": "auto",
        },
    )
    collection.refresh_from_db()
    assert collection.name == "HR" and not collection.reader_users.exists()


def test_upload_several_files_and_a_zip_queues_each(client_for, ada, collection_a):
    files = [
        SimpleUploadedFile("one.txt", samples.text("one")),
        SimpleUploadedFile("two.md", samples.markdown("two")),
        SimpleUploadedFile("bundle.zip", samples.zip_of({"sub/three.txt": samples.text("three")})),
        SimpleUploadedFile("empty.txt", b""),
    ]
    response = client_for(ada).post(
        reverse("document_upload", args=[collection_a.slug]), {"documents": files}
    )
    assert response.status_code == 200
    page = response.content.decode()
    names = dict(Document.objects.values_list("original_name", "status"))
    assert names == {
        "one.txt": "queued",
        "two.md": "queued",
        "sub/three.txt": "queued",
    }  # an empty file is rejected, never stored (tests/ingestion/test_empty_upload.py)
    assert "the file is empty" in page
    assert IngestJob.objects.filter(status="queued").count() == 3
    # a queued row polls its progress fragment
    assert 'hx-trigger="every 2s"' in page


def test_upload_without_file_is_a_form_error(client_for, ada, collection_a):
    response = client_for(ada).post(reverse("document_upload", args=[collection_a.slug]), {})
    assert response.status_code == 400


def test_progress_fragment_shows_stage_and_stops_polling_when_done(client_for, ada, collection_a):
    document = indexed_document(collection_a, "a.txt", ["hello"])
    Document.objects.filter(pk=document.pk).update(status=Document.Status.EMBEDDING)
    IngestJob.objects.create(document=document, status="embedding", progress=42)
    admin = client_for(ada)
    url = reverse("document_row", args=[document.pk])
    fragment = admin.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.strip().startswith(f'<tr id="doc-{document.pk}"')
    assert "<html" not in fragment
    assert 'value="42"' in fragment and "Embedding" in fragment and "every 2s" in fragment

    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.FAILED, error_message="no text layer (scanned document)"
    )
    fragment = admin.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in fragment
    assert "no text layer (scanned document)" in fragment
    assert "Retry" in fragment


def test_retry_requeues_a_failed_document(client_for, ada, collection_a):
    document = indexed_document(collection_a, "a.txt", ["hello"])
    Document.objects.filter(pk=document.pk).update(status=Document.Status.FAILED)
    response = client_for(ada).post(
        reverse("document_retry", args=[document.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    document.refresh_from_db()
    assert document.status == Document.Status.QUEUED
    assert document.jobs.filter(status="queued").count() == 1


def test_filter_documents_by_status(client_for, ada, collection_a):
    indexed_document(collection_a, "kept.txt", ["hello"])
    failed = indexed_document(collection_a, "broken.txt", ["hello"])
    Document.objects.filter(pk=failed.pk).update(status=Document.Status.FAILED)
    url = reverse("collection_detail", args=[collection_a.slug])
    page = client_for(ada).get(url, {"status": "failed"}).content.decode()
    assert "broken.txt" in page and "kept.txt" not in page
    fragment = client_for(ada).get(url, {"status": "indexed"}, headers={"HX-Request": "true"})
    text = fragment.content.decode()
    assert text.strip().startswith('<table id="documents">')
    assert "kept.txt" in text and "broken.txt" not in text


def test_delete_document_asks_then_deletes(client_for, ada, collection_a, store):
    document = indexed_document(collection_a, "a.txt", ["hello", "world"])
    admin = client_for(ada)
    url = reverse("document_delete", args=[document.pk])
    confirm = admin.get(url).content.decode()
    assert "cannot be undone" in confirm and Document.objects.filter(pk=document.pk).exists()
    assert admin.post(url).status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert store.count() == 0


def test_delete_collection(client_for, ada, collection_a, store):
    indexed_document(collection_a, "a.txt", ["hello"])
    admin = client_for(ada)
    url = reverse("collection_delete", args=[collection_a.slug])
    assert "1 document" in admin.get(url).content.decode()
    assert admin.post(url).status_code == 302
    assert not Collection.objects.filter(pk=collection_a.pk).exists()
    assert store.count() == 0


@pytest.mark.parametrize("name", ["collections", "collection_create"])
def test_pages_have_no_inline_style_or_script(client_for, ada, name):
    page = client_for(ada).get(reverse(name)).content.decode()
    assert " style=" not in page and "<script>" not in page
