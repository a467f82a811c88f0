"""The hostile corpus: every file ends in a readable refusal and the caller stays healthy."""

from __future__ import annotations

import pytest

from ingestion.pipeline.archives import ArchiveRejected, extract_zip_safely
from ingestion.pipeline.errors import ParseError, UnsupportedType
from ingestion.pipeline.parse import parse_document
from tests.ingestion.pipeline import hostile

ERRORS = {
    "ArchiveRejected": ArchiveRejected,
    "ParseError": ParseError,
    "UnsupportedType": UnsupportedType,
}
CASES = hostile.hostile_files()


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_file_is_refused_readably(case, tmp_path, settings, good_corpus):
    for name, value in (case.settings or {}).items():
        setattr(settings, name, value)
    path = case.build(tmp_path)
    dest = tmp_path / "extracted"

    with pytest.raises(ERRORS[case.error]) as caught:
        if case.kind == "archive":
            extract_zip_safely(path, dest, max_files=10, max_total_bytes=1_000_000, max_ratio=100)
        else:
            parse_document(path, original_name=case.name)

    message = str(caught.value)
    assert case.message in message
    assert "Traceback" not in message and len(message) < 600
    if case.kind == "archive":
        assert not any(p.is_file() for p in dest.rglob("*")), "nothing extracted may remain"
        assert not (tmp_path.parent / "evil.txt").exists()
    # the caller is unharmed: the next file parses normally
    good, phrase = good_corpus["notes.txt"]
    assert any(
        phrase in element.text
        for element in parse_document(good, original_name="notes.txt").elements
    )
