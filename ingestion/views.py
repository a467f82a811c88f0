"""Admin-role pages for collections and documents. Thin: access, form, one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assistant.accounts.roles import ADMIN, role_required
from assistant.backends.vectorstore import VectorStoreUnavailable
from ingestion import selectors, services
from ingestion.forms import CollectionForm, UploadForm
from ingestion.models import Collection, Document

DETAIL = "ingestion/collection_detail.html"


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@role_required(ADMIN)
def collection_list(request: HttpRequest) -> HttpResponse:
    collections = selectors.collections_with_document_counts()
    return render(request, "ingestion/collection_list.html", {"collections": collections})


@role_required(ADMIN)
def collection_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    collection = get_object_or_404(Collection, slug=slug) if slug else None
    form = CollectionForm(request.POST or None, instance=collection)
    if request.method == "POST" and form.is_valid():
        saved = services.collection_save(
            collection=form.save(commit=False),
            reader_groups=form.cleaned_data["reader_groups"],
            reader_users=form.cleaned_data["reader_users"],
            actor=request.user,
        )
        messages.success(request, _("Collection saved."))
        return redirect("collection_detail", slug=saved.slug)
    return render(
        request, "ingestion/collection_form.html", {"form": form, "collection": collection}
    )


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in Document.Status.values else ""


def _detail_context(
    request: HttpRequest, collection: Collection, form: UploadForm | None = None
) -> dict[str, object]:
    status = _status_filter(request)
    return {
        "collection": collection,
        "documents": selectors.documents_in_collection(collection, status=status or None),
        "status": status,
        "statuses": [s for s in Document.Status.choices if s[0] != Document.Status.DELETED],
        "form": form or UploadForm(),
    }


@role_required(ADMIN)
def collection_detail(request: HttpRequest, slug: str) -> HttpResponse:
    collection = get_object_or_404(Collection, slug=slug)
    template = f"{DETAIL}#documents" if _is_htmx(request) else DETAIL
    return render(request, template, _detail_context(request, collection))


@role_required(ADMIN)
@require_POST
def document_upload(request: HttpRequest, slug: str) -> HttpResponse:
    collection = get_object_or_404(Collection, slug=slug)
    form = UploadForm(request.POST, request.FILES)
    outcomes: list[services.UploadOutcome] = []
    valid = form.is_valid()
    if valid:
        outcomes = services.documents_upload(
            collection=collection,
            files=[(f, f.name) for f in form.cleaned_data["documents"]],
            uploaded_by=request.user,
        )
        form = UploadForm()
    context = {**_detail_context(request, collection, form), "outcomes": outcomes}
    return render(request, DETAIL, context, status=200 if valid else 400)


@role_required(ADMIN)
def document_row(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment one document row polls while it is being indexed."""
    document = selectors.document_with_latest_job(pk)
    if document is None or document.status == Document.Status.DELETED:
        return HttpResponse("")  # the row disappears (deleted or replaced by a new version)
    return render(request, f"{DETAIL}#document-row", {"doc": document})


@role_required(ADMIN)
@require_POST
def document_retry(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk)
    try:
        services.document_retry(document=document, actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    if _is_htmx(request):
        return document_row(request, pk)
    return redirect("collection_detail", slug=document.collection.slug)


@role_required(ADMIN)
def document_delete(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document.objects.select_related("collection"), pk=pk)
    if document.status == Document.Status.DELETED:
        raise Http404
    if request.method == "POST":
        try:
            services.document_delete(document=document, actor=request.user)
        except VectorStoreUnavailable:
            messages.error(request, _("The index is unavailable; nothing was deleted. Try again."))
        else:
            messages.success(request, _("Deleted %(name)s.") % {"name": document.original_name})
        return redirect("collection_detail", slug=document.collection.slug)
    return render(request, "ingestion/confirm_delete.html", {"object": document, "kind": "doc"})


@role_required(ADMIN)
def collection_delete(request: HttpRequest, slug: str) -> HttpResponse:
    collection = get_object_or_404(Collection, slug=slug)
    if request.method == "POST":
        try:
            services.collection_delete(collection=collection, actor=request.user)
        except VectorStoreUnavailable:
            messages.error(request, _("The index is unavailable; nothing was deleted. Try again."))
            return redirect("collection_detail", slug=slug)
        messages.success(request, _("Deleted collection %(name)s.") % {"name": collection.name})
        return redirect("collections")
    count = collection.documents.exclude(status=Document.Status.DELETED).count()
    return render(
        request,
        "ingestion/confirm_delete.html",
        {"object": collection, "kind": "collection", "document_count": count},
    )
