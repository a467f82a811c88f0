"""Generators for test documents, built at test time: one good file per supported format, with
known facts per page and section (the hostile corpus is in hostile.py).

Shared by the pipeline tests and the ingestion service tests. Every generator writes into the
folder it is given and returns the path.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

PDF_PAGES = [
    "Leave policy. Every employee receives 25 days of paid leave per year.",
    "Carry over. At most 5 unused days may be carried over to the next year.",
    "Sick leave. A medical certificate is required after 3 consecutive days of absence.",
]


def make_pdf(path: Path, pages: list[str], *, title: str | None = "Employee handbook") -> Path:
    """A PDF with one paragraph per page (reportlab), plus a heading line per page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    if title:
        pdf.setTitle(title)
    for number, text in enumerate(pages, start=1):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 780, f"Section {number}")
        pdf.setFont("Helvetica", 11)
        y = 750
        for line in _wrap(text, 85):
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Expense policy", level=1)
    document.add_paragraph("Meals during business trips are reimbursed up to 30 euros per day.")
    document.add_heading("Mileage", level=2)
    document.add_paragraph("Private cars are reimbursed at 0.42 euros per kilometre.")
    document.add_paragraph("Submit receipts within 60 days.", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Item", "Ceiling"
    table.cell(1, 0).text, table.cell(1, 1).text = "Hotel night", "120 euros"
    document.save(str(path))
    return path


def make_pptx(path: Path) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for title, body in (
        ("Remote work", "Employees may work from home 2 days per week."),
        ("Equipment", "The company provides a laptop and a 27-inch screen."),
    ):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    deck.save(str(path))
    return path


def make_xlsx(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Allowances"
    for row in (("Country", "Daily allowance"), ("France", 45), ("Germany", 50)):
        sheet.append(row)
    other = workbook.create_sheet("Contacts")
    other.append(("Team", "Extension"))
    other.append(("IT helpdesk", 4242))
    workbook.save(str(path))
    return path


def make_eml(path: Path) -> Path:
    message = EmailMessage()
    message["From"] = "hr@example.com"
    message["To"] = "staff@example.com"
    message["Subject"] = "New badge policy"
    message["Date"] = "Mon, 6 Jan 2025 09:00:00 +0100"
    message.set_content("Hello,\n\nBadges must be worn at all times. Lost badges cost 15 euros.\n")
    path.write_bytes(message.as_bytes())
    return path


TEXT_FILES: dict[str, tuple[str, str]] = {
    # name: (content, a phrase that must come out of the parser)
    "policy.md": (
        "# Politique de congés\n\nChaque salarié dispose de 25 jours de congés payés par an.\n\n"
        "## Report\n\nAu plus 5 jours peuvent être reportés sur l'année suivante.\n",
        "25 jours de congés",
    ),
    "security.html": (
        "<!DOCTYPE html><html><head><title>IT security</title></head><body>"
        "<h1>IT security</h1><p>Passwords must have at least 14 characters.</p>"
        "<h2>Updates</h2><p>Laptops install updates within 7 days.</p></body></html>",
        "at least 14 characters",
    ),
    "notes.txt": (
        "Parking rules\n\nThe car park opens at 7 am. Visitors park on level -1.\n",
        "opens at 7 am",
    ),
    "phones.csv": (
        "name,extension,floor\nReception,100,0\nHelpdesk,4242,2\nPayroll,310,3\n",
        "Helpdesk",
    ),
}


def good_files(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, a phrase the parsed text must contain), one per supported format."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "handbook.pdf": (make_pdf(folder / "handbook.pdf", PDF_PAGES), "25 days of paid leave"),
        "expenses.docx": (make_docx(folder / "expenses.docx"), "0.42 euros per kilometre"),
        "remote.pptx": (make_pptx(folder / "remote.pptx"), "2 days per week"),
        "allowances.xlsx": (make_xlsx(folder / "allowances.xlsx"), "Germany | 50"),
        "badge.eml": (make_eml(folder / "badge.eml"), "Lost badges cost 15 euros"),
    }
    for name, (content, phrase) in TEXT_FILES.items():
        path = folder / name
        path.write_text(content, encoding="utf-8")
        files[name] = (path, phrase)
    return files
