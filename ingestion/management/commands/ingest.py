"""manage.py ingest PATH [PATH...] --collection SLUG [--create] [--wait]"""

from __future__ import annotations

import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingestion.models import Collection, Document
from ingestion.services import UploadOutcome, documents_upload

FINAL = (Document.Status.INDEXED, Document.Status.FAILED, Document.Status.DELETED)


def collect_files(paths: list[str]) -> list[tuple[Path, str]]:
    """(file, name to record): a folder contributes its files recursively, named relative to it."""
    found: list[tuple[Path, str]] = []
    for raw in paths:
        root = Path(raw).expanduser()
        if root.is_file():
            found.append((root, root.name))
        elif root.is_dir():
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root)
                if path.is_file() and not any(p.startswith(".") for p in relative.parts):
                    found.append((path, relative.as_posix()))
        else:
            raise CommandError(f"no such file or folder: {raw}")
    return found


class Command(BaseCommand):
    help = (
        "Upload files and folders (recursively) into a collection through the normal Celery "
        "ingest tasks. In the embedded mode, --wait runs a worker inside this command: do not "
        "run it while `manage.py serve` runs (the embedded index is locked to one process)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--collection", required=True, metavar="SLUG")
        parser.add_argument("--create", action="store_true", help="create the collection")
        parser.add_argument("--wait", action="store_true", help="wait and print the results")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait at most")

    def handle(self, *args: Any, **options: Any) -> None:
        collection = self._collection(options["collection"], create=options["create"])
        files = collect_files(options["paths"])
        if not files:
            raise CommandError("no file to ingest")
        worker = self._start_embedded_worker() if options["wait"] else None
        try:
            outcomes = documents_upload(collection=collection, files=files, uploaded_by=None)
            if options["wait"]:
                self._wait(outcomes, timeout=options["timeout"])
            failed = self._report(outcomes)
        finally:
            if worker is not None:
                worker.stop()
        if failed:
            self.stderr.write(f"{failed} file(s) failed")
            sys.exit(1)

    def _collection(self, slug: str, *, create: bool) -> Collection:
        if create:
            return Collection.objects.get_or_create(slug=slug, defaults={"name": slug})[0]
        try:
            return Collection.objects.get(slug=slug)
        except Collection.DoesNotExist:
            raise CommandError(f"no collection {slug!r} (add --create to create it)") from None

    def _start_embedded_worker(self) -> Any:
        if not settings.RAG_EMBEDDED_BROKER:
            return None  # server mode: the workers run elsewhere; we only watch the database
        from assistant.backends.vectorstore import VectorStoreUnavailable
        from assistant.backends.vectorstore_factory import get_vector_store
        from assistant.celery import app
        from assistant.embedded_worker import EmbeddedWorker

        try:
            get_vector_store().count()  # opens the embedded engine: fails if serve holds it
        except VectorStoreUnavailable as exc:
            raise CommandError(
                f"{exc}\nIn the embedded mode `ingest --wait` cannot run beside `manage.py serve`:"
                " stop the server, or run `ingest` without --wait (the server's worker then"
                " indexes the files), or upload in the browser."
            ) from exc
        worker = EmbeddedWorker(app)
        worker.start()
        return worker

    def _wait(self, outcomes: list[UploadOutcome], *, timeout: float) -> None:
        ids = [o.document.pk for o in outcomes if o.document is not None]
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            documents = list(Document.objects.filter(pk__in=ids).prefetch_related("jobs"))
            done = sum(1 for d in documents if d.status in FINAL)
            active = [d for d in documents if d.status not in FINAL and d.status != "queued"]
            line = f"[{done}/{len(ids)}] " + ", ".join(
                f"{d.original_name} {d.status} {_progress(d)}%" for d in active[:3]
            )
            if line != last:
                self.stdout.write(line)
                last = line
            if done == len(documents):
                return
            time.sleep(0.5)
        self.stderr.write(f"gave up waiting after {timeout:.0f} s")

    def _report(self, outcomes: list[UploadOutcome]) -> int:
        rows = [("file", "status", "pages", "chunks", "seconds", "error")]
        failed = 0
        for outcome in outcomes:
            document = outcome.document
            if document is not None:
                document.refresh_from_db()
            status, pages, chunks, seconds, error = outcome.status, "", "", "", outcome.message
            if document is not None and outcome.status != "duplicate":
                status = document.status
                pages = "" if document.page_count is None else str(document.page_count)
                chunks = str(document.chunk_count)
                seconds = _seconds(document)
                error = document.error_message
            elif outcome.status == "duplicate":
                status = "duplicate"
            if status in ("failed", "rejected"):
                failed += 1
            rows.append((outcome.name, status, pages, chunks, seconds, error))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(5)]
            self.stdout.write("  ".join([*cells, row[5]]).rstrip())
        return failed


def _progress(document: Document) -> int:
    jobs = sorted(document.jobs.all(), key=lambda j: j.created_at)
    return jobs[-1].progress if jobs else 0


def _seconds(document: Document) -> str:
    jobs = sorted(document.jobs.all(), key=lambda j: j.created_at)
    if not jobs or not jobs[-1].timings:
        return ""
    return f"{sum(float(v) for v in jobs[-1].timings.values()):.1f}"
