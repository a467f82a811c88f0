"""The shipped demo documents parse, in the right language, with the facts demos ask about."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.pipeline.chunk import chunk_document
from ingestion.pipeline.parse import parse_document
from tests.fixtures.word_count import count_words

DEMO = Path(__file__).resolve().parents[3] / "ingestion" / "demo_files"

# file: (language, [(fact, page or None)])
FACTS: dict[str, tuple[str, list[tuple[str, int | None]]]] = {
    "politique-conges.md": (
        "fr",
        [
            ("25 jours ouvrés", None),
            ("Naissance ou adoption | 3 jours", None),
            ("10 jours de RTT", None),
        ],
    ),
    "expense-policy.md": (
        "en",
        [
            ("150 euros in Paris, London and Geneva", None),
            ("0.45 euros per kilometre", None),
            ("Client meal (per person, alcohol included) | 70 euros", None),
        ],
    ),
    "securite-informatique.md": (
        "fr",
        [
            ("au moins 14 caractères", None),
            ("poste interne 4242", None),
            ("conservées 35 jours", None),
        ],
    ),
    "remote-work-policy.pdf": (
        "en",
        [
            ("up to 2 days per week", 1),
            ("allowance of 30 euros", 2),
            ("limited to 20 working days", 3),
        ],
    ),
}


def test_every_demo_file_is_listed():
    assert sorted(p.name for p in DEMO.iterdir() if p.is_file()) == sorted(FACTS)
    assert all(p.stat().st_size < 10_000 for p in DEMO.iterdir())


@pytest.mark.parametrize("name", sorted(FACTS))
def test_demo_file_facts_survive_parsing_and_chunking(name):
    language, facts = FACTS[name]
    doc = parse_document(DEMO / name, original_name=name)
    assert doc.language == language
    chunks = chunk_document(doc, target_tokens=200, overlap_tokens=30, count_tokens=count_words)
    for fact, page in facts:
        holders = [chunk for chunk in chunks if fact in chunk.text]
        assert holders, fact
        if page is not None:
            assert any(
                (chunk.page_start or 0) <= page <= (chunk.page_end or 0) for chunk in holders
            )
