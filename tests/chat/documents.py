"""A small generated document set: multi-page PDFs whose facts live on known pages."""

from __future__ import annotations

from pathlib import Path

HANDBOOK = {
    "travel-policy.pdf": [
        "Travel policy. Employees book trains through the travel desk. Receipts are kept.",
        "Hotel nights. The maximum hotel rate is 145 euros per night in Paris and 110 euros "
        "per night elsewhere in France. Breakfast is included in the hotel rate.",
    ],
    "it-handbook.pdf": [
        "IT handbook. Passwords must have at least 14 characters.",
        "Laptops. A broken laptop is replaced within two working days by the IT desk.",
    ],
    "canteen.pdf": [
        "Canteen. The canteen opens at 11:45 and closes at 14:00 on working days.",
    ],
}
SECRET = {
    "salaries.pdf": ["Salary bands. The director salary band tops at 180,000 euros per year."],
}
QUESTION = "What is the maximum hotel rate per night in Paris?"
EXPECTED = ("travel-policy.pdf", 2)


FILLER = (
    "This section was reviewed by the works council in {year}. Questions about it go to the "
    "owner of the policy, who answers within five working days. Earlier versions are archived "
    "on the intranet and remain available for consultation. "
)


def _page_text(text: str, page: int) -> str:
    # Pages long enough (~250 words) that each becomes its own chunk, so citations know the page.
    # The fact sits mid-page, so the chunk that holds it starts on that page.
    before = "".join(FILLER.format(year=2000 + page + k) for k in range(3))
    after = "".join(FILLER.format(year=2015 + page + k) for k in range(3))
    return before + text + " " + after


def write_pdfs(folder: Path, documents: dict[str, list[str]]) -> list[Path]:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, pages in documents.items():
        path = folder / name
        pdf = canvas.Canvas(str(path), pagesize=A4)
        for number, raw in enumerate(pages, start=1):
            text = _page_text(raw, number)
            y = 800
            line = ""
            for word in text.split():
                if len(line) + len(word) > 85:
                    pdf.drawString(50, y, line)
                    y -= 16
                    line = ""
                line = f"{line} {word}".strip()
            pdf.drawString(50, y, line)
            pdf.showPage()
        pdf.save()
        paths.append(path)
    return paths
