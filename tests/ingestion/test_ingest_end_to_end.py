"""Every format through the upload service and the ingest job, with the real parser, embedder and
embedded store; dedup; versions; permanent and transient failures."""

from __future__ import annotations

import pytest

from assistant.backends.vectorstore import VectorStoreUnavailable
from assistant.backends.vectorstore_factory import reset_vector_store
from ingestion.models import Chunk, Document, IngestJob
from ingestion.services import document_ingest, document_retry
from tests.fixtures.ingestion_jobs import run_queued_jobs, upload
from tests.ingestion import samples


def _points_of(store, document: Document) -> set[str]:
    return {pid for pid, payload in store.iter_points() if payload["document_id"] == document.pk}


def test_every_format_ends_indexed_with_one_point_per_chunk(collection_a, ada, store):
    outcomes = {
        name: upload(collection_a, name, make(), ada) for name, make in samples.FORMATS.items()
    }
    assert {o.status for o in outcomes.values()} == {"queued"}
    assert run_queued_jobs() == len(samples.FORMATS)

    for name, outcome in outcomes.items():
        document = Document.objects.get(pk=outcome.document.pk)
        assert document.status == Document.Status.INDEXED, (name, document.error_message)
        chunks = list(Chunk.objects.filter(document=document))
        assert chunks and document.chunk_count == len(chunks), name
        assert _points_of(store, document) == {c.point_id for c in chunks}, name
        job = document.jobs.get()
        assert job.status == IngestJob.Status.DONE and job.progress == 100
        assert {"parse", "chunk", "embed"} <= set(job.timings)
    pdf = Document.objects.get(original_name="guide.pdf")
    assert pdf.page_count == 2
    pages = set(Chunk.objects.filter(document=pdf).values_list("page_start", flat=True))
    assert pages <= {1, 2} and 1 in pages
    assert store.count(collection_ids=[collection_a.pk]) == Chunk.objects.count()


def test_identical_content_is_recognised_not_duplicated(collection_a, collection_b, store):
    first = upload(collection_a, "policy.txt", samples.text("dedup"))
    run_queued_jobs()
    again = upload(collection_a, "renamed.txt", samples.text("dedup"))
    assert again.status == "duplicate"
    assert again.document.pk == first.document.pk
    assert "already indexed" in again.message
    assert Document.objects.filter(collection=collection_a).count() == 1
    # another collection is another index scope
    assert upload(collection_b, "policy.txt", samples.text("dedup")).status == "queued"


def test_new_version_replaces_the_old_one_only_once_indexed(
    collection_a, store, django_capture_on_commit_callbacks
):
    v1 = upload(collection_a, "policy.txt", samples.text("version one")).document
    run_queued_jobs()
    v1_points = _points_of(store, v1)
    v1_file = v1.file.path

    v2 = upload(collection_a, "policy.txt", samples.text("version two", paragraphs=4)).document
    assert v2.version == 2 and v2.supersedes_id == v1.pk
    v1.refresh_from_db()
    assert v1.status == Document.Status.INDEXED  # still current while v2 waits
    assert _points_of(store, v1) == v1_points

    with django_capture_on_commit_callbacks(execute=True):
        run_queued_jobs()
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v2.status == Document.Status.INDEXED
    assert v1.status == Document.Status.DELETED
    assert _points_of(store, v1) == set()
    assert not Chunk.objects.filter(document=v1).exists()
    import os

    assert not os.path.exists(v1_file)
    assert store.count() == v2.chunk_count == Chunk.objects.count()


def test_failed_new_version_leaves_the_current_one_in_place(collection_a, store):
    v1 = upload(collection_a, "guide.pdf", samples.pdf("current")).document
    run_queued_jobs()
    v2 = upload(collection_a, "guide.pdf", samples.scanned_pdf()).document
    run_queued_jobs()
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v2.status == Document.Status.FAILED
    assert "no text layer" in v2.error_message
    assert v1.status == Document.Status.INDEXED
    assert _points_of(store, v2) == set() and not Chunk.objects.filter(document=v2).exists()
    assert store.count() == v1.chunk_count


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("junk.txt", bytes(range(256)) * 64, ""),
        ("scan.pdf", None, "no text layer"),
    ],
)
def test_bad_files_fail_with_a_reason_and_leave_nothing(collection_a, store, name, content, reason):
    outcome = upload(collection_a, name, samples.scanned_pdf() if content is None else content)
    run_queued_jobs()
    document = Document.objects.get(pk=outcome.document.pk)
    assert document.status == Document.Status.FAILED
    assert document.error_message and reason in document.error_message
    assert not Chunk.objects.filter(document=document).exists()
    assert store.count() == 0


def test_oversize_upload_is_rejected_before_storing(collection_a, settings, isolated_data_dir):
    from ingestion.services import UploadRejected

    settings.RAG_MAX_UPLOAD_MB = 1
    with pytest.raises(UploadRejected, match="1 MB"):
        upload(collection_a, "big.txt", b"a" * (1024 * 1024 + 1))
    assert not Document.objects.exists()
    stored = [p for p in (isolated_data_dir / "files").rglob("*") if p.is_file()]
    assert stored == []


def test_vector_store_outage_is_retried_then_indexed(collection_a, settings):
    outcome = upload(collection_a, "policy.txt", samples.text("outage"))
    job = outcome.document.jobs.get()
    settings.RAG_QDRANT_URL = "http://127.0.0.1:9"  # nothing listens there
    reset_vector_store()
    with pytest.raises(VectorStoreUnavailable):
        document_ingest(job.pk)
    job.refresh_from_db()
    document = Document.objects.get(pk=outcome.document.pk)
    assert job.status == IngestJob.Status.QUEUED and job.attempts == 1
    assert "waiting to retry" in job.error_message
    assert document.status == Document.Status.QUEUED

    settings.RAG_QDRANT_URL = ""  # the store is back
    reset_vector_store()
    document_ingest(job.pk)  # what the task's retry does
    job.refresh_from_db()
    document.refresh_from_db()
    assert document.status == Document.Status.INDEXED and job.attempts == 2
    from assistant.backends.vectorstore_factory import get_vector_store

    assert get_vector_store().count() == document.chunk_count == Chunk.objects.count()


def test_task_gives_up_with_a_readable_error_after_its_retries(collection_a, settings):
    from assistant.celery import app
    from ingestion.tasks import ingest_document_task

    outcome = upload(collection_a, "policy.txt", samples.text("give up"))
    job = outcome.document.jobs.get()
    settings.RAG_QDRANT_URL = "http://127.0.0.1:9"
    reset_vector_store()
    app.conf.task_always_eager = True
    old_retries = ingest_document_task.max_retries
    ingest_document_task.max_retries = 1
    try:
        result = ingest_document_task.apply(args=[job.pk])
    finally:
        app.conf.task_always_eager = False
        ingest_document_task.max_retries = old_retries
    assert result.failed()
    document = Document.objects.get(pk=outcome.document.pk)
    assert document.status == Document.Status.FAILED
    assert "gave up after" in document.error_message
    assert "VectorStoreUnavailable" in document.error_message


def test_retry_after_failure_indexes_the_document(collection_a, ada, store):
    outcome = upload(collection_a, "policy.txt", samples.text("retry"))
    from ingestion.indexing import fail_job

    fail_job(outcome.document.jobs.get().pk, "simulated permanent failure")
    document = Document.objects.get(pk=outcome.document.pk)
    assert document.status == Document.Status.FAILED
    document_retry(document=document, actor=ada)
    run_queued_jobs()
    document.refresh_from_db()
    assert document.status == Document.Status.INDEXED
    assert document.jobs.count() == 2


def test_a_redelivered_job_overwrites_instead_of_duplicating(collection_a, store):
    outcome = upload(collection_a, "policy.txt", samples.text("redelivered", paragraphs=6))
    run_queued_jobs()
    document = Document.objects.get(pk=outcome.document.pk)
    before = _points_of(store, document)
    # the same job delivered again after it was requeued (e.g. worker lost the ack)
    job = document.jobs.get()
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.QUEUED)
    Document.objects.filter(pk=document.pk).update(status=Document.Status.QUEUED)
    document_ingest(job.pk)
    document.refresh_from_db()
    assert document.status == Document.Status.INDEXED
    assert _points_of(store, document) == before
    assert store.count() == Chunk.objects.count() == document.chunk_count
