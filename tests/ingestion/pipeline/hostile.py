"""The hostile corpus: files that must end in a readable refusal (ArchiveRejected, ParseError or
UnsupportedType) without harming the caller. Built at test time by hostile_files()."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.ingestion.pipeline.corpus import PDF_PAGES, make_docx, make_pdf

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


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def _zip(name: str, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, data in members:
                archive.writestr(member, data)
        return path

    return build


def _symlink_member() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("link-to-passwd")
    info.external_attr = (0o120777 << 16) | 0x20
    return info


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _patched_zip(name: str, patch: Callable[[bytearray], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = bytearray(_zip_bytes([("a.txt", b"hello world " * 50_000)]))
        patch(data)
        path = folder / name
        path.write_bytes(bytes(data))
        return path

    return build


def _lie_about_size(data: bytearray) -> None:
    """Declare 600 bytes uncompressed in both headers for a 600 KB member."""
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 600)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 600)


def _set_encrypted_flag(data: bytearray) -> None:
    local = data.find(b"PK\x03\x04")
    data[local + 6] |= 0x1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1


def _docx_with(name: str, transform: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    """A real DOCX whose word/document.xml is rewritten by transform."""

    def build(folder: Path) -> Path:
        source = make_docx(folder / f"source-{name}")
        path = folder / name
        with (
            zipfile.ZipFile(source) as original,
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out,
        ):
            for info in original.infolist():
                data = original.read(info)
                if info.filename == "word/document.xml":
                    data = transform(data)
                out.writestr(info.filename, data)
        source.unlink()
        return path

    return build


_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)


def _billion_laughs(xml: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1]
    return _LAUGHS + body.replace(b"0.42 euros", b"&lol9;", 1)


def _xxe(xml: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1]
    prolog = b'<?xml version="1.0"?>\n<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    return prolog + body.replace(b"0.42 euros", b"&xxe;", 1)


def _docx_bomb(xml: bytes) -> bytes:
    return xml.replace(b"0.42 euros", b"0" * 60_000_000, 1)


def _encrypted_pdf(folder: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    source = make_pdf(folder / "plain-for-encryption.pdf", PDF_PAGES[:1])
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-256")
    path = folder / "encrypted.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    source.unlink()
    return path


def _truncated_pdf(folder: Path) -> Path:
    source = make_pdf(folder / "whole.pdf", PDF_PAGES)
    path = folder / "truncated.pdf"
    path.write_bytes(source.read_bytes()[:700])
    source.unlink()
    return path


def _scanned_pdf(folder: Path) -> Path:
    """Only vector drawings, like a scan: pages but no text layer."""
    from reportlab.pdfgen import canvas

    path = folder / "scanned.pdf"
    pdf = canvas.Canvas(str(path))
    for _ in range(2):
        pdf.rect(50, 50, 400, 600, fill=1)
        pdf.showPage()
    pdf.save()
    return path


def _long_pdf(folder: Path) -> Path:
    return make_pdf(folder / "long.pdf", [f"Page {n} text." for n in range(1, 9)])


def _junk(seed: int, size: int = 4096) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(size))


def _ole(extra: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 1024


def hostile_files() -> list[Hostile]:
    zeros = b"\x00" * (30 * 1024 * 1024)
    return [
        # --- archives ---
        Hostile(
            "bomb-ratio.zip",
            _zip("bomb-ratio.zip", [("zeros.txt", zeros)]),
            "archive",
            "ArchiveRejected",
            "zip bomb",
        ),
        Hostile(
            "bomb-total.zip",
            _zip("bomb-total.zip", [(f"r{i}.bin", _junk(i, 400_000)) for i in range(4)]),
            "archive",
            "ArchiveRejected",
            "expands to",
        ),
        Hostile(
            "lying-size.zip",
            _patched_zip("lying-size.zip", _lie_about_size),
            "archive",
            "ArchiveRejected",
            "archive",
        ),
        Hostile(
            "traversal.zip",
            _zip("traversal.zip", [("../../evil.txt", b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "absolute.zip",
            _zip("absolute.zip", [(zipfile.ZipInfo("/tmp/evil.txt"), b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "backslash.zip",
            _zip("backslash.zip", [("..\\..\\evil.txt", b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "drive.zip",
            _zip("drive.zip", [("C:/Windows/evil.txt", b"x")]),
            "archive",
            "ArchiveRejected",
            "unsafe path",
        ),
        Hostile(
            "symlink.zip",
            _zip("symlink.zip", [(_symlink_member(), b"/etc/passwd")]),
            "archive",
            "ArchiveRejected",
            "symbolic link",
        ),
        Hostile(
            "nested.zip",
            _zip("nested.zip", [("inner.zip", _zip_bytes([("a.txt", b"hello")]))]),
            "archive",
            "ArchiveRejected",
            "nested",
        ),
        Hostile(
            "deep.zip",
            _zip("deep.zip", [("l1.zip", _zip_bytes([("l2.zip", _zip_bytes([("a.txt", b"x")]))]))]),
            "archive",
            "ArchiveRejected",
            "nested",
        ),
        Hostile(
            "many.zip",
            _zip("many.zip", [(f"f{i}.txt", b"x") for i in range(20)]),
            "archive",
            "ArchiveRejected",
            "too many files",
        ),
        Hostile(
            "encrypted.zip",
            _patched_zip("encrypted.zip", _set_encrypted_flag),
            "archive",
            "ArchiveRejected",
            "password-protected",
        ),
        Hostile(
            "junk.zip",
            _write("junk.zip", _junk(1)),
            "archive",
            "ArchiveRejected",
            "not a valid zip",
        ),
        # --- PDFs ---
        Hostile("encrypted.pdf", _encrypted_pdf, "parse", "ParseError", "password-protected PDF"),
        Hostile("truncated.pdf", _truncated_pdf, "parse", "ParseError", "PDF"),
        Hostile(
            "malformed.pdf",
            _write("malformed.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF"),
            "parse",
            "ParseError",
            "malformed PDF",
        ),
        Hostile(
            "scanned.pdf",
            _scanned_pdf,
            "parse",
            "ParseError",
            "no text layer (scanned document; OCR is not enabled)",
        ),
        Hostile(
            "long.pdf", _long_pdf, "parse", "ParseError", "the limit is 5", {"RAG_MAX_PAGES": 5}
        ),
        Hostile("empty.pdf", _write("empty.pdf", b""), "parse", "UnsupportedType", "empty"),
        Hostile(
            "junk.pdf",
            _write("junk.pdf", _junk(2)),
            "parse",
            "UnsupportedType",
            "not a supported type",
        ),
        Hostile(
            "elf.pdf",
            _write("elf.pdf", Path("/bin/true").read_bytes()[:20000]),
            "parse",
            "UnsupportedType",
            "ELF executable",
        ),
        Hostile(
            "image.pdf",
            _write("image.pdf", b"\x89PNG\r\n\x1a\n" + _junk(3, 500)),
            "parse",
            "UnsupportedType",
            "PNG image",
        ),
        # --- Office ---
        Hostile(
            "laughs.docx",
            _docx_with("laughs.docx", _billion_laughs),
            "parse",
            "ParseError",
            "entity expansion is blocked",
        ),
        Hostile(
            "xxe.docx",
            _docx_with("xxe.docx", _xxe),
            "parse",
            "ParseError",
            "document type declaration",
        ),
        Hostile(
            "bomb.docx",
            _docx_with("bomb.docx", _docx_bomb),
            "parse",
            "ParseError",
            "decompression bomb",
        ),
        Hostile(
            "broken.docx",
            _docx_with("broken.docx", lambda xml: xml[: len(xml) // 2]),
            "parse",
            "ParseError",
            "damaged or malformed",
        ),
        Hostile(
            "junk.docx",
            _write("junk.docx", _junk(4)),
            "parse",
            "UnsupportedType",
            "not a supported type",
        ),
        Hostile(
            "exe.docx",
            _write("exe.docx", b"MZ\x90\x00" + _junk(5, 2000)),
            "parse",
            "UnsupportedType",
            "Windows executable",
        ),
        Hostile(
            "legacy.doc",
            _write("legacy.doc", _ole(b"WordDocument")),
            "parse",
            "UnsupportedType",
            "legacy Microsoft Office",
        ),
        Hostile(
            "protected.docx",
            _write("protected.docx", _ole("EncryptedPackage".encode("utf-16-le"))),
            "parse",
            "UnsupportedType",
            "password-protected Office",
        ),
        # --- text ---
        Hostile("empty.txt", _write("empty.txt", b""), "parse", "UnsupportedType", "empty"),
        Hostile(
            "blank.txt",
            _write("blank.txt", b"   \n\n\t  \n"),
            "parse",
            "ParseError",
            "contains no text",
        ),
        Hostile("junk.txt", _write("junk.txt", _junk(6)), "parse", "ParseError", "junk.txt"),
        Hostile(
            "gzip.txt",
            _write("gzip.txt", b"\x1f\x8b\x08\x00" + _junk(7, 300)),
            "parse",
            "UnsupportedType",
            "gzip",
        ),
        Hostile(
            "invalid-utf8.txt",
            _write("invalid-utf8.txt", b"Bonjour \xc3\x28 \x81\x8d\x90 \xff\xfe fin"),
            "parse",
            "ParseError",
            "not valid UTF-8",
        ),
        Hostile(
            "huge-line.txt",
            _write("huge-line.txt", b"word " * 60_000),
            "parse",
            "ParseError",
            "characters (limit",
        ),
        Hostile(
            "scripts-only.html",
            _write("scripts-only.html", b"<html><body><script>alert(1)</script></body></html>"),
            "parse",
            "ParseError",
            "no text found",
        ),
        Hostile(
            "nested.html",
            _write(
                "nested.html", b"<html><body>" + b"<div>" * 50_000 + b"deep" + b"</div>" * 50_000
            ),
            "parse",
            "ParseError",
            "no text found",
        ),
        Hostile(
            "archive-as-document.zip",
            _zip("archive-as-document.zip", [("a.txt", b"hello")]),
            "parse",
            "UnsupportedType",
            "zip archive",
        ),
    ]
