"""PDF text extraction with pypdf (BSD), page by page, inside the parser child.

Measured ~15x faster than unstructured's fast PDF strategy and it keeps page numbers (FIELD-NOTES).
pypdf yields lines, not structure: headings come from the PDF outline (bookmarks) when there is
one, else from a conservative heuristic (short, unpunctuated, capitalised or numbered lines).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ingestion.pipeline.errors import ParseError

NO_TEXT_LAYER = "no text layer (scanned document; OCR is not enabled)"
_BULLET_RE = re.compile(r"^\s*([\u2022\u25aa\u25cf\u2013\u2014*\-]|\(?[0-9a-z]{1,2}[).])\s+")
_NUMBERED_RE = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")
_SENTENCE_END = (".", "!", "?", ":", ";", "\u2026")


def parse_pdf(path: Path, original_name: str, max_pages: int) -> dict[str, Any]:
    """Return {"elements", "page_count", "title"}; raise ParseError with a readable reason."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files warn per object
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            _decrypt(reader, original_name)
        page_count = len(reader.pages)
    except (FileNotDecryptedError, DependencyError):
        raise ParseError(f"{original_name} is an encrypted PDF that cannot be opened") from None
    except ParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ParseError(f"{original_name} is a damaged or malformed PDF ({exc})") from None
    if page_count == 0:
        raise ParseError(f"{original_name} is a PDF without pages")
    if page_count > max_pages:
        raise ParseError(
            f"{original_name} has {page_count:,} pages; the limit is {max_pages:,} (RAG_MAX_PAGES)"
        )
    outline = _outline(reader)
    elements: list[dict[str, Any]] = []
    failed = 0
    heading_path: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except MemoryError:
            raise
        except Exception:
            failed += 1
            continue
        page_elements, heading_path = _page_elements(text, number, outline, heading_path)
        elements.extend(page_elements)
    if not elements:
        if failed == page_count:
            raise ParseError(
                f"{original_name} is a damaged or malformed PDF (no page could be read)"
            )
        raise ParseError(NO_TEXT_LAYER)
    return {"elements": elements, "page_count": page_count, "title": _title(reader, outline)}


def _decrypt(reader: Any, original_name: str) -> None:
    """Owner-password-only PDFs (print/copy restrictions) open with the empty user password."""
    if not reader.decrypt(""):
        raise ParseError(
            f"{original_name} is a password-protected PDF; remove the password and upload it again"
        )


def _outline(reader: Any) -> list[tuple[int, int, str]]:
    """[(page number, level, title)] from the PDF bookmarks, in page order; [] when absent."""
    entries: list[tuple[int, int, str]] = []

    def walk(items: list[Any], level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
                continue
            try:
                page = reader.get_destination_page_number(item) + 1
            except Exception:  # a broken bookmark only loses its heading
                page = 0
            title = " ".join(str(getattr(item, "title", "") or "").split())
            if title and page > 0:
                entries.append((page, level, title))

    try:
        walk(reader.outline, 0)
    except Exception:
        return []
    return sorted(entries, key=lambda entry: entry[0])


def _title(reader: Any, outline: list[tuple[int, int, str]]) -> str | None:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:
        title = None
    if title and str(title).strip():
        return " ".join(str(title).split())[:300]
    return outline[0][2] if outline else None


def _path_at(outline: list[tuple[int, int, str]], page: int) -> list[str]:
    stack: list[tuple[int, str]] = []
    for entry_page, level, title in outline:
        if entry_page > page:
            break
        stack = [(lvl, t) for lvl, t in stack if lvl < level]
        stack.append((level, title))
    return [t for _, t in stack]


def _page_elements(
    text: str, page: int, outline: list[tuple[int, int, str]], carried: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Elements of one page and the heading path in force at its end (carried to the next)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return [], carried
    widest = max(len(line) for line in lines)
    elements: list[dict[str, Any]] = []
    paragraph: list[str] = []
    kind = "text"
    path = _path_at(outline, page) if outline else list(carried)

    def flush() -> None:
        nonlocal paragraph
        if paragraph:
            elements.append(_element(_join(paragraph), kind, page, path))
            paragraph = []

    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not outline and _is_heading(line, following):
            flush()
            level = _heading_level(line)
            if path and _NUMBERED_RE.match(line) and not _NUMBERED_RE.match(path[0]):
                level += 1  # "1. Scope" sits under an unnumbered document title
            path = [*path[:level], line]
            elements.append(_element(line, "title", page, path, level))
            kind = "text"
            continue
        if _BULLET_RE.match(line):
            flush()
            kind = "list"
        paragraph.append(line)
        if line.endswith(_SENTENCE_END) and len(line) < 0.7 * widest:
            flush()
            kind = "text"
    flush()
    return elements, path


def _element(text: str, kind: str, page: int, path: list[str], level: int = 0) -> dict[str, Any]:
    return {"text": text, "kind": kind, "page": page, "heading_path": list(path), "level": level}


def _join(lines: list[str]) -> str:
    joined = lines[0]
    for line in lines[1:]:
        if joined.endswith("-") and line[:1].islower():
            joined = joined[:-1] + line  # de-hyphenate a word broken across lines
        else:
            joined += " " + line
    return joined


def _is_heading(line: str, following: str) -> bool:
    words = line.split()
    if not following or len(line) > 80 or len(words) > 12 or line.endswith((*_SENTENCE_END, ",")):
        return False
    if _BULLET_RE.match(line) and not _NUMBERED_RE.match(line):
        return False
    first = line[0]
    if not (first.isupper() or _NUMBERED_RE.match(line)):
        return False
    letters = [ch for ch in line if ch.isalpha()]
    # a heading is mostly words; table rows and figures are mostly digits
    return len(letters) >= max(3, len(line.replace(" ", "")) // 2)


def _heading_level(line: str) -> int:
    match = _NUMBERED_RE.match(line)
    return match.group(1).count(".") if match else 0
