"""Logging filter that puts every 403 on one line: method, path, user id and reason.

Django's `django.request` logger writes a raised PermissionDenied as a warning with the whole
traceback: a crawler probing admin pages, or an employee following an old link, fills the log
with stack frames that say nothing new. A 403 is an expected outcome, so it gets one line, and the
user appears by id only: a username is personal data (the audit trail, not the log, says who).
Loaded by LOGGING before the apps are ready, so this module imports nothing from Django.
"""

from __future__ import annotations

import logging
from typing import Any

CSRF_LOGGER = "django.security.csrf"


def _escaped(text: str) -> str:
    # A decoded path may carry a newline (%0A): escaped, as Django does, it cannot forge a line.
    return text.encode("unicode_escape").decode("ascii")


def _user_id(request: Any) -> str:
    try:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return str(user.pk)
    except Exception:  # a log line must never turn a 403 into a 500
        return "?"
    return "-"


def _reason(record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        return str(record.exc_info[1])
    if record.name == CSRF_LOGGER and isinstance(record.args, tuple) and record.args:
        return str(record.args[0])  # Django's "Forbidden (%s): %s", reason first
    return ""


class ForbiddenOnOneLine(logging.Filter):
    """Rewrite records of 403 responses (status_code and request come in Django's `extra`) to
    `Forbidden GET /path user=12 (reason)`, without exc_info; other records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        reason = _reason(record)
        record.msg = "Forbidden %s %s user=%s" + (" (%s)" if reason else "")
        record.args = (
            _escaped(str(getattr(request, "method", "-"))),
            _escaped(str(getattr(request, "path", "-"))),
            _user_id(request),
            *((_escaped(reason),) if reason else ()),
        )
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
