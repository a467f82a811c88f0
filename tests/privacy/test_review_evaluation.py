"""`manage.py evaluate review` on a small slice of the mixed set: the real upload and ingestion of
the evaluation corpus, the real chat path (quote mode: no model), the real redactor and queue."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from assistant.evaluation.review_queue import summarise
from assistant.evaluation.review_set import build_review_set


def test_the_mixed_set_is_varied_and_deterministic():
    items = build_review_set()
    assert len(items) == 200 and items == build_review_set()
    assert {i.lang for i in items} == {"fr", "en"}
    assert {i.domain for i in items} >= {"hr", "it", "legal", "travel"}
    kinds = {kind: sum(i.kind == kind for i in items) for kind in {i.kind for i in items}}
    assert set(kinds) == {"plain", "context only", "personal data", "out of scope"}
    assert kinds["personal data"] == 20 and kinds["context only"] == 90
    planted = {t for i in items for t in i.identifiers}
    assert planted == {"PERSON", "EMAIL", "PHONE", "IBAN", "ADDRESS"}
    assert all("{" not in i.question for i in items)


def test_summary_counts_the_sample_apart_and_misses_as_misses():
    def row(kind: str, reasons: list[str], real_risk: bool) -> dict:
        return {"id": 0, "kind": kind, "planted": [], "path": "quote", "reasons": reasons,
                "real_risk": real_risk, "entity_types": []}  # fmt: skip

    report = summarise(
        [
            row("plain", [], False),
            row("plain", ["sample"], False),
            row("personal data", ["pii"], True),
            row("personal data", ["sample"], True),  # caught by chance only: a miss
        ]
    )
    assert report["queued"] == 1 and report["sampled_only"] == 2
    assert report["queued_share"] == 0.25 and report["queued_with_sample_share"] == 0.75
    assert report["recall"] == 0.5 and len(report["missed"]) == 1


@pytest.mark.django_db
def test_evaluate_review_on_a_small_slice(settings, redactor):
    settings.RAG_REVIEW_SAMPLE_RATE = 0
    out = io.StringIO()
    call_command(
        "evaluate", "review", "--child", "--every", "20", "--mode", "quote", "--json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert report["exchanges"] == 10
    rows = report["rows"]
    assert {r["kind"] for r in rows} >= {"plain", "personal data"}
    assert sum(v["questions"] for v in report["per_kind"].values()) == 10
    # Every planted identifier was caught (recall 1.0 on this slice), and no exchange without a
    # person's data was queued for pii.
    assert report["real_risk"] >= 1 and report["recall"] == 1.0
    for r in rows:
        pii = {"pii", "pii_answer"} & set(r["reasons"])
        if r["kind"] == "personal data":
            assert "pii" in r["reasons"], r
        elif pii:
            assert "pii_answer" in pii and r["path"] == "quote", r  # a quoted contact line
    assert sum(report["reasons"].values()) >= report["queued"]
    assert "recall of real-risk exchanges" in _markdown(report)


def _markdown(report: dict) -> str:
    from assistant.evaluation.review_queue import review_markdown

    return review_markdown(report)
