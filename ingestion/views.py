"""Admin-role pages for collections and documents."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from assistant.roles import ADMIN, role_required
from ingestion.models import Collection


@role_required(ADMIN)
def collection_list(request: HttpRequest) -> HttpResponse:
    collections = Collection.objects.annotate(
        reader_group_count=Count("reader_groups", distinct=True),
        reader_user_count=Count("reader_users", distinct=True),
    )
    return render(request, "ingestion/collection_list.html", {"collections": collections})
