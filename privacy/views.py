"""Compliance-role pages: the review queue, its detail page, decisions and exports.

Every text shown here is redacted: question and answer come from the audit event, cited passages
are redacted on display. Views stay thin: forms validate, services write, selectors read.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistant.accounts.roles import COMPLIANCE, role_required
from privacy import review as review_services
from privacy import services
from privacy.exports import neutralise_row
from privacy.models import Review
from privacy.selectors import EXPORT_COLUMNS, ReviewFilterForm, review_row, reviews_filtered


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class AnnotationForm(forms.Form):
    text = forms.CharField(max_length=2000, widget=forms.Textarea)


def _filters(request: HttpRequest) -> tuple[ReviewFilterForm, dict]:
    form = ReviewFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data


@require_GET
@role_required(COMPLIANCE)
def review_queue(request: HttpRequest) -> HttpResponse:
    form, data = _filters(request)
    page = Paginator(reviews_filtered(data), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "privacy/review_queue.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _redacted_citations(review: Review) -> list[dict]:
    """Cited passages, redacted for display. The exchange's question and answer are redacted
    first with the same map so placeholder numbers match the audit event's."""
    exchange = review.exchange
    if exchange is None:
        return []
    from privacy.redaction import PlaceholderMap, get_redactor

    redactor, placeholders = get_redactor(), PlaceholderMap()
    for text in (exchange.question, exchange.answer):
        redactor.redact(text, language=exchange.language, placeholders=placeholders)
    return [
        {
            "number": c.number,
            "title": redactor.redact(
                c.document_title, language="auto", placeholders=placeholders
            ).text,
            "version": c.document_version,
            "page": c.page,
            "score": c.score,
            "cited": c.cited_in_answer,
            "snippet": redactor.redact(
                c.snippet, language=exchange.language, placeholders=placeholders
            ).text,
        }
        for c in exchange.citations.all()
    ]


@require_GET
@role_required(COMPLIANCE)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(
        Review.objects.select_related("audit_event", "exchange", "decided_by"), pk=pk
    )
    return render(
        request,
        "privacy/review_detail.html",
        {
            "review": review,
            "event": review.audit_event,
            "data": review.audit_event.data,
            "citations": _redacted_citations(review),
            "decision_form": DecisionForm(),
            "annotation_form": AnnotationForm(),
        },
    )


@require_POST
@role_required(COMPLIANCE)
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("review_detail", pk=pk)
    try:
        review_services.review_decide(
            review=review,
            actor=request.user,  # type: ignore[arg-type]
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review_detail", pk=pk)
    messages.success(request, _("Decision recorded."))
    return redirect("review_detail", pk=pk)


@require_POST
@role_required(COMPLIANCE)
def review_annotate(request: HttpRequest, pk: int) -> HttpResponse:
    review = get_object_or_404(Review, pk=pk)
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An annotation cannot be empty."))
        return redirect("review_detail", pk=pk)
    try:
        review_services.review_annotate(
            review=review,
            actor=request.user,  # type: ignore[arg-type]
            text=form.cleaned_data["text"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("review_detail", pk=pk)


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
@role_required(COMPLIANCE)
def review_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as CSV or JSON lines; the export itself is an audit event."""
    if fmt not in ("csv", "jsonl"):
        raise Http404("Export formats: csv, jsonl.")
    _, data = _filters(request)
    reviews = reviews_filtered(data)
    services.audit_record(
        action="review.export",
        actor=request.user,  # type: ignore[arg-type]
        payload={
            "format": fmt,
            "filters": {k: str(v) for k, v in data.items() if v},
            "count": reviews.count(),
        },
    )
    if fmt == "jsonl":
        # Exact values: JSON lines are read by programs, not spreadsheets (privacy/exports.py).
        lines = (json.dumps(review_row(r), ensure_ascii=False) + "\n" for r in reviews.iterator())
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
    else:
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield writer.writerow(EXPORT_COLUMNS)
            for review in reviews.iterator():
                row = review_row(review)
                yield writer.writerow(
                    neutralise_row(
                        json.dumps(row[c]) if isinstance(row[c], dict | list) else row[c]
                        for c in EXPORT_COLUMNS
                    )
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="review-queue.{fmt}"'
    return response  # type: ignore[return-value]
