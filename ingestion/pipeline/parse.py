"""Parse a stored file into structured elements, in a sandboxed child process.

Caller side (a Celery worker, a management command): detect the type from the content, run the
parser in a child limited by RAG_PARSE_TIMEOUT and RAG_PARSE_MEMORY_MB, and turn the child's JSON
answer into a ParsedDocument. Every failure is a ParseError whose message is meant for the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.pipeline import filetypes
from ingestion.pipeline.errors import ParseError, UnsupportedType
from ingestion.pipeline.sandbox import SandboxFailure, run_sandboxed

__all__ = [
    "ParseError",
    "ParsedDocument",
    "ParsedElement",
    "SandboxFailure",
    "UnsupportedType",
    "detect_mime_type",
    "parse_document",
]

KINDS = ("title", "text", "list", "table")
_LANGUAGE_SAMPLE_CHARS = 5000


@dataclass
class ParsedElement:
    text: str
    kind: str  # "title" | "text" | "list" | "table"
    page: int | None
    heading_path: list[str] = field(default_factory=list)
    level: int = 0


@dataclass
class ParsedDocument:
    elements: list[ParsedElement]
    mime_type: str
    page_count: int | None
    title: str | None
    language: str  # "fr" or "en"


def detect_mime_type(path: Path, original_name: str) -> str:
    """MIME type from the file's CONTENT (magic bytes and structure), not its extension.

    Returns one of filetypes.SUPPORTED, or filetypes.ZIP for a plain zip archive (to be unpacked
    with archives.extract_zip_safely, never parsed). Raises UnsupportedType("… is not a supported
    type (detected: …)"), or for empty files, legacy/encrypted Office files and binary data.
    """
    return filetypes.detect_mime_type(path, original_name)


def parse_document(
    path: Path, *, original_name: str, mime_type: str | None = None
) -> ParsedDocument:
    """Parse in a child process limited by RAG_PARSE_TIMEOUT (s) and RAG_PARSE_MEMORY_MB.

    Raises ParseError with a readable reason for every failure: unsupported or damaged content,
    encrypted PDF, too many pages, no text layer, timeout ("parsing took longer than 300 s"),
    memory ("parser ran out of memory"), or a crash of the child, which never harms the caller.
    """
    from django.conf import settings

    mime = mime_type or detect_mime_type(path, original_name)
    if mime == filetypes.ZIP:
        raise UnsupportedType(
            f"{original_name} is a zip archive; upload it as an archive to import the files inside"
        )
    if mime not in filetypes.SUPPORTED:
        raise UnsupportedType(f"{original_name} is not a supported type (detected: {mime})")
    result = run_sandboxed(
        "ingestion.pipeline.parse:parse_in_child",
        {
            "path": str(path),
            "original_name": original_name,
            "mime_type": mime,
            "max_pages": int(settings.RAG_MAX_PAGES),
        },
        timeout=float(settings.RAG_PARSE_TIMEOUT),
        memory_mb=int(settings.RAG_PARSE_MEMORY_MB),
    )
    return _document(result, mime, original_name)


def _document(result: dict[str, Any], mime: str, original_name: str) -> ParsedDocument:
    elements = [
        ParsedElement(
            text=str(item["text"]),
            kind=item["kind"] if item["kind"] in KINDS else "text",
            page=int(item["page"]) if item.get("page") else None,
            heading_path=[str(title)[:300] for title in item.get("heading_path", [])],
            level=int(item.get("level") or 0),
        )
        for item in result.get("elements", [])
        if str(item.get("text", "")).strip()
    ]
    if not elements:
        raise ParseError(f"no text found in {original_name}")
    page_count = result.get("page_count")
    title = result.get("title") or next(
        (element.text for element in elements if element.kind == "title"), None
    )
    return ParsedDocument(
        elements=elements,
        mime_type=mime,
        page_count=int(page_count) if page_count else None,
        title=_clean_title(title) or Path(original_name).stem[:300] or original_name[:300],
        language=_language(elements),
    )


def _clean_title(title: str | None) -> str | None:
    if not title:
        return None
    return " ".join(title.split())[:300] or None


def _language(elements: list[ParsedElement]) -> str:
    from assistant.backends.language import detect_language

    sample: list[str] = []
    size = 0
    for element in elements:
        sample.append(element.text)
        size += len(element.text)
        if size >= _LANGUAGE_SAMPLE_CHARS:
            break
    return detect_language(" ".join(sample)[:_LANGUAGE_SAMPLE_CHARS])


def parse_in_child(path: str, original_name: str, mime_type: str, max_pages: int) -> dict[str, Any]:
    """Child-side entry point (see sandbox.run_sandboxed): JSON-able elements, pages, title."""
    if mime_type == filetypes.PDF:
        from ingestion.pipeline.pdf import parse_pdf

        return parse_pdf(Path(path), original_name, max_pages)
    from ingestion.pipeline.preload import PRELOAD_ERRORS

    if PRELOAD_ERRORS:
        raise ParseError("the document parser is unavailable: " + "; ".join(PRELOAD_ERRORS))
    from ingestion.pipeline.formats import parse_with_unstructured

    result = parse_with_unstructured(Path(path), original_name, mime_type)
    if result["page_count"] and result["page_count"] > max_pages:
        raise ParseError(
            f"{original_name} has {result['page_count']:,} pages; the limit is {max_pages:,} "
            "(RAG_MAX_PAGES)"
        )
    return result
