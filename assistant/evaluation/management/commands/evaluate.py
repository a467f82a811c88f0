"""`manage.py evaluate retrieval|answers|grounding|review`: quality figures measured the same way
every time.

Each subcommand has its own parser and handler (`_retrieval`, `_answers`, `_grounding`): add a
subcommand by adding both. retrieval and answers write RAG_DATA_DIR/eval/ as JSON and Markdown;
grounding prints its Markdown table.
"""

import json
import sys
from argparse import ArgumentParser
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assistant.evaluation import debian_faq, manpages, pydocs
from assistant.evaluation.dataset import EvalSet

DEFAULT_MAX_CHUNKS = 4


class Command(BaseCommand):
    help = "Evaluate retrieval on public corpora, or print the per-exchange answer metrics."

    def add_arguments(self, parser: ArgumentParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        retrieval = subparsers.add_parser(
            "retrieval",
            help="recall@5, MRR@10, nDCG@10 for dense, sparse and hybrid search on sets built "
            "from Debian's manpages-fr (French) and python3.11-doc (English)",
        )
        retrieval.add_argument(
            "--lang",
            choices=["fr", "en", "cross", "faq", "all"],
            default="all",
            help="cross = French questions over English pages and the reverse (manpages-fr "
            "beside the English manual pages of the same commands); faq = the Debian FAQ's own "
            "questions in French and English, and across (debian-faq, debian-faq-fr)",
        )
        retrieval.add_argument(
            "--limit",
            type=int,
            default=0,
            help="queries per language (a deterministic sample with as many distractor pages); "
            "0 = every query",
        )
        retrieval.add_argument(
            "--max-chunks",
            type=int,
            default=DEFAULT_MAX_CHUNKS,
            help="chunks indexed per page, from its start (0 = all; slow)",
        )
        retrieval.add_argument(
            "--models",
            nargs="*",
            default=[],
            help="extra embedders, evaluated after the configured one: RAG_EMBED_MODEL values "
            "(a sentence-transformers folder, use-multilingual-v3, or all-MiniLM-L6-v2 for the "
            "packaged MiniLM)",
        )
        retrieval.add_argument("--manpages-dir", type=Path, default=manpages.DEFAULT_DIR)
        retrieval.add_argument("--pydocs-dir", type=Path, default=None)
        retrieval.add_argument("--json", action="store_true", help="print JSON, not Markdown")
        answers = subparsers.add_parser(
            "answers", help="aggregates of the quality metrics stored with each exchange"
        )
        answers.add_argument("--since", help="YYYY-MM-DD or ISO date-time (default: all)")
        answers.add_argument("--json", action="store_true", help="print JSON, not Markdown")

        grounding = subparsers.add_parser(
            "grounding",
            help="answer-level metrics per path (quote, generated, auto) on the generated "
            "evaluation set, with the configured model",
        )
        grounding.add_argument(
            "--paths", default="quote,generated,auto", help="comma-separated: quote,generated,auto"
        )
        grounding.add_argument(
            "--every", type=int, default=1, help="keep every n-th question (a smaller slice)"
        )
        followups = subparsers.add_parser(
            "followups",
            help="second-turn retrieval hit with and without rewriting the follow-up, on "
            "generated two-turn conversations (FR and EN) over the grounding set's passages",
        )
        followups.add_argument("--k", type=int, default=4, help="hit = right passage in top k")
        followups.add_argument("--json", action="store_true", help="print JSON, not Markdown")
        review = subparsers.add_parser(
            "review",
            help="share of a generated mixed set of 200 questions (HR, IT, legal, travel; FR and "
            "EN; with and without personal data) queued for review, and recall of real risks, "
            "through the real chat path on a temporary data folder",
        )
        review.add_argument(
            "--mode",
            choices=["auto", "quote", "generated"],
            default=None,
            help="answer mode (default: the collection's, auto)",
        )
        review.add_argument("--size", type=int, default=200, help="questions in the set")
        review.add_argument("--every", type=int, default=1, help="keep every n-th question")
        review.add_argument("--json", action="store_true", help="print JSON, not Markdown")
        review.add_argument(
            "--child", action="store_true", help="internal: run here, on this data folder"
        )
        review.add_argument("--output", type=Path, help="internal: the child's report file")

    def handle(self, *args: Any, **options: Any) -> None:
        handlers = {
            "retrieval": self._retrieval,
            "answers": self._answers,
            "grounding": self._grounding,
            "followups": self._followups,
            "review": self._review,
        }
        handlers[options["subcommand"]](options)

    def _retrieval(self, options: dict[str, Any]) -> None:
        from assistant.evaluation.report import retrieval_markdown, write_report
        from assistant.evaluation.retrieval import run_retrieval_evaluation

        if options["limit"] < 0 or options["max_chunks"] < 0:
            raise CommandError("--limit and --max-chunks must be 0 or more")
        from assistant.backends.embedder import USE_MULTILINGUAL, packaged_embedder_path

        models = [packaged_embedder_path(m) for m in options["models"]]
        for model in models:
            if model != USE_MULTILINGUAL and not (Path(model) / "modules.json").is_file():
                raise CommandError(f"{model} is not a sentence-transformers model folder")
        options["models"] = models
        started = datetime.now()
        eval_sets = self._load_sets(options)
        factories = [_default_embedder] + [_model_factory(path) for path in options["models"]]
        verbosity = options.get("verbosity", 1)

        def progress(message: str) -> None:
            if verbosity >= 2:
                self.stderr.write(message)

        results = run_retrieval_evaluation(
            eval_sets, factories, max_chunks=options["max_chunks"] or None, progress=progress
        )
        from assistant.evaluation.bench.harness import machine_facts

        payload = {
            "command": "manage.py evaluate " + " ".join(sys.argv[2:]),
            "date": timezone.now().isoformat(timespec="seconds"),
            "seconds": round((datetime.now() - started).total_seconds(), 1),
            "machine": machine_facts(None),
            "limit": options["limit"],
            "max_chunks": options["max_chunks"],
            "results": results,
        }
        json_path, md_path = write_report(payload, settings.DATA_DIR / "eval", kind="retrieval")
        if options["json"]:
            self.stdout.write(json.dumps(payload, default=str))
        else:
            self.stdout.write(retrieval_markdown(payload))
            self.stdout.write(f"written: {json_path} and {md_path} ({payload['seconds']} s)")

    def _grounding(self, options: dict[str, Any]) -> None:
        """Keyword/answer recall, supported sentences, refusal accuracy and latency per path."""
        from assistant.evaluation.grounding import evaluate_answers, format_report
        from assistant.evaluation.grounding_set import build_eval_set

        paths = [p.strip() for p in options["paths"].split(",") if p.strip()]
        unknown = sorted(set(paths) - {"quote", "generated", "auto"})
        if unknown or not paths:
            raise CommandError(f"unknown path(s) {unknown}: use quote, generated, auto")
        if options["every"] < 1:
            raise CommandError("--every must be 1 or more")
        items = [i for n, i in enumerate(build_eval_set()) if n % options["every"] == 0]
        generate = None
        languages: tuple[str, ...] = ("en",)
        if {"generated", "auto"} & set(paths):
            generate, languages = _model_generate()
        reports = evaluate_answers(
            paths=paths, generate=generate, model_languages=languages, items=items
        )
        self.stdout.write(format_report(reports))

    def _review(self, options: dict[str, Any]) -> None:
        """Review-queue share and real-risk recall on the mixed set (review_queue.py)."""
        from assistant.evaluation import review_queue
        from assistant.evaluation.report import write_report
        from assistant.evaluation.review_set import build_review_set

        if options["size"] < 1 or options["every"] < 1:
            raise CommandError("--size and --every must be 1 or more")
        if options["child"]:
            from django.core.management import call_command

            from assistant.celery import app

            call_command("migrate", verbosity=0, interactive=False)
            app.conf.task_always_eager = True  # uploads are ingested here: no worker runs
            items = build_review_set(options["size"])[:: options["every"]]
            report = review_queue.evaluate_in_process(
                items, mode=options["mode"], progress=self.stderr.write
            )
            if options["output"]:
                options["output"].write_text(json.dumps(report, default=str))
        else:
            arguments = ["--size", str(options["size"]), "--every", str(options["every"])]
            if options["mode"]:
                arguments += ["--mode", options["mode"]]
            try:
                report = review_queue.run_isolated(arguments)
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
        markdown = review_queue.review_markdown(report)
        report["command"] = "manage.py evaluate " + " ".join(sys.argv[2:])
        if not options["child"]:
            write_report(
                {**report, "markdown": markdown}, settings.DATA_DIR / "eval", kind="review"
            )
        self.stdout.write(json.dumps(report, default=str) if options["json"] else markdown)

    def _followups(self, options: dict[str, Any]) -> None:
        """Follow-up rewriting (assistant.chat.followup) measured on retrieval of the 2nd turn."""
        from assistant.evaluation.followups import evaluate_followups, followups_markdown
        from assistant.evaluation.report import write_report

        if options["k"] < 1:
            raise CommandError("--k must be 1 or more")
        result = evaluate_followups(k=options["k"])
        markdown = followups_markdown(result)
        write_report({**result, "markdown": markdown}, settings.DATA_DIR / "eval", kind="followups")
        self.stdout.write(json.dumps(result, default=str) if options["json"] else markdown)

    def _load_sets(self, options: dict[str, Any]) -> list[EvalSet]:
        wanted = ["fr", "en", "cross", "faq"] if options["lang"] == "all" else [options["lang"]]
        sets = []
        try:
            if "fr" in wanted:
                sets.append(manpages.build_manpages_set(options["manpages_dir"]))
            if "en" in wanted:
                sets.append(pydocs.build_pydocs_set(options["pydocs_dir"]))
            if "cross" in wanted:
                sets.extend(manpages.build_crosslingual_sets(options["manpages_dir"]))
            if "faq" in wanted:
                sets.extend(debian_faq.build_faq_sets())
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for eval_set in sets:
            if not eval_set.queries:
                raise CommandError(
                    f"{eval_set.name}: no query could be built from {eval_set.source}"
                )
        return [eval_set.sliced(options["limit"]) for eval_set in sets]

    def _answers(self, options: dict[str, Any]) -> None:
        from assistant.evaluation.answers import answer_aggregates, answers_markdown
        from assistant.evaluation.report import write_report

        since = _parse_since(options["since"]) if options["since"] else None
        aggregates = answer_aggregates(since=since)
        markdown = answers_markdown(aggregates)
        write_report(
            {**aggregates, "markdown": markdown}, settings.DATA_DIR / "eval", kind="answers"
        )
        self.stdout.write(json.dumps(aggregates, default=str) if options["json"] else markdown)


def _parse_since(raw: str) -> datetime:
    """A date (midnight) or date-time; naive values are in the project's TIME_ZONE."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"--since {raw!r}: use YYYY-MM-DD or an ISO date-time") from exc
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _default_embedder() -> Any:
    from assistant.backends.embedder import get_embedder

    return get_embedder()


def _model_factory(model: str) -> Any:
    def load() -> Any:
        from assistant.backends.embedder import load_embedder

        return load_embedder(model)

    return load


def _model_generate() -> tuple[Any, tuple[str, ...]]:
    """generate(question, passages) through the configured LLM and the chat's prompt builder."""
    from assistant.backends.language import detect_language
    from assistant.backends.llm_factory import get_llm
    from assistant.backends.model_registry import current_model_spec
    from assistant.chat.prompting import Source, build_prompt

    llm = get_llm()
    spec = current_model_spec()

    def generate(question: str, passages: Any) -> str:
        built = build_prompt(
            question=question,
            language=detect_language(question),
            sources=[Source(p.number, p.document_title, p.page, p.text) for p in passages],
            history=[],
            tokenizer=llm,
            context_length=spec.context_length,
            max_answer_tokens=settings.RAG_MAX_ANSWER_TOKENS,
        )
        return "".join(
            llm.stream(built.text, max_tokens=settings.RAG_MAX_ANSWER_TOKENS, stop=built.stop)
        )

    return generate, tuple(spec.languages)
