"""Signals privacy sends, and its receivers for login failures and lockouts (into the audit
trail). Each receiver calls one service; nothing heavy is imported here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import Signal

# Sent inside the transaction of a rejection, with `review` and `exchange`: a rejected answer must
# never be served again (the chat app drops it from its semantic cache).
review_rejected = Signal()


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    from privacy.login_audit import audit_login_failure

    audit_login_failure(username=str(credentials.get("username", "")), request=request)


def _locked_out(sender: Any, request: Any = None, username: str = "", **kw: Any) -> None:
    from privacy.login_audit import audit_lockout

    audit_lockout(username=str(username or ""), request=request)


def connect() -> None:
    from axes.signals import user_locked_out

    user_login_failed.connect(_login_failed, dispatch_uid="privacy_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="privacy_locked_out")
