"""File type detection from content (magic bytes and structure), never from the extension.

The extension only chooses between text variants that are equally harmless to parse (plain text vs
Markdown). Anything that is not one of the supported formats raises UnsupportedType naming what was
detected, so the admin learns why the file was refused.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

from ingestion.pipeline.errors import ParseError, UnsupportedType

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"
MARKDOWN = "text/markdown"
TEXT = "text/plain"
EML = "message/rfc822"
CSV = "text/csv"
ZIP = "application/zip"

SUPPORTED = (PDF, DOCX, PPTX, XLSX, HTML, MARKDOWN, TEXT, EML, CSV)
OOXML = (DOCX, PPTX, XLSX)
TEXT_TYPES = (HTML, MARKDOWN, TEXT, EML, CSV)

_SNIFF_BYTES = 64 * 1024
# Magic numbers of common formats we refuse, so the message can say what the file really is.
_KNOWN_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O/Java binary"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"#!", "a script"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
    (b"SQLite format 3", "a SQLite database"),
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_HTML_RE = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S
)
_HEADER_RE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$")
_MD_RE = re.compile(r"^(#{1,6} \S|```|[-*] \S.*$|\d+\. \S)", re.M)


def detect_mime_type(path: Path, original_name: str) -> str:
    """MIME type of the file at path, from its content. Raises UnsupportedType (a ParseError)."""
    size = path.stat().st_size
    if size == 0:
        raise UnsupportedType(f"{original_name} is empty (0 bytes)")
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(_OLE_MAGIC):
        return _refuse_ole(path, original_name)
    for magic, label in _KNOWN_BINARY:
        if head.startswith(magic):
            raise UnsupportedType(f"{original_name} is not a supported type (detected: {label})")
    if b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path, original_name)
    text = decode_text(head, original_name, truncated=size > len(head))
    return _text_kind(text, original_name)


def _refuse_ole(path: Path, original_name: str) -> str:
    data = path.read_bytes()[: 16 * 1024 * 1024]
    if _ENCRYPTED_PACKAGE in data:
        raise UnsupportedType(
            f"{original_name} is a password-protected Office document; "
            "remove the password and upload it again"
        )
    raise UnsupportedType(
        f"{original_name} is not a supported type (detected: a legacy Microsoft Office "
        "file .doc/.xls/.ppt; save it as .docx/.xlsx/.pptx)"
    )


def _zip_kind(path: Path, original_name: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsupportedType(
            f"{original_name} is not a supported type (detected: a damaged zip container: {exc})"
        ) from None
    if "[Content_Types].xml" in names:
        for prefix, mime in (("word/", DOCX), ("ppt/", PPTX), ("xl/", XLSX)):
            if any(name.startswith(prefix) for name in names):
                return mime
        raise UnsupportedType(
            f"{original_name} is not a supported type (detected: an unknown Office package)"
        )
    if "mimetype" in names:
        raise UnsupportedType(
            f"{original_name} is not a supported type (detected: an OpenDocument/EPUB package)"
        )
    return ZIP


def decode_text(data: bytes, original_name: str, *, truncated: bool = False) -> str:
    """Decode text: UTF-8 (with or without BOM), UTF-16 with BOM, else clean Windows-1252.

    Raises UnsupportedType for binary data and ParseError for text that is not valid UTF-8 and not
    plausible Windows-1252 either. truncated=True tolerates a multi-byte character cut at the end.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            if not truncated:
                raise ParseError(f"{original_name} is not valid UTF-16 text") from None
            return data[: len(data) - len(data) % 2].decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise UnsupportedType(f"{original_name} is not a supported type (detected: binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if truncated and exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            text = data[: exc.start].decode("utf-8-sig")
        else:
            text = _windows_1252(data, original_name, exc)
    _reject_control_characters(text, original_name)
    return text


def _windows_1252(data: bytes, original_name: str, exc: UnicodeDecodeError) -> str:
    """Legacy French files (Excel CSV exports, old notes) are often Windows-1252; accept them only
    when every byte is a printable character of that encoding."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):
        return text
    raise ParseError(
        f"{original_name} is not valid UTF-8 text (invalid byte 0x{data[exc.start]:02x} at "
        f"offset {exc.start}); save it as UTF-8 and upload it again"
    ) from None


def _reject_control_characters(text: str, original_name: str) -> None:
    sample = text[:_SNIFF_BYTES]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\x1b")
    if controls > max(8, len(sample) // 100):
        raise UnsupportedType(f"{original_name} is not a supported type (detected: binary data)")


def _text_kind(text: str, original_name: str) -> str:
    suffix = Path(original_name).suffix.lower()
    stripped = text.lstrip()
    if _HTML_RE.match(stripped.encode("utf-8", "ignore")[:4096]):
        return HTML
    if _looks_like_email(text):
        return EML
    if suffix in (".md", ".markdown") or (suffix != ".txt" and _MD_RE.search(text[:4096])):
        return MARKDOWN
    if suffix in (".html", ".htm") and "<" in stripped[:200]:
        return HTML
    if _looks_like_csv(text, strict=suffix not in (".csv", ".tsv")):
        return CSV
    return TEXT


def _looks_like_email(text: str) -> bool:
    headers: set[str] = set()
    for line in text.splitlines()[:200]:
        if not line.strip():
            break
        if line[:1] in (" ", "\t") and headers:
            continue  # folded header continuation
        match = _HEADER_RE.match(line)
        if not match:
            return False
        headers.add(match.group(1).lower())
    return "from" in headers and bool(headers & {"subject", "to", "date", "message-id"})


def _looks_like_csv(text: str, *, strict: bool) -> bool:
    """Every sampled row has the same number (>= 2) of fields for one delimiter."""
    lines = [line for line in text[:_SNIFF_BYTES].splitlines()[:50] if line.strip()]
    if len(text) > len(text[:_SNIFF_BYTES]) and len(lines) > 1:
        lines = lines[:-1]  # the last sampled line may be cut
    if len(lines) < (3 if strict else 2):
        return False
    for delimiter in (",", ";", "\t", "|"):
        try:
            counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        except csv.Error:
            continue
        if len(counts) == 1 and counts.pop() >= 2:
            return True
    return False
