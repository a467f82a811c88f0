"""manage.py reindex [--collection SLUG]"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistant.backends.vectorstore import IndexModelMismatch, VectorStoreUnavailable
from ingestion.maintenance import reindex
from ingestion.models import Collection


class Command(BaseCommand):
    help = (
        "Rebuild vector points from the chunks in the database (re-embedding, no reparse). "
        "Without --collection the whole index is recreated: use it after changing RAG_EMBED_MODEL."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--collection", metavar="SLUG")

    def handle(self, *args: Any, **options: Any) -> None:
        collection = None
        if options["collection"]:
            try:
                collection = Collection.objects.get(slug=options["collection"])
            except Collection.DoesNotExist:
                raise CommandError(f"no collection {options['collection']!r}") from None
        started = time.monotonic()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] > 2 or done == total:
                last[0] = time.monotonic()
                self.stdout.write(f"  {done}/{total} chunks")

        try:
            written = reindex(collection=collection, progress=progress)
        except IndexModelMismatch as exc:
            raise CommandError(f"{exc} (run reindex without --collection)") from exc
        except VectorStoreUnavailable as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(f"reindexed {written} chunks in {elapsed:.1f} s")
