"""Ingestion fixtures: a fresh embedded store per test, and a synchronous stand-in for the worker
that runs the real document_ingest service on every queued job (exactly what the task does)."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest

from assistant.backends.vectorstore import get_vector_store, reset_vector_store
from ingestion.models import Collection, IngestJob
from ingestion.services import document_ingest, document_upload


@pytest.fixture(autouse=True)
def fresh_store(isolated_data_dir) -> Iterator[None]:
    reset_vector_store()
    yield
    reset_vector_store()


@pytest.fixture
def store(fresh_store) -> Any:
    return get_vector_store()


def upload(collection: Collection, name: str, content: bytes, user: Any = None) -> Any:
    """document_upload on bytes (typed Any: tests read .document without None checks)."""
    return document_upload(
        collection=collection, file=BytesIO(content), uploaded_by=user, original_name=name
    )


def run_queued_jobs() -> int:
    """Run every QUEUED ingest job through the service, as a worker would. Returns how many."""
    ran = 0
    while True:
        job = IngestJob.objects.filter(status=IngestJob.Status.QUEUED).order_by("pk").first()
        if job is None:
            return ran
        document_ingest(job.pk, worker="test")
        ran += 1


def indexed_document(collection: Collection, name: str, texts: list[str], version: int = 1) -> Any:
    """A Document INDEXED from the given chunk texts, without parsing (for index maintenance
    tests): chunks are rows, points go through the real embedder and store."""
    from django.core.files.base import ContentFile

    from ingestion.indexing import embed_and_upsert, point_id_for
    from ingestion.models import Chunk, Document

    document = Document(
        collection=collection,
        title=name,
        original_name=name,
        sha256=f"{name}-{version}".ljust(64, "0")[:64],
        mime_type="text/plain",
        size=10,
        version=version,
        status=Document.Status.INDEXED,
        language="en",
        chunk_count=len(texts),
    )
    document.file.save(name, ContentFile(b"\n".join(t.encode() for t in texts)), save=False)
    document.save()
    chunks = Chunk.objects.bulk_create(
        Chunk(
            document=document,
            version=version,
            index=i,
            text=t,
            char_start=0,
            char_end=len(t),
            token_count=len(t.split()),
            point_id=point_id_for(document.pk, version, i),
        )
        for i, t in enumerate(texts)
    )
    embed_and_upsert(chunks, collection_id=collection.pk, lang="en")
    return document
