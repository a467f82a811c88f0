"""The hostile corpus: files that must end in a readable refusal (ArchiveRejected, ParseError or
UnsupportedType) without harming the caller. Built at test time by hostile_files()."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.ingestion.pipeline.hostile_builders import (
    billion_laughs,
    docx_bomb,
    docx_with,
    encrypted_pdf,
    junk,
    lie_about_size,
    long_pdf,
    ole,
    patched_zip,
    plain_file,
    scanned_pdf,
    set_encrypted_flag,
    symlink_member,
    truncated_pdf,
    xxe,
    zip_bytes,
    zip_file,
)

# --- hostile corpus -------------------------------------------------------------------------


@dataclass
class Hostile:
    """A file that must be refused: `kind` is "parse" (parse_document) or "archive"
    (extract_zip_safely); `error` the expected exception name; `message` a substring of it."""

    name: str
    build: Callable[[Path], Path]
    kind: str
    error: str
    message: str
    settings: dict[str, int] | None = None


def hostile_files() -> list[Hostile]:
    zeros = b"\x00" * (30 * 1024 * 1024)
    return [
        # --- archives ---
        Hostile(
            "bomb-ratio.zip",
            zip_file("bomb-ratio.zip", [("zeros.txt", zeros)]),
            "archive",
            "ArchiveRejected",
            "zip bomb",
        ),
        Hostile(
            "bomb-total.zip",
            zip_file("bomb-total.zip", [(f"r{i}.bin", junk(i, 400_000)) for i in range(4)]),
            "archive",
            "ArchiveRejected",
            "expands to",
        ),
        Hostile(
            "lying-size.zip",
            patched_zip("lying-size.zip", lie_about_size),
            "archive",
            "ArchiveRejected",
            "archive",
        ),
        Hostile(
            "traversal.zip",
            zip_file("traversal.zip", [("../../evil.txt", b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "absolute.zip",
            zip_file("absolute.zip", [(zipfile.ZipInfo("/tmp/evil.txt"), b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "backslash.zip",
            zip_file("backslash.zip", [("..\\..\\evil.txt", b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "drive.zip",
            zip_file("drive.zip", [("C:/Windows/evil.txt", b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "symlink.zip",
            zip_file("symlink.zip", [(symlink_member(), b"/etc/passwd")]),
            "archive",
            "ArchiveRejected",
            "symbolic link",
        ),
        Hostile(
            "nested.zip",
            zip_file("nested.zip", [("inner.zip", zip_bytes([("a.txt", b"hello")]))]),
            "archive",
            "ArchiveRejected",
            "nested",
        ),
        Hostile(
            "deep.zip",
            zip_file(
                "deep.zip", [("l1.zip", zip_bytes([("l2.zip", zip_bytes([("a.txt", b"x")]))]))]
            ),
            "archive",
            "ArchiveRejected",
            "nested",
        ),
        Hostile(
            "many.zip",
            zip_file("many.zip", [(f"f{i}.txt", b"x") for i in range(20)]),
            "archive",
            "ArchiveRejected",
            "too many files",
        ),
        Hostile(
            "encrypted.zip",
            patched_zip("encrypted.zip", set_encrypted_flag),
            "archive",
            "ArchiveRejected",
            "password-protected",
        ),
        Hostile(
            "junk.zip",
            plain_file("junk.zip", junk(1)),
            "archive",
            "ArchiveRejected",
            "not a valid zip",
        ),
        # --- PDFs ---
        Hostile("encrypted.pdf", encrypted_pdf, "parse", "ParseError", "password-protected PDF"),
        Hostile("truncated.pdf", truncated_pdf, "parse", "ParseError", "PDF"),
        Hostile(
            "malformed.pdf",
            plain_file("malformed.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF"),
            "parse",
            "ParseError",
            "malformed PDF",
        ),
        Hostile(
            "scanned.pdf",
            scanned_pdf,
            "parse",
            "ParseError",
            "no text layer (scanned document; OCR is not enabled)",
        ),
        Hostile(
            "long.pdf", long_pdf, "parse", "ParseError", "the limit is 5", {"RAG_MAX_PAGES": 5}
        ),
        Hostile("empty.pdf", plain_file("empty.pdf", b""), "parse", "UnsupportedType", "empty"),
        Hostile(
            "junk.pdf",
            plain_file("junk.pdf", junk(2)),
            "parse",
            "UnsupportedType",
            "not a supported type",
        ),
        Hostile(
            "elf.pdf",
            plain_file("elf.pdf", Path("/bin/true").read_bytes()[:20000]),
            "parse",
            "UnsupportedType",
            "ELF executable",
        ),
        Hostile(
            "image.pdf",
            plain_file("image.pdf", b"\x89PNG\r\n\x1a\n" + junk(3, 500)),
            "parse",
            "UnsupportedType",
            "PNG image",
        ),
        # --- Office ---
        Hostile(
            "laughs.docx",
            docx_with("laughs.docx", billion_laughs),
            "parse",
            "ParseError",
            "entity expansion is blocked",
        ),
        Hostile(
            "xxe.docx",
            docx_with("xxe.docx", xxe),
            "parse",
            "ParseError",
            "document type declaration",
        ),
        Hostile(
            "bomb.docx",
            docx_with("bomb.docx", docx_bomb),
            "parse",
            "ParseError",
            "decompression bomb",
        ),
        Hostile(
            "broken.docx",
            docx_with("broken.docx", lambda xml: xml[: len(xml) // 2]),
            "parse",
            "ParseError",
            "damaged or malformed",
        ),
        Hostile(
            "junk.docx",
            plain_file("junk.docx", junk(4)),
            "parse",
            "UnsupportedType",
            "not a supported type",
        ),
        Hostile(
            "exe.docx",
            plain_file("exe.docx", b"MZ\x90\x00" + junk(5, 2000)),
            "parse",
            "UnsupportedType",
            "Windows executable",
        ),
        Hostile(
            "legacy.doc",
            plain_file("legacy.doc", ole(b"WordDocument")),
            "parse",
            "UnsupportedType",
            "legacy Microsoft Office",
        ),
        Hostile(
            "protected.docx",
            plain_file("protected.docx", ole("EncryptedPackage".encode("utf-16-le"))),
            "parse",
            "UnsupportedType",
            "password-protected Office",
        ),
        # --- text ---
        Hostile("empty.txt", plain_file("empty.txt", b""), "parse", "UnsupportedType", "empty"),
        Hostile(
            "blank.txt",
            plain_file("blank.txt", b"   \n\n\t  \n"),
            "parse",
            "ParseError",
            "contains no text",
        ),
        Hostile("junk.txt", plain_file("junk.txt", junk(6)), "parse", "ParseError", "junk.txt"),
        Hostile(
            "gzip.txt",
            plain_file("gzip.txt", b"\x1f\x8b\x08\x00" + junk(7, 300)),
            "parse",
            "UnsupportedType",
            "gzip",
        ),
        Hostile(
            "invalid-utf8.txt",
            plain_file("invalid-utf8.txt", b"Bonjour \xc3\x28 \x81\x8d\x90 \xff\xfe fin"),
            "parse",
            "ParseError",
            "not valid UTF-8",
        ),
        Hostile(
            "huge-line.txt",
            plain_file("huge-line.txt", b"word " * 60_000),
            "parse",
            "ParseError",
            "characters (limit",
        ),
        Hostile(
            "scripts-only.html",
            plain_file("scripts-only.html", b"<html><body><script>alert(1)</script></body></html>"),
            "parse",
            "ParseError",
            "no text found",
        ),
        Hostile(
            "nested.html",
            plain_file(
                "nested.html", b"<html><body>" + b"<div>" * 50_000 + b"deep" + b"</div>" * 50_000
            ),
            "parse",
            "ParseError",
            "no text found",
        ),
        Hostile(
            "archive-as-document.zip",
            zip_file("archive-as-document.zip", [("a.txt", b"hello")]),
            "parse",
            "UnsupportedType",
            "zip archive",
        ),
    ]
