"""Rebuilding and checking the vector index against the database (the source of truth)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ingestion.indexing import current_embedder, current_store, embed_and_upsert
from ingestion.models import Chunk, Collection, Document

IN_PROGRESS = (Document.Status.QUEUED, Document.Status.PARSING, Document.Status.EMBEDDING)


def _chunks_by_document(documents: list[Document]) -> dict[int, list[Chunk]]:
    grouped: dict[int, list[Chunk]] = defaultdict(list)
    versions = {doc.pk: doc.version for doc in documents}
    for chunk in Chunk.objects.filter(document_id__in=list(versions)).order_by(
        "document_id", "index"
    ):
        if chunk.version == versions[chunk.document_id]:
            grouped[chunk.document_id].append(chunk)
    return grouped


def reindex(
    *, collection: Collection | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild points from the Chunk rows of INDEXED documents, re-embedding their text with the
    current model (no reparse). Without a collection the whole index is dropped and recreated:
    that is the path for an embedding-model change. Returns the number of points written.
    Raises IndexModelMismatch for a per-collection reindex under another model (do a full one)."""
    store = current_store()
    embedder = current_embedder()
    if collection is None:
        store.drop()
    else:
        store.delete_by_collection(collection.pk)
    store.ensure_collection(embed_model=embedder.model_name, dimension=embedder.dimension)
    documents = Document.objects.filter(status=Document.Status.INDEXED)
    if collection is not None:
        documents = documents.filter(collection=collection)
    listed = list(documents.order_by("pk"))
    grouped = _chunks_by_document(listed)
    total = sum(len(chunks) for chunks in grouped.values())
    written = 0
    for document in listed:
        chunks = grouped.get(document.pk, [])
        if not chunks:
            continue
        base = written

        def report(done: int, base: int = base) -> None:
            if progress is not None:
                progress(base + done, total)

        embed_and_upsert(
            chunks,
            collection_id=document.collection_id,
            lang=document.language,
            on_batch=report,
        )
        written += len(chunks)
    return written


@dataclass
class ReconcileReport:
    points: int = 0
    chunks: int = 0
    orphan_points: list[str] = field(default_factory=list)  # no chunk of a live document
    missing_points: list[int] = field(default_factory=list)  # chunk ids of INDEXED docs
    wrong_version_points: list[str] = field(default_factory=list)  # payload disagrees with DB
    stale_chunks: list[int] = field(default_factory=list)  # chunks of old/failed/deleted rows
    fixed: bool = False

    @property
    def drift(self) -> int:
        return (
            len(self.orphan_points)
            + len(self.missing_points)
            + len(self.wrong_version_points)
            + len(self.stale_chunks)
        )


def reconcile(*, fix: bool = False) -> ReconcileReport:
    """Compare the index with the database. With fix: delete orphan and wrong points, delete
    stale chunks, and re-embed the chunks whose point is missing or wrong.

    Documents still being indexed are left alone (their points are legitimately partial)."""
    report = ReconcileReport()
    documents = {doc.pk: doc for doc in Document.objects.all()}
    expected: dict[str, Chunk] = {}
    in_progress_points: set[str] = set()
    for chunk in Chunk.objects.all().iterator():
        document = documents.get(chunk.document_id)
        report.chunks += 1
        if document is None or chunk.version != document.version:
            report.stale_chunks.append(chunk.pk)
        elif document.status == Document.Status.INDEXED:
            expected[chunk.point_id] = chunk
        elif document.status in IN_PROGRESS:
            in_progress_points.add(chunk.point_id)
        else:
            report.stale_chunks.append(chunk.pk)
    store = current_store()
    seen: set[str] = set()
    rewrite: list[Chunk] = []
    for point_id, payload in store.iter_points():
        report.points += 1
        found = expected.get(point_id)
        if found is None:
            if point_id not in in_progress_points:
                report.orphan_points.append(point_id)
            continue
        chunk = found
        seen.add(point_id)
        document = documents[chunk.document_id]
        if (
            payload.get("document_id") != chunk.document_id
            or payload.get("version") != chunk.version
            or payload.get("collection_id") != document.collection_id
            or payload.get("chunk_id") != chunk.pk
        ):
            report.wrong_version_points.append(point_id)
            rewrite.append(chunk)
    missing = [chunk for point_id, chunk in expected.items() if point_id not in seen]
    report.missing_points = [chunk.pk for chunk in missing]
    if fix and report.drift:
        _repair(report, [*missing, *rewrite], documents)
        report.fixed = True
    return report


def _repair(report: ReconcileReport, rewrite: list[Chunk], documents: dict[int, Document]) -> None:
    store = current_store()
    if report.orphan_points or report.wrong_version_points:
        store.delete_points([*report.orphan_points, *report.wrong_version_points])
    if report.stale_chunks:
        Chunk.objects.filter(pk__in=report.stale_chunks).delete()
    by_document: dict[int, list[Chunk]] = defaultdict(list)
    for chunk in rewrite:
        by_document[chunk.document_id].append(chunk)
    for document_id, chunks in by_document.items():
        document = documents[document_id]
        embed_and_upsert(
            sorted(chunks, key=lambda c: c.index),
            collection_id=document.collection_id,
            lang=document.language,
        )
