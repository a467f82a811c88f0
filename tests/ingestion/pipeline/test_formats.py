"""Every supported format end to end: detect -> parse in the sandbox -> chunk."""

from __future__ import annotations

import pytest

from ingestion.pipeline import filetypes
from ingestion.pipeline.chunk import chunk_document, document_text
from ingestion.pipeline.parse import detect_mime_type, parse_document
from tests.fixtures.word_count import count_words
from tests.ingestion.pipeline import corpus

EXPECTED_MIME = {
    "handbook.pdf": filetypes.PDF,
    "expenses.docx": filetypes.DOCX,
    "remote.pptx": filetypes.PPTX,
    "allowances.xlsx": filetypes.XLSX,
    "badge.eml": filetypes.EML,
    "policy.md": filetypes.MARKDOWN,
    "security.html": filetypes.HTML,
    "notes.txt": filetypes.TEXT,
    "phones.csv": filetypes.CSV,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_MIME))
def test_every_format_parses_and_chunks(good_corpus, name):
    path, phrase = good_corpus[name]
    mime = detect_mime_type(path, name)
    assert mime == EXPECTED_MIME[name]

    doc = parse_document(path, original_name=name)

    assert doc.mime_type == mime
    assert phrase in document_text(doc)
    assert doc.title
    chunks = chunk_document(doc, target_tokens=60, overlap_tokens=10, count_tokens=count_words)
    assert chunks
    assert any(phrase in chunk.text for chunk in chunks)
    text = document_text(doc)
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.token_count == count_words(chunk.text)


def test_pdf_keeps_page_numbers(good_corpus):
    path, _ = good_corpus["handbook.pdf"]
    doc = parse_document(path, original_name="handbook.pdf")

    assert doc.page_count == 3
    assert doc.title == "Employee handbook"
    chunks = chunk_document(doc, target_tokens=20, overlap_tokens=0, count_tokens=count_words)
    for page, sentence in enumerate(corpus.PDF_PAGES, start=1):
        fact = sentence.split(". ", 1)[1][:30]
        holders = [chunk for chunk in chunks if fact in chunk.text]
        assert holders, fact
        assert all(chunk.page_start == chunk.page_end == page for chunk in holders)
        assert holders[0].heading_path == [f"Section {page}"]


def test_pdf_pages_span_when_chunks_are_large(good_corpus):
    path, _ = good_corpus["handbook.pdf"]
    doc = parse_document(path, original_name="handbook.pdf")
    # no headings would keep pages apart if they were all one section: check min/max pages
    chunks = chunk_document(doc, target_tokens=2000, overlap_tokens=0, count_tokens=count_words)
    assert {chunk.page_start for chunk in chunks} == {1, 2, 3}


def test_docx_structure_gives_heading_paths_and_whole_tables(good_corpus):
    path, _ = good_corpus["expenses.docx"]
    doc = parse_document(path, original_name="expenses.docx")

    assert doc.title == "Expense policy"
    kinds = {element.kind for element in doc.elements}
    assert {"title", "text", "list", "table"} <= kinds
    table = next(element for element in doc.elements if element.kind == "table")
    assert "Hotel night | 120 euros" in table.text
    mileage = next(element for element in doc.elements if "0.42" in element.text)
    assert mileage.heading_path == ["Expense policy", "Mileage"]


def test_pptx_slides_are_pages(good_corpus):
    path, _ = good_corpus["remote.pptx"]
    doc = parse_document(path, original_name="remote.pptx")
    pages = {element.page for element in doc.elements if "27-inch" in element.text}
    assert pages == {2}
    assert doc.page_count == 2


def test_xlsx_sheet_name_heads_the_path(good_corpus):
    path, _ = good_corpus["allowances.xlsx"]
    doc = parse_document(path, original_name="allowances.xlsx")
    helpdesk = next(element for element in doc.elements if "IT helpdesk" in element.text)
    assert helpdesk.heading_path[0] == "Contacts"
    assert helpdesk.kind == "table"


def test_french_markdown_is_detected_as_french(good_corpus):
    path, _ = good_corpus["policy.md"]
    doc = parse_document(path, original_name="policy.md")
    assert doc.language == "fr"
    assert doc.title == "Politique de congés"
    report = next(element for element in doc.elements if "reportés" in element.text)
    assert report.heading_path == ["Politique de congés", "Report"]


def test_windows_1252_text_is_accepted(tmp_path):
    path = tmp_path / "ancien.txt"
    path.write_bytes("Les congés d'été commencent le 1er août.\n".encode("cp1252"))
    doc = parse_document(path, original_name="ancien.txt")
    assert "congés d'été" in document_text(doc)


def test_file_name_is_the_title_without_a_heading(tmp_path):
    path = tmp_path / "parking-rules.txt"
    path.write_text("the car park opens at seven in the morning and closes at nine.\n")
    doc = parse_document(path, original_name="parking-rules.txt")
    assert doc.title == "parking-rules"
    assert doc.language == "en"


def test_type_comes_from_content_not_extension(good_corpus, tmp_path):
    pdf, _ = good_corpus["handbook.pdf"]
    disguised = tmp_path / "report.txt"
    disguised.write_bytes(pdf.read_bytes())
    assert detect_mime_type(disguised, "report.txt") == filetypes.PDF
    doc = parse_document(disguised, original_name="report.txt")
    assert doc.page_count == 3
