"""python manage.py redact [--lang fr|en|auto] [--json] TEXT | --stdin-jsonl"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Redact PII from TEXT (or JSON lines on stdin) and print the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help="text to redact")
        parser.add_argument("--lang", choices=["fr", "en", "auto"], default="auto")
        parser.add_argument("--json", action="store_true", help="print JSON with entities")
        parser.add_argument(
            "--stdin-jsonl",
            action="store_true",
            help='read lines {"id", "lang", "text"}; print one JSON object per line',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from privacy.redaction import get_redactor

        if options["stdin_jsonl"]:
            if options["text"]:
                raise CommandError("Give either TEXT or --stdin-jsonl, not both.")
            redactor = get_redactor()  # loaded once for every line
            for number, line in enumerate(sys.stdin, start=1):
                if not line.strip():
                    continue
                self.stdout.write(
                    json.dumps(self._line(redactor, number, line), ensure_ascii=False)
                )
            return
        if options["text"] is None:
            raise CommandError("Give the TEXT to redact, or --stdin-jsonl.")
        result = get_redactor().redact(options["text"], language=options["lang"])
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(result), ensure_ascii=False))
        else:
            self.stdout.write(result.text)

    @staticmethod
    def _line(redactor: Any, number: int, line: str) -> dict[str, Any]:
        """One output object per input line; a bad line yields an error object, not a crash."""
        try:
            item = json.loads(line)
        except ValueError:
            return {"id": None, "error": f"line {number}: not valid JSON"}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            ident = item.get("id") if isinstance(item, dict) else None
            return {"id": ident, "error": f"line {number}: expected an object with a text"}
        lang = item.get("lang") or "auto"
        if lang not in ("fr", "en", "auto"):
            return {"id": item.get("id"), "error": f"line {number}: lang must be fr, en or auto"}
        return {"id": item.get("id"), **_as_json(redactor.redact(item["text"], language=lang))}


def _as_json(result: Any) -> dict[str, Any]:
    return {"redacted": result.text, "entities": [e.as_dict() for e in result.entities]}
