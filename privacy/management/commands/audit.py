"""python manage.py audit verify [--checkpoint FILE]
audit checkpoint
audit export --format jsonl|csv [--since DATE] [--output PATH]
audit purge --before DATE"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def _parse_when(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD or an ISO date-time.")
        moment = datetime(day.year, day.month, day.day)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Verify, export or purge the tamper-evident audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser(
            "verify", help="check the hash chain against every stored signed checkpoint"
        )
        verify.add_argument(
            "--checkpoint", help="also check this signed checkpoint file (from an export)"
        )
        sub.add_parser("checkpoint", help="sign the chain head and store it outside the database")
        export = sub.add_parser("export", help="write events and a signed checkpoint")
        export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        export.add_argument("--since", help="only events from this date (YYYY-MM-DD)")
        export.add_argument("--output", help="file to write (default: stdout)")
        purge = sub.add_parser("purge", help="replace payloads older than DATE by tombstones")
        purge.add_argument("--before", required=True, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _verify(self, options: dict[str, Any]) -> None:
        from privacy.chain import verify_chain

        checkpoint = None
        if options["checkpoint"]:
            try:
                checkpoint = json.loads(Path(options["checkpoint"]).read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(
                    f"Cannot read checkpoint {options['checkpoint']}: {exc}"
                ) from None
        report = verify_chain(checkpoint=checkpoint)
        if not report.ok:
            raise CommandError(report.message(), returncode=2)
        self.stdout.write(report.message())
        if report.count and not report.checkpoints:
            self.stderr.write(
                "no signed checkpoint yet: deleting the newest events and moving the chain head"
                " back would go unnoticed; run `manage.py audit checkpoint`"
            )

    def _checkpoint(self, options: dict[str, Any]) -> None:
        from privacy.chain import write_checkpoint
        from privacy.checkpoints import checkpoint_path

        try:
            checkpoint = write_checkpoint()
        except OSError as exc:
            raise CommandError(f"Cannot write the checkpoint: {exc}") from None
        self.stdout.write(
            f"checkpoint of sequence {checkpoint['sequence']} written to {checkpoint_path()}"
        )

    def _export(self, options: dict[str, Any]) -> None:
        from assistant.private_files import open_private
        from privacy.chain import make_checkpoint, write_export
        from privacy.services import audit_record

        since = _parse_when(options["since"]) if options["since"] else None
        checkpoint = make_checkpoint()
        if options["output"]:
            path = Path(options["output"])
            with open_private(path) as out:
                count = write_export(out, fmt=options["format"], since=since)
            checkpoint_path = path.with_name(path.name + ".checkpoint.json")
            with open_private(checkpoint_path) as out:
                out.write(json.dumps(checkpoint, indent=2) + "\n")
            self.stderr.write(f"{count} events written to {path}; checkpoint {checkpoint_path}")
        else:
            count = write_export(cast(IO[str], self.stdout), fmt=options["format"], since=since)
            sys.stderr.write("checkpoint: " + json.dumps(checkpoint) + "\n")
        audit_record(
            action="audit.export",
            actor=None,
            payload={
                "format": options["format"],
                "since": options["since"] or "",
                "count": count,
                "checkpoint_sequence": checkpoint["sequence"],
            },
        )

    def _purge(self, options: dict[str, Any]) -> None:
        from privacy.services import audit_purge

        before = _parse_when(options["before"])
        if before > timezone.now():
            raise CommandError("--before is in the future: refusing to purge recent events.")
        count = audit_purge(before=before)
        self.stdout.write(f"{count} events purged to tombstones (before {before.isoformat()})")
