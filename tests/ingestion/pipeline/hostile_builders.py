"""Builders of the hostile corpus (tests.ingestion.pipeline.hostile): zips that lie, Office files
with entity bombs, broken or encrypted PDFs, junk bytes."""

from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.ingestion.pipeline.corpus import PDF_PAGES, make_docx, make_pdf


def plain_file(name: str, data: bytes) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path

    return build


def zip_file(
    name: str, members: list[tuple[str | zipfile.ZipInfo, bytes]]
) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, data in members:
                archive.writestr(member, data)
        return path

    return build


def symlink_member() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("link-to-passwd")
    info.external_attr = (0o120777 << 16) | 0x20
    return info


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def patched_zip(name: str, patch: Callable[[bytearray], None]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        data = bytearray(zip_bytes([("a.txt", b"hello world " * 50_000)]))
        patch(data)
        path = folder / name
        path.write_bytes(bytes(data))
        return path

    return build


def lie_about_size(data: bytearray) -> None:
    """Declare 600 bytes uncompressed in both headers for a 600 KB member."""
    local = data.find(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 600)
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 600)


def set_encrypted_flag(data: bytearray) -> None:
    local = data.find(b"PK\x03\x04")
    data[local + 6] |= 0x1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1


def docx_with(name: str, transform: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
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


def billion_laughs(xml: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1]
    return _LAUGHS + body.replace(b"0.42 euros", b"&lol9;", 1)


def xxe(xml: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1]
    prolog = b'<?xml version="1.0"?>\n<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    return prolog + body.replace(b"0.42 euros", b"&xxe;", 1)


def docx_bomb(xml: bytes) -> bytes:
    return xml.replace(b"0.42 euros", b"0" * 60_000_000, 1)


def encrypted_pdf(folder: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    source = make_pdf(folder / "plain-for-encryption.pdf", PDF_PAGES[:1])
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-256")
    path = folder / "encrypted.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    source.unlink()
    return path


def truncated_pdf(folder: Path) -> Path:
    source = make_pdf(folder / "whole.pdf", PDF_PAGES)
    path = folder / "truncated.pdf"
    path.write_bytes(source.read_bytes()[:700])
    source.unlink()
    return path


def scanned_pdf(folder: Path) -> Path:
    """Only vector drawings, like a scan: pages but no text layer."""
    from reportlab.pdfgen import canvas

    path = folder / "scanned.pdf"
    pdf = canvas.Canvas(str(path))
    for _ in range(2):
        pdf.rect(50, 50, 400, 600, fill=1)
        pdf.showPage()
    pdf.save()
    return path


def long_pdf(folder: Path) -> Path:
    return make_pdf(folder / "long.pdf", [f"Page {n} text." for n in range(1, 9)])


def junk(seed: int, size: int = 4096) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(size))


def ole(extra: bytes) -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 1024
