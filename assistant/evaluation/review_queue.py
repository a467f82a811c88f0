"""`evaluate review`: how many exchanges of a realistic mixed set land in the review queue, and
whether every real risk does.

The set (review_set.py) runs through the real chat path: the demo handbook and four short
policies are uploaded and ingested like any upload, each question is asked with answer_question()
by an employee who reads that collection, the exchange is audited (real redactor) and fed to the
review queue (privacy.review). Reported:

- queued: exchanges with a review for a real reason (the random sample counted apart);
- recall: real-risk exchanges queued for a real reason, over all real-risk exchanges. Real risk
  is known without the redactor: an identifier of a person planted in the question
  (review_set.ReviewItem.identifiers), or an invalid citation in the answer;
- per-reason counts, and the queued share per kind of question (plain, context entities only,
  personal data, out of scope), so a city that queues an exchange shows up as "context only".

It writes to a database and a vector store: the command runs it in a child process on a temporary
RAG_DATA_DIR (run_isolated), never on an install's own data.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

from assistant.evaluation.review_set import EXTRA_DOCUMENTS, ReviewItem

USERNAME = "review-eval"
COLLECTION = "review-eval"
KINDS = ("plain", "context only", "personal data", "out of scope")


def setup_corpus(folder: Path) -> Any:
    """An employee and a collection holding the demo handbook and EXTRA_DOCUMENTS, ingested
    through the upload service (ingestion runs here, in this process). Returns the user."""
    from assistant.accounts.services import collection_grant, user_create_or_update
    from ingestion.demo import seed_demo_documents
    from ingestion.indexing import document_ingest
    from ingestion.models import Collection, Document, IngestJob
    from ingestion.services import documents_upload

    user, _ = user_create_or_update(username=USERNAME, roles=["employee"], password=None)
    collection, _ = Collection.objects.get_or_create(
        slug=COLLECTION, defaults={"name": "Review evaluation handbook"}
    )
    collection_grant(collection_slug=COLLECTION, username=USERNAME)
    seed_demo_documents(collection)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, text in EXTRA_DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
        files.append((folder / name, name))
    documents_upload(collection=collection, files=files, uploaded_by=None)
    for job in IngestJob.objects.filter(document__collection=collection):
        document_ingest(job.pk)  # a job an eager worker already ran is left as it is
    documents = Document.objects.filter(collection=collection)
    failed = [d.original_name for d in documents if d.status != Document.Status.INDEXED]
    if failed or not documents:
        raise RuntimeError(f"evaluation corpus not indexed: {failed or 'no document'}")
    return user


def real_risk(item: ReviewItem, exchange: Any) -> bool:
    """The ground truth: a person's identifier was planted in the question, or the answer has an
    invalid citation."""
    metrics = exchange.metrics or {}
    return bool(item.identifiers or exchange.invalid_citation or metrics.get("invalid_citations"))


def run_review_evaluation(
    items: Sequence[ReviewItem],
    *,
    user: Any,
    mode: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Ask every item as `user` (answer mode `mode`, None = the collection's default) and score
    the review queue. Each question starts a new conversation."""
    from assistant.chat.services import answer_question
    from privacy.models import Review

    rows = []
    started = time.perf_counter()
    for n, item in enumerate(items, start=1):
        exchange = answer_question(user=user, question=item.question, mode=mode)
        review = Review.objects.filter(exchange=exchange).first()
        reasons = list(review.reasons) if review else []
        event_types = sorted((review.audit_event.pii_counts if review else None) or {})
        if review is None:
            from privacy.selectors import exchange_event

            event = exchange_event(exchange.public_id)
            event_types = sorted((event.pii_counts if event else None) or {})
        rows.append(
            {
                "id": item.id,
                "lang": item.lang,
                "domain": item.domain,
                "kind": item.kind,
                "planted": list(item.identifiers),
                "context": list(item.context),
                "path": exchange.answer_path,
                "refused": exchange.refused,
                "real_risk": real_risk(item, exchange),
                "reasons": reasons,
                "risk": review.risk if review else 0,
                "entity_types": event_types,
            }
        )
        if progress and n % 20 == 0:
            progress(f"{n}/{len(items)} exchanges")
    return summarise(rows, seconds=time.perf_counter() - started)


def summarise(rows: list[dict[str, Any]], *, seconds: float = 0.0) -> dict[str, Any]:
    """Shares, recall and counts of the rows run_review_evaluation() collected."""

    def real(row: dict[str, Any]) -> bool:
        return any(r != "sample" for r in row["reasons"])

    def beyond_refusal(row: dict[str, Any]) -> bool:
        return any(r not in ("sample", "refused", "low_score") for r in row["reasons"])

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    total = len(rows)
    risky = [r for r in rows if r["real_risk"]]
    missed = [r for r in risky if not real(r)]
    per_kind = {}
    for kind in KINDS:
        subset = [r for r in rows if r["kind"] == kind]
        per_kind[kind] = {
            "questions": len(subset),
            "queued": sum(real(r) for r in subset),
            "pii_reason": sum(
                "pii" in r["reasons"] or "pii_answer" in r["reasons"] for r in subset
            ),
        }
    reasons: Counter[str] = Counter(reason for r in rows for reason in r["reasons"])
    entity_types: Counter[str] = Counter(t for r in rows for t in r["entity_types"])
    return {
        "exchanges": total,
        "queued": sum(real(r) for r in rows),
        "queued_share": share(sum(real(r) for r in rows), total),
        "sampled_only": sum(r["reasons"] == ["sample"] for r in rows),
        # Queued for something else than a refusal or a weak retrieval score on their own (those
        # measure retrieval and quoting more than risk).
        "queued_beyond_refusals": sum(beyond_refusal(r) for r in rows),
        "queued_with_sample_share": share(sum(bool(r["reasons"]) for r in rows), total),
        "real_risk": len(risky),
        "recall": share(len(risky) - len(missed), len(risky)),
        "missed": [{k: r[k] for k in ("id", "kind", "planted", "path", "reasons")} for r in missed],
        "reasons": dict(reasons.most_common()),
        "per_kind": per_kind,
        "paths": dict(Counter(str(r["path"]) for r in rows).most_common()),
        "entity_types_in_audit": dict(entity_types.most_common()),
        "seconds": round(seconds, 1),
        "rows": rows,
    }


def redactor_state() -> str:
    """Which identifier list the queue uses: the redactor's own, or privacy.review's copy."""
    from privacy import redaction

    if hasattr(redaction, "PERSONAL_IDENTIFIER_TYPES"):
        return "privacy.redaction.PERSONAL_IDENTIFIER_TYPES"
    return "privacy.review's copy (privacy.redaction has no PERSONAL_IDENTIFIER_TYPES yet)"


def evaluate_in_process(
    items: Sequence[ReviewItem],
    *,
    mode: str | None,
    seed: int = 14,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Set up the corpus in the current database and data folder, then run the set. The random
    sample and the cache behave as configured; the model-as-judge is off (it would add its own
    model calls and reasons to a figure about the automatic ones)."""
    settings.RAG_RATE_LIMIT_PER_MINUTE = 10**6
    settings.RAG_JUDGE_SAMPLE_RATE = 0.0
    random.seed(seed)  # the review sample draw, reproducible
    user = setup_corpus(Path(settings.DATA_DIR) / "review-eval-documents")
    report = run_review_evaluation(items, user=user, mode=mode, progress=progress)
    from assistant.backends.embedder import get_embedder

    report.update(
        mode=mode or "collection default",
        sample_rate=settings.RAG_REVIEW_SAMPLE_RATE,
        embedder=getattr(get_embedder(), "model_name", "?"),
        llm_backend=settings.RAG_LLM_BACKEND,
        identifier_types=redactor_state(),
    )
    return report


def run_isolated(arguments: list[str], *, timeout: float = 7200) -> dict[str, Any]:
    """Run `manage.py evaluate review --child ...` on a fresh temporary RAG_DATA_DIR (its own
    SQLite database, embedded vector store and broker) and return the child's report."""
    with tempfile.TemporaryDirectory(prefix="rag-eval-review-") as data_dir:
        output = Path(data_dir) / "review.json"
        env = {**os.environ, "RAG_DATA_DIR": data_dir}
        for var in ("DATABASE_URL", "CELERY_BROKER_URL", "RAG_QDRANT_URL"):
            env.pop(var, None)
        command = [
            sys.executable, "manage.py", "evaluate", "review", "--child",
            "--output", str(output), *arguments,
        ]  # fmt: skip
        completed = subprocess.run(
            command, env=env, cwd=settings.BASE_DIR, timeout=timeout, text=True,
            stdout=subprocess.PIPE, stderr=None,
        )  # fmt: skip
        if completed.returncode != 0 or not output.exists():
            raise RuntimeError(f"evaluate review child failed:\n{completed.stdout[-2000:]}")
        return dict(json.loads(output.read_text()))


def review_markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: the two targets, per-reason counts, per-kind shares, misses."""

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    def share(count: int) -> float | None:
        return count / report["exchanges"] if report["exchanges"] else None

    lines = [
        f"# Review queue on the mixed set — {report['exchanges']} exchanges",
        "",
        f"Answer mode: {report.get('mode')}; LLM backend: {report.get('llm_backend')}; "
        f"embedder: {report.get('embedder')}; random sample rate: {report.get('sample_rate')}; "
        f"identifier types: {report.get('identifier_types')}; {report.get('seconds')} s.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| queued for a real reason | {report['queued']} ({pct(report['queued_share'])}) "
        "| ≤ 15 % |",
        f"| queued for a reason other than refused / low score alone | "
        f"{report['queued_beyond_refusals']} ({pct(share(report['queued_beyond_refusals']))}) "
        "| |",
        f"| queued by the random sample only | {report['sampled_only']} | ~5 % |",
        f"| queued in all | {pct(report['queued_with_sample_share'])} | ≤ 15 % + sample |",
        f"| recall of real-risk exchanges | {pct(report['recall'])} "
        f"({report['real_risk'] - len(report['missed'])}/{report['real_risk']}) | 1.0 |",
        "",
        "| reason | exchanges |",
        "| --- | --- |",
        *[f"| {reason} | {n} |" for reason, n in report["reasons"].items()],
        "",
        "| kind of question | questions | queued (real reason) | with reason pii/pii_answer |",
        "| --- | --- | --- | --- |",
        *[
            f"| {kind} | {v['questions']} | {v['queued']} | {v['pii_reason']} |"
            for kind, v in report["per_kind"].items()
        ],
        "",
        "Answer paths: " + ", ".join(f"{k} {v}" for k, v in report["paths"].items()) + ".",
        "Entity types in the audit events: "
        + (", ".join(f"{k} {v}" for k, v in report["entity_types_in_audit"].items()) or "none")
        + ".",
    ]
    if report["missed"]:
        lines += ["", "Missed real risks (item id, planted identifiers, path, reasons):"]
        lines += [
            f"- #{m['id']} {m['kind']}: {', '.join(m['planted']) or 'invalid citation'}; "
            f"{m['path']}; {', '.join(m['reasons']) or 'not queued'}"
            for m in report["missed"]
        ]
    return "\n".join(lines) + "\n"
