import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assistant.evaluation.bench import harness


class Command(BaseCommand):
    help = (
        "Run benchmarks (each in a child process on a temporary RAG_DATA_DIR) and compare our "
        "code paths with the raw libraries in the same run. Results: RAG_DATA_DIR/bench/."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "which",
            nargs="*",
            default=["all"],
            help=f"one or more of {', '.join(harness.BENCHMARKS)} or all",
        )
        parser.add_argument("--quick", action="store_true", help="small sizes, for CI smoke use")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
        parser.add_argument("--child", help="internal: run one benchmark in this process")
        parser.add_argument("--output", type=Path, help="internal: child result file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["child"]:
            harness.run_child(options["child"], quick=options["quick"], output=options["output"])
            return
        names = list(harness.BENCHMARKS) if options["which"] == ["all"] else options["which"]
        unknown = [n for n in names if n not in harness.BENCHMARKS]
        if unknown:
            raise CommandError(
                f"unknown benchmark {unknown[0]!r}: use {', '.join(harness.BENCHMARKS)} or all"
            )
        command = "manage.py bench " + " ".join(sys.argv[2:])
        facts = harness.machine_facts(Path(settings.RAG_MODEL_PATH))
        results = []
        for name in names:
            self.stderr.write(f"running {name}{' (quick)' if options['quick'] else ''}…")
            results.append(
                harness.run_in_child(name, quick=options["quick"], timeout=options["timeout"])
            )
        json_path, md_path = harness.write_results(
            results, facts, command, settings.DATA_DIR / "bench"
        )
        if options["json"]:
            self.stdout.write(json.dumps({"machine": facts, "results": results}, default=str))
        else:
            self.stdout.write(harness.to_markdown(results, facts, command))
            self.stdout.write(f"written: {json_path} and {md_path}")
        failed = [r["name"] for r in results if not r.get("ok")]
        if failed:
            for r in results:
                if not r.get("ok"):
                    self.stderr.write(f"{r['name']} failed:\n{r.get('error')}")
            raise CommandError(f"benchmark(s) failed: {', '.join(failed)}")
