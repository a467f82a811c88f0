"""No export can run a formula: every CSV cell that starts with `=`, `+`, `-`, `@`, tab, carriage
return (or NUL) is prefixed with a single quote (privacy/exports.py, the one guard of the review,
KPI and audit exports); numbers stay numbers; JSON lines keep the exact values."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from assistant.chat.audit import audit_exchange
from assistant.chat.models import Conversation, Exchange
from privacy.exports import FORMULA_TRIGGERS, neutralise_cell, restore_cell
from privacy.models import AuditEvent, Review

ATTACK = '=HYPERLINK("http://evil.example/x","Click")'
TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "\0"]
# PostgreSQL refuses NUL in text columns, so a stored value can never start with one there; the
# neutraliser's handling of NUL is still checked by the unit tests above the database ones.
STORED_TRIGGERS = (
    TRIGGERS if "postgres" not in os.environ.get("DATABASE_URL", "") else TRIGGERS[:-1]
)


@pytest.fixture(autouse=True)
def _no_random_sample(settings):
    settings.RAG_REVIEW_SAMPLE_RATE = 0


def _unsafe_cells(rows: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would run: they start with a trigger and are not a plain number."""
    return [
        cell
        for row in rows
        for cell in row
        if cell.startswith(tuple(FORMULA_TRIGGERS)) and neutralise_cell(cell) != cell
    ]


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _review_csv(client, **filters: str) -> list[dict[str, str]]:
    response = client.get(reverse("review_export", args=["csv"]), filters)
    text = b"".join(response.streaming_content).decode()
    rows = _csv_rows(text)
    assert _unsafe_cells(rows) == []
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- the one neutralising function ---------------------------------------------------------------


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_each_trigger_is_prefixed_and_restorable(trigger):
    value = f"{trigger}cmd|' /C calc'!A0"
    assert neutralise_cell(value) == "'" + value
    assert restore_cell(neutralise_cell(value)) == value


@pytest.mark.parametrize(
    "value", ["", "plain text", "Congés 2026", " =1+1", '{"a": 1}', '["refused"]', "x=1"]
)
def test_text_without_a_leading_trigger_is_unchanged(value):
    assert neutralise_cell(value) == value and restore_cell(value) == value


@pytest.mark.parametrize("value", [-3.5, -1, 0, 2.25, Decimal("-0.000012345"), None, True])
def test_numbers_and_non_text_stay_what_they_are(value):
    assert neutralise_cell(value) is value


@pytest.mark.parametrize("value", ["-3.5", "+2", "-1", "1e-07", "-.5", "-12.", "+4.2E+3"])
def test_a_string_that_is_one_plain_number_stays_a_number(value):
    assert neutralise_cell(value) == value


@pytest.mark.parametrize("value", ["-3.5+A1", "+33 6 12 34 56 78", "-1\n=2", "-", "+", "-e5"])
def test_almost_numbers_are_prefixed(value):
    assert neutralise_cell(value) == "'" + value


def test_a_leading_quote_is_escaped_so_the_prefix_is_reversible():
    for value in ("'=already quoted", "'plain", "''"):
        assert neutralise_cell(value) == "'" + value
        assert restore_cell(neutralise_cell(value)) == value


# --- the compliance review export: the reported attack, replayed --------------------------------


@pytest.mark.django_db
def test_replayed_attack_hyperlink_question_with_negative_feedback(
    chat_users, carl, client_for, settings
):
    employee = client_for(chat_users["hana"])
    response = employee.post("/chat/ask", {"question": ATTACK, "mode": "quote"})
    assert response.status_code == 302  # answered in the request (no JavaScript)
    exchange = Exchange.objects.get(user=chat_users["hana"])
    feedback = employee.post(f"/chat/exchanges/{exchange.public_id}/feedback", {"value": "-1"})
    assert feedback.status_code == 200
    review = Review.objects.get(exchange=exchange)
    assert "negative_feedback" in review.reasons
    question = review.audit_event.question
    assert question.startswith("=HYPERLINK(")  # redacted, but still a formula

    [row] = _review_csv(client_for(carl), negative_feedback="yes")
    assert row["question"].startswith("'=HYPERLINK(")
    assert restore_cell(row["question"]) == question
    assert row["feedback"] == "-1"  # a number stays a number

    jsonl = client_for(carl).get(reverse("review_export", args=["jsonl"]))
    [line] = b"".join(jsonl.streaming_content).decode().splitlines()
    assert json.loads(line)["question"] == question  # exact: read by programs


@pytest.mark.django_db
@pytest.mark.parametrize("trigger", STORED_TRIGGERS)
def test_review_export_prefixes_each_trigger_in_every_text_column(
    trigger, make_exchange, carl, client_for
):
    exchange = make_exchange(
        question=f"{trigger}SUM(1,2) and the leave policy?",
        answer=f"{trigger}2+3 days [1].",
        feedback=-1,
    )
    event = audit_exchange(exchange)
    assert event.question.startswith(trigger) and event.answer.startswith(trigger)
    review = Review.objects.get(audit_event=event)
    review.decision_reason = f"{trigger}IMPORTXML(1)"
    review.save(update_fields=["decision_reason"])

    [row] = _review_csv(client_for(carl))
    for column, stored in (
        ("question", event.question),
        ("answer", event.answer),
        ("decision_reason", review.decision_reason),
    ):
        assert row[column] == "'" + stored and restore_cell(row[column]) == stored
    assert row["feedback"] == "-1" and float(row["max_score"]) == 0.8


# --- the KPI series: /kpi/export.csv and `manage.py kpi export` ---------------------------------


@pytest.fixture
def hostile_kpi_day(alice):
    conversation = Conversation.objects.create(user=alice, title="=kpi")
    Exchange.objects.create(
        conversation=conversation, user=alice, question="q", answer="a",
        status=Exchange.Status.DONE, answer_path=Exchange.AnswerPath.GENERATED,
        route='=HYPERLINK("http://evil.example")', estimated_cost=-3.5,
    )  # fmt: skip
    today = timezone.localdate()
    return {"start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()}


def _kpi_checks(text: str) -> None:
    rows = _csv_rows(text)
    assert _unsafe_cells(rows) == []
    header = rows[0]
    assert any(name.startswith("route_") and "HYPERLINK" in name for name in header)
    today = dict(zip(header, rows[-1], strict=True))
    assert today["estimated_cost_total"] == "-3.5"  # negative, and still a number
    assert float(today["estimated_cost_total"]) == -3.5


@pytest.mark.django_db
def test_kpi_csv_view_is_safe_and_keeps_negative_numbers(hostile_kpi_day, ada, client_for):
    response = client_for(ada).get(reverse("kpi_export"), hostile_kpi_day)
    assert response.status_code == 200
    _kpi_checks(response.content.decode())


@pytest.mark.django_db
def test_kpi_export_command_is_safe_and_keeps_negative_numbers(hostile_kpi_day, tmp_path):
    target = tmp_path / "kpi.csv"
    call_command(
        "kpi", "export", "--start", hostile_kpi_day["start"], "--end", hostile_kpi_day["end"],
        "--output", str(target), stderr=io.StringIO(),
    )  # fmt: skip
    with target.open(encoding="utf-8", newline="") as handle:
        _kpi_checks(handle.read())


# --- the audit export: `manage.py audit export` -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("trigger", STORED_TRIGGERS)
def test_audit_csv_export_prefixes_and_jsonl_keeps_exact_values(trigger, make_exchange, tmp_path):
    event = audit_exchange(make_exchange(question=f"{trigger}WEBSERVICE(1) leave days?"))
    assert event.question.startswith(trigger)

    csv_path = tmp_path / "audit.csv"
    call_command(
        "audit", "export", "--format", "csv", "--output", str(csv_path), stderr=io.StringIO()
    )
    with csv_path.open(encoding="utf-8", newline="") as handle:  # keep a \r inside a cell
        rows = _csv_rows(handle.read())
    assert _unsafe_cells(rows) == []
    exported = {
        r["sequence"]: r for r in (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    }
    cell = exported[str(event.sequence)]["question"]
    assert cell == "'" + event.question and restore_cell(cell) == event.question

    jsonl_path = tmp_path / "audit.jsonl"
    call_command(
        "audit", "export", "--format", "jsonl", "--output", str(jsonl_path), stderr=io.StringIO()
    )
    lines = [json.loads(line) for line in jsonl_path.read_text(encoding="utf-8").splitlines()]
    [mine] = [line for line in lines if line["sequence"] == event.sequence]
    assert mine["question"] == event.question  # exact: an auditor recomputes digests from it
    assert AuditEvent.objects.filter(action="audit.export").count() == 2
