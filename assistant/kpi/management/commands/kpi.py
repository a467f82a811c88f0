"""python manage.py kpi drift [--end DATE]
kpi export [--start DATE] [--end DATE] [--output PATH]"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Week-over-week KPI drift check (exit 1 when a KPI degrades) and CSV export."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        drift = sub.add_parser("drift", help="last 7 days vs the 7 before; exit 1 on degradation")
        drift.add_argument("--end", help="last day of the current week (YYYY-MM-DD, default today)")
        export = sub.add_parser("export", help="daily KPI series as CSV")
        export.add_argument("--start", help="first day (YYYY-MM-DD, default 30 days before --end)")
        export.add_argument("--end", help="last day (YYYY-MM-DD, default today)")
        export.add_argument("--output", help="file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _period(self, options: dict[str, Any]) -> Any:
        from assistant.kpi.period import period_from_query

        period, form = period_from_query(
            {"start": options.get("start") or "", "end": options.get("end") or ""}
        )
        if period is None:
            raise CommandError(f"Invalid period: {form.error_text()}")
        return period

    def _drift(self, options: dict[str, Any]) -> None:
        from django.utils import timezone

        from assistant.kpi.drift import format_ratio, publish, week_over_week

        end = self._period({"end": options["end"]}).end if options["end"] else None
        report = week_over_week(end or timezone.localdate())
        publish(report)
        self.stdout.write(
            f"{report.current.start}..{report.current.end} ({report.current_exchanges} answered) "
            f"vs {report.previous.start}..{report.previous.end} "
            f"({report.previous_exchanges} answered)"
        )
        if not report.enough_data:
            self.stdout.write("not enough exchanges in one of the weeks: no drift check")
            return
        for change in report.changes:
            state = "ok"
            if change.drifted:
                state = "DEGRADED" if change.worse else "improved"
            self.stdout.write(
                f"{change.kpi.key:<24} {change.previous:>12.4g} -> {change.current:>12.4g}  "
                f"{format_ratio(change.ratio):>10}  {state}"
            )
        if report.degraded:
            names = ", ".join(str(c.kpi.label) for c in report.degraded)
            raise CommandError(f"KPI degraded week over week: {names}", returncode=1)

    def _export(self, options: dict[str, Any]) -> None:
        from assistant.kpi.export import write_csv
        from assistant.kpi.selectors import daily_kpis
        from assistant.private_files import open_private

        period = self._period(options)
        daily = daily_kpis(period)
        if options["output"]:
            path = Path(options["output"])
            with open_private(path) as out:  # 0600, like everything the product writes
                count = write_csv(out, daily)
            self.stderr.write(f"{count} days written to {path}")
        else:
            write_csv(cast(IO[str], self.stdout), daily)
