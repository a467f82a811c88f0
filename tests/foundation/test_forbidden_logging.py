"""Every 403 is logged as one line (method, path, user id, reason), never with a traceback, and
never with the username."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

FORBIDDEN_LOGGERS = ("django.request", "django.security.csrf")


def _forbidden_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in FORBIDDEN_LOGGERS]


def _formatted(record: logging.LogRecord) -> str:
    """The record as the product's console handler prints it."""
    config = cast(dict[str, Any], settings.LOGGING)
    formatter = logging.Formatter(config["formatters"]["plain"]["format"])
    return formatter.format(record)


def test_permission_denied_is_one_line_with_user_id_and_no_traceback(caplog, alice, client_for):
    caplog.set_level(logging.WARNING)
    response = client_for(alice).get(reverse("review_queue"))
    assert response.status_code == 403
    [record] = _forbidden_records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    assert record.getMessage() == (
        f"Forbidden GET /compliance/ user={alice.pk} (This page needs the compliance role.)"
    )
    line = _formatted(record)
    assert "\n" not in line and "Traceback" not in line and "alice" not in line


def test_direct_403_response_and_anonymous_user(caplog, client, settings):
    settings.RAG_METRICS_ALLOWED_IPS = []
    caplog.set_level(logging.WARNING)
    assert client.get(reverse("metrics")).status_code == 403
    [record] = _forbidden_records(caplog)
    assert record.getMessage() == "Forbidden GET /metrics user=-"


def test_csrf_failure_keeps_its_reason(caplog, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    caplog.set_level(logging.WARNING)
    assert client.post(reverse("chat_ask"), {"question": "x"}).status_code == 403
    [record] = _forbidden_records(caplog)
    assert record.name == "django.security.csrf"
    assert record.getMessage().startswith(f"Forbidden POST /chat/ask user={alice.pk} (CSRF")
    assert "\n" not in _formatted(record)


def test_a_newline_in_the_path_cannot_forge_a_log_line(caplog, alice, client_for):
    caplog.set_level(logging.WARNING)
    response = client_for(alice).get("/compliance/export.csv%0A2026-01-01 INFO forged")
    assert response.status_code == 403
    [record] = _forbidden_records(caplog)
    assert "export.csv\\n2026-01-01 INFO forged" in record.getMessage()
    assert "\n" not in _formatted(record)


def test_other_records_keep_their_traceback(caplog):
    """The filter only rewrites 403s: a 500 still carries its exception."""
    logger = logging.getLogger("django.request")
    caplog.set_level(logging.ERROR)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        logger.error("Internal Server Error: /x", exc_info=exc, extra={"status_code": 500})
    [record] = _forbidden_records(caplog)
    assert record.exc_info is not None and record.getMessage() == "Internal Server Error: /x"
