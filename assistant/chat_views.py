"""Chat views (employee role)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistant.roles import EMPLOYEE, role_required
from ingestion.selectors import collections_readable_by


@role_required(EMPLOYEE)
def chat(request: HttpRequest) -> HttpResponse:
    collections = collections_readable_by(request.user)
    return render(request, "assistant/chat.html", {"collections": collections})
