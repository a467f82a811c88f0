"""Signal receivers: login-failure bursts and lockouts into the audit trail, feedback into the
review queue. Each receiver calls one service; nothing heavy is imported here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    from privacy.login_audit import audit_login_failure

    audit_login_failure(username=str(credentials.get("username", "")), request=request)


def _locked_out(sender: Any, request: Any = None, username: str = "", **kw: Any) -> None:
    from privacy.login_audit import audit_lockout

    audit_lockout(username=str(username or ""), request=request)


def _exchange_saved(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
    update_fields = kw.get("update_fields")
    if created or instance.feedback is None:
        return
    if update_fields is not None and "feedback" not in update_fields:
        return
    from privacy.services import review_on_feedback

    review_on_feedback(instance)


def connect() -> None:
    from axes.signals import user_locked_out

    from assistant.models import Exchange

    user_login_failed.connect(_login_failed, dispatch_uid="privacy_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="privacy_locked_out")
    post_save.connect(_exchange_saved, sender=Exchange, dispatch_uid="privacy_feedback")
