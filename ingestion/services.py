"""Write-side operations on collections and documents. Views and commands call these.

The ingest job itself lives in ingestion/indexing.py (document_ingest is re-exported here);
ingestion/tasks.py enqueues it.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from ingestion.collection_services import collection_save
from ingestion.indexing import document_ingest, fail_job, point_id_for
from ingestion.models import Collection, Document, IngestJob
from ingestion.signals import documents_retired
from ingestion.tasks import enqueue_after_commit

__all__ = [
    "UploadOutcome",
    "UploadRejected",
    "collection_delete",
    "collection_save",  # re-exported from ingestion.collection_services
    "document_delete",
    "document_ingest",
    "document_retry",
    "document_upload",
    "documents_upload",
    "fail_job",
    "point_id_for",
]

logger = logging.getLogger(__name__)
ZIP_MIME = "application/zip"
EMPTY_FILE_MESSAGE = "the file is empty (0 bytes): nothing to index"


class UploadRejected(Exception):
    """The upload was refused before anything was stored; the message is user-facing."""


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file. status: queued, duplicate, failed or rejected."""

    name: str
    status: str
    message: str = ""
    document: Document | None = None


def _audit(action: str, actor: Any, payload: dict[str, Any]) -> None:
    from privacy.services import audit_record

    audit_record(action=action, actor=actor, payload=payload)


def _spool(file: IO[bytes] | File, folder: Path) -> tuple[Path, str, int]:
    """Copy the upload to a private temporary file while hashing it; enforce the size limit."""
    limit = settings.RAG_MAX_UPLOAD_MB * 1024 * 1024
    declared = getattr(file, "size", None)
    if declared is not None and declared > limit:
        raise UploadRejected(f"larger than the {settings.RAG_MAX_UPLOAD_MB} MB upload limit")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".upload")  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle:
            if hasattr(file, "seek"):
                file.seek(0)
            chunks = (
                file.chunks() if isinstance(file, File) else iter(lambda: file.read(1 << 20), b"")
            )
            for block in chunks:
                size += len(block)
                if size > limit:
                    raise UploadRejected(
                        f"larger than the {settings.RAG_MAX_UPLOAD_MB} MB upload limit"
                    )
                digest.update(block)
                handle.write(block)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest.hexdigest(), size


def _incoming_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "incoming"


def _is_archive(path: Path) -> bool:
    """A plain .zip (not an Office file, which is also a zip)."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "[Content_Types].xml" not in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def document_upload(
    *,
    collection: Collection,
    file: IO[bytes] | File,
    uploaded_by: Any,
    original_name: str | None = None,
) -> UploadOutcome:
    """Store one file and queue it for indexing (the task is enqueued after commit).

    - identical content (sha256) already in the collection: no new row, status "duplicate";
    - same name, different content: a new version row that supersedes the current one, which is
      retired only once the new version is INDEXED;
    - content that is no supported type: a FAILED row with the reason;
    Raises UploadRejected (nothing stored) when the file is over RAG_MAX_UPLOAD_MB or empty.
    """
    name = Path(original_name or getattr(file, "name", "") or "upload").as_posix()[-255:]
    temp, sha256, size = _spool(file, _incoming_dir())
    try:
        if size == 0:
            # Every empty file has the same sha256: rejected before the duplicate lookup, or an
            # empty PDF would be "identical to" an unrelated empty text file. Nothing to index
            # or retry, so nothing is stored.
            raise UploadRejected(EMPTY_FILE_MESSAGE)
        return _register(collection, temp, name, sha256, size, uploaded_by)
    finally:
        temp.unlink(missing_ok=True)


def _register(
    collection: Collection,
    temp: Path,
    name: str,
    sha256: str,
    size: int,
    uploaded_by: Any,
) -> UploadOutcome:
    from ingestion.pipeline.parse import ParseError, detect_mime_type

    existing = (
        Document.objects.filter(collection=collection, sha256=sha256)
        .exclude(status=Document.Status.DELETED)
        .order_by("-version")
        .first()
    )
    if existing is not None:
        state = existing.get_status_display().lower()
        return UploadOutcome(
            name,
            "duplicate",
            f"identical to {existing.original_name} (version {existing.version}), already "
            f"{'indexed' if existing.status == Document.Status.INDEXED else state}",
            existing,
        )
    failure = ""
    mime_type = "application/octet-stream"
    try:
        mime_type = detect_mime_type(temp, name)
    except ParseError as exc:
        failure = str(exc) or "unsupported file type"
    with transaction.atomic():
        previous = (
            Document.objects.select_for_update()
            .filter(collection=collection, original_name=name)
            .order_by("-version")
            .first()
        )
        latest_version = previous.version if previous else 0
        supersedes = previous if previous and not hasattr_superseded(previous) else None
        document = Document(
            collection=collection,
            title=Path(name).stem[:300] or name[:300],
            original_name=name,
            sha256=sha256,
            mime_type=mime_type[:100],
            size=size,
            version=latest_version + 1,
            supersedes=supersedes,
            status=Document.Status.FAILED if failure else Document.Status.QUEUED,
            error_message=failure,
            uploaded_by=uploaded_by,
        )
        with temp.open("rb") as handle:
            document.file.save(f"{sha256[:2]}/{Path(name).name}", File(handle), save=False)
        try:
            document.save()
            job = IngestJob.objects.create(
                document=document,
                status=IngestJob.Status.FAILED if failure else IngestJob.Status.QUEUED,
                error_message=failure,
                finished_at=timezone.now() if failure else None,
            )
            if not failure:
                enqueue_after_commit(job.pk)
            _audit(
                "document.upload",
                uploaded_by,
                {
                    "collection": collection.slug,
                    "document_id": document.pk,
                    "name": name,
                    "version": document.version,
                    "sha256": sha256,
                    "size": size,
                },
            )
        except BaseException:
            if document.file.name:
                document.file.storage.delete(document.file.name)  # nothing half-stored
            raise
    if failure:
        return UploadOutcome(name, "failed", failure, document)
    version_note = f" (version {document.version})" if document.version > 1 else ""
    return UploadOutcome(name, "queued", f"queued for indexing{version_note}", document)


def hasattr_superseded(document: Document) -> bool:
    """True when another row already supersedes `document` (the link is one-to-one)."""
    return Document.objects.filter(supersedes=document).exists()


def documents_upload(
    *,
    collection: Collection,
    files: Iterable[tuple[IO[bytes] | File | Path, str]],
    uploaded_by: Any,
) -> list[UploadOutcome]:
    """Upload several (file, name) pairs; a plain .zip is expanded safely and each member
    uploaded under its path inside the archive. A file given as a Path is opened only while it
    is read. Never raises for one bad file: each file gets an outcome (rejected archives and
    oversize files as status "rejected")."""
    outcomes: list[UploadOutcome] = []
    for file, name in files:
        if isinstance(file, Path):
            with file.open("rb") as handle:
                outcomes.extend(_upload_one(collection, handle, name, uploaded_by))
        else:
            outcomes.extend(_upload_one(collection, file, name, uploaded_by))
    return outcomes


def _upload_one(
    collection: Collection, file: IO[bytes] | File, name: str, uploaded_by: Any
) -> list[UploadOutcome]:
    """The outcome of one file, or of each member when it is a plain .zip."""
    try:
        temp, _sha, _size = _spool(file, _incoming_dir())
    except UploadRejected as exc:
        return [UploadOutcome(name, "rejected", str(exc))]
    try:
        if _is_archive(temp):
            return _upload_archive(collection, temp, name, uploaded_by)
        return [_upload_path(collection, temp, name, uploaded_by)]
    finally:
        temp.unlink(missing_ok=True)


def _upload_archive(
    collection: Collection, archive: Path, name: str, uploaded_by: Any
) -> list[UploadOutcome]:
    from ingestion.pipeline.archives import ArchiveRejected, extract_zip_safely

    workdir = Path(tempfile.mkdtemp(dir=_incoming_dir()))
    try:
        try:
            members = extract_zip_safely(archive, workdir)
        except ArchiveRejected as exc:
            return [UploadOutcome(name, "rejected", str(exc))]
        return [_upload_path(collection, path, member, uploaded_by) for path, member in members]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _upload_path(collection: Collection, path: Path, name: str, uploaded_by: Any) -> UploadOutcome:
    try:
        with path.open("rb") as handle:
            return document_upload(
                collection=collection,
                file=File(handle),
                uploaded_by=uploaded_by,
                original_name=name,
            )
    except UploadRejected as exc:
        return UploadOutcome(name, "rejected", str(exc))


def document_retry(*, document: Document, actor: Any) -> IngestJob:
    """Queue a new attempt for a FAILED document. Raises ValueError for any other status."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status != Document.Status.FAILED:
            raise ValueError(f"only a failed document can be retried (this one is {locked.status})")
        Document.objects.filter(pk=locked.pk).update(
            status=Document.Status.QUEUED, error_message="", updated_at=timezone.now()
        )
        job = IngestJob.objects.create(document=locked, status=IngestJob.Status.QUEUED)
        enqueue_after_commit(job.pk)
        _audit("document.retry", actor, {"document_id": locked.pk, "name": locked.original_name})
    return job


def _store() -> Any:
    from assistant.backends.vectorstore_factory import get_vector_store

    return get_vector_store()


def document_delete(*, document: Document, actor: Any) -> None:
    """Delete a document with its stored file, chunks and vector points, and its retired
    earlier versions. Raises VectorStoreUnavailable (nothing deleted) when the index is down."""
    rows = [document, *_retired_predecessors(document)]
    store = _store()
    for row in rows:
        store.delete_by_document(row.pk)
    with transaction.atomic():
        files = [(row.file.storage, row.file.name) for row in rows if row.file.name]
        documents_retired.send(sender=Document, document_ids=[row.pk for row in rows])
        Document.objects.filter(pk__in=[row.pk for row in rows]).delete()
        for storage, name in files:
            transaction.on_commit(partial(storage.delete, name))
        _audit(
            "document.delete",
            actor,
            {
                "collection": document.collection.slug,
                "document_id": document.pk,
                "name": document.original_name,
                "versions": [row.version for row in rows],
            },
        )


def _retired_predecessors(document: Document) -> list[Document]:
    return list(
        Document.objects.filter(
            collection_id=document.collection_id,
            original_name=document.original_name,
            version__lt=document.version,
            status=Document.Status.DELETED,
        )
    )


def collection_delete(*, collection: Collection, actor: Any) -> None:
    """Delete a collection, its documents' files and chunks, and every point it had."""
    _store().delete_by_collection(collection.pk)
    with transaction.atomic():
        files = [
            (doc.file.storage, doc.file.name) for doc in collection.documents.all() if doc.file.name
        ]
        slug = collection.slug
        # Before the delete: it would also drop the cache entries' link to this collection.
        documents_retired.send(
            sender=Document, document_ids=list(collection.documents.values_list("pk", flat=True))
        )
        collection.delete()
        for storage, name in files:
            transaction.on_commit(partial(storage.delete, name))
        _audit("collection.delete", actor, {"collection": slug})
