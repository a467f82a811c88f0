"""Compliance-role pages: the review queue and the audit trail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistant.roles import COMPLIANCE, role_required


@role_required(COMPLIANCE)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/review_queue.html", {})
