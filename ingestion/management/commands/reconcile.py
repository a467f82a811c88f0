"""manage.py reconcile [--fix]"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistant.backends.vectorstore import VectorStoreUnavailable
from ingestion.maintenance import reconcile


class Command(BaseCommand):
    help = (
        "Compare the vector index with the database: points with no chunk, chunks with no "
        "point, points with a wrong version. --fix repairs them (the database wins)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--fix", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = reconcile(fix=options["fix"])
        except VectorStoreUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"points in the index:        {report.points}")
        self.stdout.write(f"chunks in the database:     {report.chunks}")
        self.stdout.write(f"points with no chunk:       {len(report.orphan_points)}")
        self.stdout.write(f"chunks with no point:       {len(report.missing_points)}")
        self.stdout.write(f"points with wrong version:  {len(report.wrong_version_points)}")
        self.stdout.write(f"stale chunks:               {len(report.stale_chunks)}")
        if report.fixed:
            self.stdout.write("fixed: the index now matches the database")
        elif report.drift:
            self.stdout.write("drift found: run with --fix to repair")
            sys.exit(1)
        else:
            self.stdout.write("no drift")
