"""Project-level views: home routing by role, health, error pages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from assistant.accounts.roles import ADMIN, COMPLIANCE, EMPLOYEE, user_roles
from assistant.health import system_health


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    roles = user_roles(request.user)
    for role, target in ((EMPLOYEE, "chat"), (ADMIN, "collections"), (COMPLIANCE, "review_queue")):
        if role in roles:
            return redirect(target)
    return render(request, "no_role.html", status=403)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every component is ok, 503 naming the failing ones. Never includes secrets."""
    results = system_health()
    failing = sorted(name for name, result in results.items() if not result.ok)
    body = {
        "status": "ok" if not failing else "degraded",
        "failing": failing,
        "components": {name: {"ok": r.ok, "detail": r.detail} for name, r in results.items()},
    }
    return JsonResponse(body, status=200 if not failing else 503)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for configured addresses or staff only."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    allowed = request.META.get("REMOTE_ADDR") in settings.RAG_METRICS_ALLOWED_IPS
    if not (allowed or request.user.is_staff):
        return HttpResponse("metrics are only served to allowed addresses", status=403)
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)
