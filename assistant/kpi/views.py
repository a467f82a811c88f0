"""KPI dashboard and its CSV export, for the admin and compliance roles."""

from __future__ import annotations

import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from assistant.accounts.roles import ADMIN, COMPLIANCE, role_required
from assistant.kpi.dashboard import build_dashboard
from assistant.kpi.export import write_csv
from assistant.kpi.period import period_from_query
from assistant.kpi.selectors import daily_kpis


@require_GET
@role_required(ADMIN, COMPLIANCE)
def kpi_dashboard(request: HttpRequest) -> HttpResponse:
    period, form = period_from_query(request.GET)
    if period is None:
        return render(request, "assistant/kpi.html", {"form": form}, status=400)
    return render(
        request,
        "assistant/kpi.html",
        {"form": form, "dashboard": build_dashboard(period), "query": request.GET.urlencode()},
    )


@require_GET
@role_required(ADMIN, COMPLIANCE)
def kpi_export(request: HttpRequest) -> HttpResponse:
    period, form = period_from_query(request.GET)
    if period is None:
        return HttpResponse(
            f"Invalid period: {form.error_text()}\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    out = io.StringIO()
    write_csv(out, daily_kpis(period))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="kpi-{period.start.isoformat()}-{period.end.isoformat()}.csv"'
    )
    return response
