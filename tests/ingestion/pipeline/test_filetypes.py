"""Type detection from content."""

from __future__ import annotations

import pytest

from ingestion.pipeline import filetypes
from ingestion.pipeline.errors import ParseError, UnsupportedType
from ingestion.pipeline.parse import detect_mime_type


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.txt", b"Just some prose, with a comma.\nAnd another line.\n", filetypes.TEXT),
        ("a.bin", b"<!DOCTYPE html><html><body><p>x</p></body></html>", filetypes.HTML),
        ("a.txt", b"  <html lang='fr'><p>x</p></html>", filetypes.HTML),
        ("a.md", b"Plain words\n", filetypes.MARKDOWN),
        ("notes", b"# Title\n\n- item\n", filetypes.MARKDOWN),
        ("a.dat", b"a;b;c\n1;2;3\n4;5;6\n", filetypes.CSV),
        ("a.csv", b"name,phone\nAnn,100\n", filetypes.CSV),
        (
            "mail.txt",
            b"From: a@example.com\nTo: b@example.com\nSubject: hi\n\nBody\n",
            filetypes.EML,
        ),
        ("a.txt", "\ufeffCongés payés\n".encode(), filetypes.TEXT),
        ("a.txt", "Congés payés, été\n".encode("utf-16"), filetypes.TEXT),
        ("a.docx", b"%PDF-1.4\n%...", filetypes.PDF),
    ],
)
def test_detection(tmp_path, name, content, expected):
    path = tmp_path / "file"
    path.write_bytes(content)
    assert detect_mime_type(path, name) == expected


def test_a_plain_zip_is_reported_as_zip(tmp_path):
    import zipfile

    path = tmp_path / "x.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    assert detect_mime_type(path, "x.docx") == filetypes.ZIP


def test_text_cut_inside_a_multibyte_character_is_still_text(tmp_path):
    path = tmp_path / "long.txt"
    path.write_bytes(("é" * 40_000).encode())  # the 64 KB sniff window ends mid-character
    assert detect_mime_type(path, "long.txt") == filetypes.TEXT


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"")
    with pytest.raises(UnsupportedType, match=r"^report\.pdf is empty"):
        detect_mime_type(path, "report.pdf")
    path.write_bytes(b"caf\xe9 \x81\x8d")
    with pytest.raises(
        ParseError, match=r"^menu\.txt is not valid UTF-8 text \(invalid byte 0xe9 at offset 3\)"
    ):
        detect_mime_type(path, "menu.txt")
