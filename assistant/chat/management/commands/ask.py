import json
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Ask a question as a user, through exactly the service the web chat runs (same access "
        "rules, limits and audit hook). --json prints one JSON object."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("question")
        parser.add_argument("--user", required=True, help="username to ask as")
        parser.add_argument(
            "--collection", action="append", default=[], help="collection slug (repeatable)"
        )
        parser.add_argument(
            "--mode",
            choices=["auto", "generated", "quote"],
            default=None,
            help="answer path (default: the collections' default, auto)",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from assistant.chat.admission import QueueFull, RateLimited
        from assistant.chat.services import QuestionInvalid, answer_question
        from ingestion.models import Collection

        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"unknown user {options['user']!r}") from None
        collection_ids = None
        if options["collection"]:
            slugs = options["collection"]
            found = dict(Collection.objects.filter(slug__in=slugs).values_list("slug", "id"))
            missing = [s for s in slugs if s not in found]
            if missing:
                raise CommandError(f"unknown collection {missing[0]!r}")
            collection_ids = list(found.values())
        try:
            exchange = answer_question(
                user=user,
                question=options["question"],
                collection_ids=collection_ids,
                mode=options["mode"],
            )
        except QuestionInvalid as exc:
            raise CommandError(str(exc)) from None
        except RateLimited as exc:
            raise CommandError(f"rate limited: retry in {exc.retry_after} s") from None
        except QueueFull:
            raise CommandError("the assistant is busy: retry in a few seconds") from None
        from assistant.chat.rendering import cited_documents

        citations = list(exchange.citations.all())
        documents = cited_documents(citations)
        if options["json"]:
            from assistant.chat.grounded import verification_summary

            payload = {
                "answer": exchange.answer,
                "refused": exchange.refused,
                "citations": [
                    {
                        "number": c.number,
                        "document": c.document_title,
                        "page": c.page,
                        "chunk_id": str(c.chunk_id_at_answer),
                        "score": c.score,
                        "snippet": c.snippet,
                        "cited": c.cited_in_answer,
                    }
                    for c in citations
                ],
                # The same citations, each document once with its passages (as the chat shows).
                "documents": [
                    {
                        "document": d.title,
                        "pages": sorted({p.page for p in d.passages if p.page is not None}),
                        "passages": [
                            {"number": p.number, "page": p.page, "cited": p.cited}
                            for p in d.passages
                        ],
                    }
                    for d in documents
                ],
                "exchange_id": str(exchange.public_id),
                "timings": {
                    "retrieval_ms": exchange.retrieval_ms,
                    "ttft_ms": exchange.ttft_ms,
                    "total_ms": exchange.total_ms,
                },
                "answer_path": exchange.answer_path,
                "path_reason": exchange.metrics.get("path_reason", ""),
                "verification": verification_summary(exchange.metrics),
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(exchange.answer)
        for d in documents:  # "Leave policy — p. 1 [1], 2 [3]": each page with its [n]
            pages = ", ".join(
                f"{p.page} [{p.number}]" if p.page is not None else f"[{p.number}]"
                for p in d.passages
            )
            self.stdout.write(f"{d.title} — {'p. ' if d.paged else ''}{pages}")
        if exchange.status == "error":
            raise CommandError(exchange.error_message or "generation failed")
