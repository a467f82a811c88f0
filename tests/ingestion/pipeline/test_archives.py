"""Safe zip extraction: what is accepted, and where the extracted files go."""

from __future__ import annotations

import zipfile

import pytest

from ingestion.pipeline.archives import ArchiveRejected, extract_zip_safely
from tests.ingestion.pipeline import corpus


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def test_a_folder_zip_extracts_with_member_names(tmp_path):
    docx = corpus.make_docx(tmp_path / "expenses.docx").read_bytes()
    archive = _zip(
        tmp_path / "upload.zip",
        [
            ("policies/leave.md", b"# Leave\n\n25 days."),
            ("policies/expenses.docx", docx),
            ("__MACOSX/policies/._leave.md", b"junk"),
            ("policies/", b""),
        ],
    )
    extracted = extract_zip_safely(archive, tmp_path / "out")

    names = sorted(name for _, name in extracted)
    assert names == ["policies/expenses.docx", "policies/leave.md"]
    for path, _ in extracted:
        assert path.is_file() and (tmp_path / "out") in path.parents
    leave = dict((name, path) for path, name in extracted)["policies/leave.md"]
    assert leave.read_bytes() == b"# Leave\n\n25 days."


def test_an_office_file_is_not_mistaken_for_a_nested_zip(tmp_path):
    docx = corpus.make_docx(tmp_path / "a.docx").read_bytes()
    archive = _zip(tmp_path / "upload.zip", [("a.docx", docx)])
    [(path, name)] = extract_zip_safely(archive, tmp_path / "out", max_depth=0)
    assert name == "a.docx" and path.read_bytes() == docx


def test_nested_zips_are_followed_up_to_max_depth(tmp_path):
    inner = _zip(tmp_path / "inner.zip", [("deep.txt", b"deep text")]).read_bytes()
    archive = _zip(tmp_path / "outer.zip", [("inner.zip", inner), ("top.txt", b"top")])

    extracted = extract_zip_safely(archive, tmp_path / "out", max_depth=1)

    assert sorted(name for _, name in extracted) == ["inner.zip/deep.txt", "top.txt"]
    with pytest.raises(ArchiveRejected, match="nested"):
        extract_zip_safely(archive, tmp_path / "out2", max_depth=0)


def test_limits_are_shared_with_nested_archives(tmp_path):
    inner = _zip(tmp_path / "inner.zip", [(f"{i}.txt", b"x") for i in range(3)]).read_bytes()
    archive = _zip(tmp_path / "outer.zip", [("inner.zip", inner), ("a.txt", b"a"), ("b.txt", b"b")])
    with pytest.raises(ArchiveRejected, match="too many files"):
        extract_zip_safely(archive, tmp_path / "out", max_files=4, max_depth=1)
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_duplicate_names_are_both_kept(tmp_path):
    archive = _zip(tmp_path / "dup.zip", [("a.txt", b"1"), ("./a.txt", b"2")])
    extracted = extract_zip_safely(archive, tmp_path / "out")
    assert sorted(path.read_bytes() for path, _ in extracted) == [b"1", b"2"]
