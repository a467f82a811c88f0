from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingestion.pipeline import corpus


@pytest.fixture(scope="session")
def good_corpus(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    return corpus.good_files(tmp_path_factory.mktemp("good"))
