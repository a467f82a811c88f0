"""Deletion leaves no orphan; interrupted jobs are requeued; a job is claimed once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from ingestion.indexing import claim_job
from ingestion.models import Chunk, Collection, Document, IngestJob
from ingestion.services import collection_delete, document_delete
from ingestion.tasks import requeue_interrupted_jobs
from tests.fixtures.ingestion_jobs import indexed_document

TEXTS = ["trains and hotels", "receipts within thirty days"]


def test_document_delete_removes_file_chunks_points_and_old_versions(
    collection_a, ada, store, django_capture_on_commit_callbacks
):
    old = indexed_document(collection_a, "a.txt", TEXTS)
    Document.objects.filter(pk=old.pk).update(status=Document.Status.DELETED)
    current = indexed_document(collection_a, "a.txt", TEXTS, version=2)
    keep = indexed_document(collection_a, "b.txt", TEXTS)
    path = Path(current.file.path)
    assert path.exists() and store.count() == 6

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=current, actor=ada)

    assert not path.exists()
    assert not Document.objects.filter(pk__in=[old.pk, current.pk]).exists()
    assert set(Chunk.objects.values_list("document_id", flat=True)) == {keep.pk}
    assert store.count() == 2
    assert {payload["document_id"] for _, payload in store.iter_points()} == {keep.pk}


def test_collection_delete_leaves_no_point(
    collection_a, collection_b, ada, store, django_capture_on_commit_callbacks
):
    first = indexed_document(collection_a, "a.txt", TEXTS)
    indexed_document(collection_a, "b.txt", TEXTS)
    indexed_document(collection_b, "c.txt", TEXTS)
    path = Path(first.file.path)
    collection_id = collection_a.pk
    with django_capture_on_commit_callbacks(execute=True):
        collection_delete(collection=collection_a, actor=ada)
    assert not Collection.objects.filter(pk=collection_id).exists()
    assert not path.exists()
    assert store.count(collection_ids=[collection_id]) == 0
    assert store.count() == 2 == Chunk.objects.count()


def _running_job(collection, *, age_seconds: float, worker: str = "w1@host") -> IngestJob:
    document = Document.objects.create(
        collection=collection,
        title="x",
        original_name="x.txt",
        sha256="0" * 64,
        mime_type="text/plain",
        size=1,
        status=Document.Status.EMBEDDING,
    )
    beat = timezone.now() - timedelta(seconds=age_seconds)
    return IngestJob.objects.create(
        document=document,
        status=IngestJob.Status.EMBEDDING,
        attempts=1,
        heartbeat_at=beat,
        claimed_at=beat,
        worker=worker,
    )


def test_requeue_interrupted_jobs_takes_stale_or_own_jobs_only(collection_a, settings):
    settings.RAG_EMBEDDED_BROKER = False  # server mode: other workers may be alive
    settings.RAG_INGEST_STALE_SECONDS = 600
    stale = _running_job(collection_a, age_seconds=3600)
    alive = _running_job(collection_a, age_seconds=5, worker="w2@host")
    mine = _running_job(collection_a, age_seconds=5, worker="w1@host")

    assert requeue_interrupted_jobs(worker="w1@host") == 2

    statuses = dict(IngestJob.objects.values_list("pk", "status"))
    assert statuses[stale.pk] == statuses[mine.pk] == IngestJob.Status.QUEUED
    assert statuses[alive.pk] == IngestJob.Status.EMBEDDING
    assert Document.objects.get(pk=stale.document_id).status == Document.Status.QUEUED
    # the requeued job can be claimed exactly once
    assert claim_job(stale.pk) is True
    assert claim_job(stale.pk) is False
    assert IngestJob.objects.get(pk=stale.pk).attempts == 2


def test_embedded_mode_requeues_every_running_job_at_start(collection_a, settings):
    settings.RAG_EMBEDDED_BROKER = True
    settings.RAG_QDRANT_URL = ""
    _running_job(collection_a, age_seconds=1)
    assert requeue_interrupted_jobs() == 1


def test_the_periodic_recovery_never_takes_the_job_running_now(collection_a, settings):
    """The beat task runs while the embedded worker is busy: only stale jobs are reopened."""
    from ingestion.tasks import requeue_interrupted_task

    settings.RAG_EMBEDDED_BROKER = True
    settings.RAG_QDRANT_URL = ""
    settings.RAG_INGEST_STALE_SECONDS = 600
    running = _running_job(collection_a, age_seconds=1)
    stale = _running_job(collection_a, age_seconds=3600)
    assert requeue_interrupted_task.apply().get() == 1
    statuses = dict(IngestJob.objects.values_list("pk", "status"))
    assert statuses[running.pk] == IngestJob.Status.EMBEDDING
    assert statuses[stale.pk] == IngestJob.Status.QUEUED


def test_claim_of_missing_job_is_a_no_op(db):
    assert claim_job(987654) is False
