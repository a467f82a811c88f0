"""Small generated documents in every supported format (each mentions a unique keyword)."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

PARAGRAPH = (
    "The travel policy explains how employees book trains and hotels. Expenses are reimbursed "
    "within thirty days when the receipts are attached to the claim. "
)


def text(keyword: str = "alpha", paragraphs: int = 3) -> bytes:
    body = "\n\n".join(f"{keyword} section {i}. {PARAGRAPH * 2}" for i in range(paragraphs))
    return f"Travel policy {keyword}\n\n{body}\n".encode()


def markdown(keyword: str = "bravo") -> bytes:
    return (
        f"# Handbook {keyword}\n\n## Holidays\n\n{PARAGRAPH}{keyword} holidays.\n\n"
        f"## Expenses\n\n{PARAGRAPH * 2}\n"
    ).encode()


def html(keyword: str = "charlie") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>Policy {keyword}</title></head><body>"
        f"<h1>Policy {keyword}</h1><p>{PARAGRAPH}</p><h2>Details</h2><p>{PARAGRAPH}{keyword}</p>"
        "</body></html>"
    ).encode()


def csv(keyword: str = "delta") -> bytes:
    rows = ["name,city,amount"] + [f"{keyword} {i},Paris,{i * 10}" for i in range(20)]
    return ("\n".join(rows) + "\n").encode()


def eml(keyword: str = "echo") -> bytes:
    message = EmailMessage()
    message["From"] = "hr@example.org"
    message["To"] = "staff@example.org"
    message["Subject"] = f"Travel update {keyword}"
    message["Date"] = "Mon, 3 Mar 2025 10:00:00 +0000"
    message.set_content(f"Hello,\n\n{PARAGRAPH}{keyword}.\n\nRegards,\nHR\n")
    return bytes(message)


def pdf(keyword: str = "foxtrot", pages: int = 2) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    for number in range(1, pages + 1):
        y = 800
        page.drawString(72, y, f"Page {number} {keyword} chapter {number}")
        for line in range(12):
            y -= 18
            page.drawString(
                72, y, f"{keyword} page {number} line {line}: trains, hotels, receipts."
            )
        page.showPage()
    page.save()
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    """A PDF with pages but no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.rect(72, 72, 200, 200, fill=1)
    page.showPage()
    page.save()
    return buffer.getvalue()


def docx(keyword: str = "golf") -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading(f"Guide {keyword}", level=1)
    document.add_paragraph(PARAGRAPH + keyword)
    document.add_heading("Second part", level=2)
    document.add_paragraph(PARAGRAPH * 2)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def pptx(keyword: str = "hotel") -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for number in range(2):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide {number} {keyword}"
        slide.placeholders[1].text = PARAGRAPH
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def xlsx(keyword: str = "india") -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["item", "amount", "note"])
    for i in range(15):
        sheet.append([f"{keyword} item {i}", i * 3, "travel"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


FORMATS = {
    "policy.txt": text,
    "handbook.md": markdown,
    "policy.html": html,
    "table.csv": csv,
    "update.eml": eml,
    "guide.pdf": pdf,
    "guide.docx": docx,
    "slides.pptx": pptx,
    "budget.xlsx": xlsx,
}
