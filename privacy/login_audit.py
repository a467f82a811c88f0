"""Audit events for authentication: one event per burst of failed logins and one per lockout
(django-axes signals, privacy.signals). Usernames are kept only when they exist: a password typed
into the username field must not land in the audit trail."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache

from privacy.models import AuditEvent
from privacy.services import audit_record

BURST_WINDOW_SECONDS = 15 * 60


def _ip_hash(request: Any) -> str:
    address = ""
    if request is not None:
        address = request.META.get("REMOTE_ADDR", "")
    salted = f"{settings.SECRET_KEY}:{address}".encode()
    return hashlib.sha256(salted).hexdigest()[:16]


def _known_username(username: str) -> str:
    # A mistyped password in the username field must not land in the audit trail.
    from django.contrib.auth import get_user_model

    if username and get_user_model().objects.filter(username=username).exists():
        return username
    return "(unknown user)"


def audit_login_failure(*, username: str, request: Any = None) -> AuditEvent | None:
    """Count failures per username; one audit event per burst (RAG_LOGIN_FAILURE_LIMIT failures
    within 15 minutes), not one per failure."""
    key = f"privacy:login-failures:{hashlib.sha256(username.encode()).hexdigest()}"
    cache.add(key, 0, BURST_WINDOW_SECONDS)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, BURST_WINDOW_SECONDS)
        failures = 1
    if failures != settings.AXES_FAILURE_LIMIT:
        return None
    return audit_record(
        action="auth.login_failure_burst",
        actor=None,
        payload={
            "username": _known_username(username),
            "ip_hash": _ip_hash(request),
            "failures": failures,
            "window_s": BURST_WINDOW_SECONDS,
        },
    )


def audit_lockout(*, username: str, request: Any = None) -> AuditEvent | None:
    """django-axes locked an account: audit it once per window."""
    key = f"privacy:lockout:{hashlib.sha256(username.encode()).hexdigest()}"
    if not cache.add(key, 1, BURST_WINDOW_SECONDS):
        return None
    return audit_record(
        action="auth.lockout",
        actor=None,
        payload={"username": _known_username(username), "ip_hash": _ip_hash(request)},
    )
