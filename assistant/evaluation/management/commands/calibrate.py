"""`manage.py calibrate [--model M] [--save] [--check]`: the thresholds an embedder needs.

Prints the thresholds derived for the embedder (the configured one, or --model) and the figures
they come from (assistant/evaluation/calibration.py). --save writes them to the embedder's
calibration file (RAG_DATA_DIR/calibration/), which then overrides the registry; --check fails
when the registry's values for a shipped embedder differ from a fresh calibration (CI guard).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from assistant.evaluation import manpages, pydocs

TOLERANCE = 0.011  # one rounding step


class Command(BaseCommand):
    help = "Calibrate the relevance, review and cache thresholds for an embedder."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--model",
            default="",
            help="RAG_EMBED_MODEL value to calibrate (default: the configured embedder; "
            "all-MiniLM-L6-v2 names the packaged MiniLM)",
        )
        parser.add_argument("--save", action="store_true", help="write the calibration file")
        parser.add_argument("--check", action="store_true", help="fail when the registry disagrees")
        parser.add_argument(
            "--real-limit",
            type=int,
            default=200,
            help="queries per real-text set (manpages-fr, python3.11-doc, and manpages-fr "
            "against the English pages of the same commands, both ways); 0 = skip them",
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from assistant.backends.embedder import load_embedder, packaged_embedder_path
        from assistant.backends.embedder_registry import KNOWN_EMBEDDERS, save_calibration
        from assistant.evaluation.calibration import calibrate, calibration_markdown

        model = packaged_embedder_path(options["model"]) if options["model"] else None
        embedder = load_embedder(model)
        real_sets = []
        if options["real_limit"] > 0:
            try:
                fr_en, en_fr = manpages.build_crosslingual_sets()
                # Keyed by the question's language: a French question over an English page
                # must not be refused any more than one over a French page.
                real_sets = [
                    ("fr-manpages", manpages.build_manpages_set()),
                    ("en-pydocs", pydocs.build_pydocs_set(None)),
                    ("fr-manpages>en", fr_en),
                    ("en-manpages>fr", en_fr),
                ]
            except FileNotFoundError as exc:
                raise CommandError(f"{exc} (or pass --real-limit 0)") from exc
        verbosity = options.get("verbosity", 1)
        calibration = calibrate(
            embedder,
            real_sets,
            real_limit=options["real_limit"],
            progress=lambda message: self.stderr.write(message) if verbosity >= 2 else None,
        )
        if options["json"]:
            self.stdout.write(
                json.dumps({"model": embedder.model_name, **calibration.as_dict()}, indent=2)
            )
        else:
            self.stdout.write(calibration_markdown(embedder.model_name, calibration))
        if options["save"]:
            path = save_calibration(embedder.model_name, calibration)
            self.stdout.write(f"written: {path}")
        if options["check"]:
            known = KNOWN_EMBEDDERS.get(embedder.model_name)
            if known is None:
                raise CommandError(f"{embedder.model_name} is not in the embedder registry")
            stored = known.calibration
            for name in (
                "min_score",
                "min_score_cross_lingual",
                "cache_threshold",
                "review_low_score",
            ):
                if abs(getattr(stored, name) - getattr(calibration, name)) > TOLERANCE:
                    raise CommandError(
                        f"{embedder.model_name}: registry {name}={getattr(stored, name)} but "
                        f"calibration gives {getattr(calibration, name)}"
                    )
