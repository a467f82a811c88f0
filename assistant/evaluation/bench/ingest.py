"""`bench ingest`: our parser vs raw PyMuPDF, and end-to-end indexing vs raw encoding.

Runs inside the harness child (temporary RAG_DATA_DIR, migrated SQLite). The corpus is generated:
PDFs of prose pages (reportlab) plus DOCX files. Two ratios, both measured in this run:
- PDF pages/s of `parse_document` (child process, pypdf) / pages/s of raw PyMuPDF get_text();
- chunks/s end to end (upload -> parse -> chunk -> embed -> upsert, through our services) /
  chunks/s of raw sentence-transformers encode() of the very same chunk texts (target >= 0.8).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

WORDS = [
    "policy",
    "employee",
    "contract",
    "leave",
    "salary",
    "travel",
    "expense",
    "approval",
    "manager",
    "security",
    "access",
    "document",
    "retention",
    "training",
    "holiday",
    "insurance",
    "office",
    "remote",
    "equipment",
    "budget",
    "quarterly",
    "report",
    "compliance",
    "audit",
    "invoice",
    "supplier",
    "customer",
    "agreement",
    "notice",
    "period",
    "payment",
]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    words[0] = words[0].capitalize()
    return " ".join(words) + f" within {rng.randint(2, 90)} days."


def make_pdf(path: Path, pages: int, seed: int = 7) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in range(pages):
        y = 800
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(50, y, f"Section {page + 1}: {rng.choice(WORDS).title()} rules")
        pdf.setFont("Helvetica", 10)
        for _ in range(40):
            y -= 18
            pdf.drawString(50, y, _sentence(rng)[:95])
        pdf.showPage()
    pdf.save()


def make_docx(path: Path, paragraphs: int, seed: int) -> None:
    import docx

    rng = random.Random(seed)
    document = docx.Document()
    for index in range(paragraphs):
        if index % 8 == 0:
            document.add_heading(f"Chapter {index // 8 + 1}", level=1)
        document.add_paragraph(" ".join(_sentence(rng) for _ in range(4)))
    document.save(str(path))


def _pdf_pages_per_second(pdf: Path, pages: int, repeats: int) -> dict[str, Any]:
    import fitz  # PyMuPDF: the raw baseline only

    from ingestion.pipeline.parse import parse_document
    from ingestion.pipeline.sandbox import warm_up

    warm_up()  # the parser process starts once per worker, not per file: keep it out of timing
    ours, raw = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        with fitz.open(str(pdf)) as doc:
            texts = [page.get_text() for page in doc]
        raw.append(pages / (time.perf_counter() - started))
        assert sum(len(t) for t in texts) > 0
        started = time.perf_counter()
        parsed = parse_document(pdf, original_name=pdf.name)
        ours.append(pages / (time.perf_counter() - started))
        assert parsed.page_count == pages
    return {"ours": ours, "raw": raw}


def _end_to_end(files: list[Path]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from assistant.backends.embedder import get_embedder
    from ingestion.indexing import document_ingest
    from ingestion.models import Chunk, Collection, Document, IngestJob
    from ingestion.services import document_upload

    user, _ = get_user_model().objects.get_or_create(username="bench")
    collection, _ = Collection.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    embedder = get_embedder()
    embedder.embed_documents(["warm up the model once"])  # load outside the timed region
    started = time.perf_counter()
    for path in files:
        with path.open("rb") as handle:
            outcome = document_upload(
                collection=collection, file=handle, uploaded_by=user, original_name=path.name
            )
        assert outcome.document is not None, outcome.message
        for job in IngestJob.objects.filter(document=outcome.document):
            document_ingest(job.pk)
    ours_seconds = time.perf_counter() - started
    failed = list(
        Document.objects.filter(collection=collection)
        .exclude(status=Document.Status.INDEXED)
        .values_list("original_name", "error_message")
    )
    texts = list(
        Chunk.objects.filter(document__collection=collection).values_list("text", flat=True)
    )
    from django.conf import settings
    from sentence_transformers import SentenceTransformer

    raw_model = SentenceTransformer(settings.RAG_EMBED_MODEL, device="cpu")
    raw_model.encode(["warm up"])
    started = time.perf_counter()
    raw_model.encode(texts, batch_size=settings.RAG_EMBED_BATCH, normalize_embeddings=True)
    raw_seconds = time.perf_counter() - started
    return {
        "chunks": len(texts),
        "ours_chunks_per_s": len(texts) / ours_seconds,
        "raw_chunks_per_s": len(texts) / raw_seconds,
        "failed": failed,
    }


def run_ingest_bench(quick: bool = False) -> dict[str, Any]:
    import torch
    from django.conf import settings

    torch.set_num_threads(settings.RAG_EMBED_THREADS)
    pages = 20 if quick else 200
    repeats = 2 if quick else 3
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        pdf = root / "handbook.pdf"
        make_pdf(pdf, pages)
        speed = _pdf_pages_per_second(pdf, pages, repeats)
        files = [pdf]
        for index in range(1 if quick else 4):
            docx_path = root / f"memo-{index}.docx"
            make_docx(docx_path, 12 if quick else 40, seed=index)
            files.append(docx_path)
        e2e = _end_to_end(files)
    ours_pps = statistics.median(speed["ours"])
    raw_pps = statistics.median(speed["raw"])
    return {
        "rows": [
            {
                "metric": f"PDF pages/s ({pages} pages)",
                "ours": ours_pps,
                "raw": raw_pps,
                "ratio": ours_pps / raw_pps,
                "unit": "pages/s",
                "target": "report",
            },
            {
                "metric": f"end-to-end chunks/s ({e2e['chunks']} chunks)",
                "ours": e2e["ours_chunks_per_s"],
                "raw": e2e["raw_chunks_per_s"],
                "ratio": e2e["ours_chunks_per_s"] / e2e["raw_chunks_per_s"],
                "unit": "chunks/s",
                "target": ">= 0.8",
            },
        ],
        "details": {
            "pdf_pages_per_s": speed,
            "spread_ours": [min(speed["ours"]), max(speed["ours"])],
            "failed_documents": e2e["failed"],
            "embed_threads": settings.RAG_EMBED_THREADS,
        },
    }
