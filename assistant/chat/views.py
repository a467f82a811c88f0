"""Chat views (employee role): page, ask, answer stream (server-sent events), stop, sources,
feedback, and the original files behind citations (served only to users who may read them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from assistant.accounts.roles import EMPLOYEE, role_required
from assistant.chat import services
from assistant.chat.admission import QueueFull, RateLimited, ShareExceeded
from assistant.chat.models import Citation, Conversation, Exchange
from assistant.chat.rendering import (
    cited_documents,
    highlight_passage,
    highlight_span,
    render_answer,
)
from ingestion.models import Document
from ingestion.selectors import collections_readable_by

PAGE = "assistant/chat.html"
INLINE_TYPES = {"application/pdf", "text/plain"}


def _conversation_for(request: HttpRequest, pk: Any) -> Conversation | None:
    if not pk:
        return None
    try:
        return Conversation.objects.get(pk=int(pk), user=request.user)  # type: ignore[misc]
    except (ValueError, Conversation.DoesNotExist):
        return None


def _exchange_for(request: HttpRequest, public_id: Any) -> Exchange:
    """The user's own exchange, else 404 (never reveal that someone else's exists)."""
    return get_object_or_404(
        Exchange.objects.select_related("conversation"), public_id=public_id, user=request.user
    )


def exchange_context(exchange: Exchange) -> dict[str, Any]:
    citations = list(exchange.citations.all())
    readable = set(collections_readable_by(exchange.user).values_list("id", flat=True))
    visible = [c for c in citations if c.collection_id_at_answer in readable]
    finished = exchange.status not in (Exchange.Status.PENDING, Exchange.Status.STREAMING)
    metrics = exchange.metrics or {}
    verification = metrics.get("verification") or {}
    sentences = verification.get("sentences", []) if finished else []
    return {
        "exchange": exchange,
        "finished": finished,
        "answer_html": render_answer(
            exchange.answer,
            exchange_public_id=str(exchange.public_id),
            valid_numbers=[c.number for c in visible],
            sentences=sentences,
        ),
        "citations": visible,
        "cited_documents": cited_documents(visible),
        "path_reason": metrics.get("path_reason", "") if finished else "",
        "unsupported_count": sum(s.get("status") == "unsupported" for s in sentences),
    }


@role_required(EMPLOYEE)
@require_GET
def chat(request: HttpRequest, conversation_id: int | None = None) -> HttpResponse:
    conversation = None
    if conversation_id is not None:
        conversation = get_object_or_404(Conversation, pk=conversation_id, user=request.user)
    collections = list(collections_readable_by(request.user))
    selected = set(conversation.collections.values_list("id", flat=True)) if conversation else set()
    exchanges = list(conversation.exchanges.all()) if conversation else []
    # Each stored exchange goes through the same partial and context as the streamed "done"
    # event, so a reload shows every note the live answer showed (path note, support warning).
    rendered = [
        render_to_string(f"{PAGE}#exchange", exchange_context(e), request) for e in exchanges
    ]
    return render(
        request,
        PAGE,
        {
            "collections": collections,
            "selected": selected or {c.pk for c in collections},
            "conversation": conversation,
            "conversations": Conversation.objects.filter(user=request.user)[:50],  # type: ignore[misc]
            "exchanges_html": rendered,
        },
    )


def _ask_error(request: HttpRequest, message: str, status: int, **headers: str) -> HttpResponse:
    response = render(request, f"{PAGE}#ask-error", {"error": message}, status=status)
    response["HX-Retarget"] = "#ask-error"
    response["HX-Reswap"] = "innerHTML"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@role_required(EMPLOYEE)
@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    conversation = _conversation_for(request, request.POST.get("conversation"))
    raw_ids = request.POST.getlist("collections")
    collection_ids = [int(x) for x in raw_ids if x.isdigit()]
    try:
        exchange = services.create_exchange(
            user=request.user,  # type: ignore[arg-type]
            question=request.POST.get("question", ""),
            collection_ids=collection_ids or None,
            conversation=conversation,
            mode=request.POST.get("mode") or None,
        )
    except services.QuestionInvalid as exc:
        return _ask_error(request, str(exc), 422)
    except RateLimited as exc:
        message = _("You are asking too fast. Please wait a minute and try again.")
        return _ask_error(request, message, 429, Retry_After=str(exc.retry_after))
    except ShareExceeded as exc:  # 429: this user's own excess; the service is not saturated
        message = ngettext(
            "You already have as many questions waiting for a generated answer as one person "
            "may (%(limit)d). Let one finish or stop it, then try again in %(seconds)d second.",
            "You already have as many questions waiting for a generated answer as one person "
            "may (%(limit)d). Let one finish or stop it, then try again in %(seconds)d seconds.",
            exc.retry_after,
        ) % {"limit": exc.limit, "seconds": exc.retry_after}
        return _ask_error(request, message, 429, Retry_After=str(exc.retry_after))
    except QueueFull as exc:
        message = ngettext(
            "The assistant is busy: %(ahead)d questions are ahead of yours and the queue is "
            "full. Please try again in %(seconds)d second.",
            "The assistant is busy: %(ahead)d questions are ahead of yours and the queue is "
            "full. Please try again in %(seconds)d seconds.",
            exc.retry_after,
        ) % {"ahead": exc.ahead, "seconds": exc.retry_after}
        return _ask_error(request, message, 503, Retry_After=str(exc.retry_after))
    if not getattr(request, "htmx", False):
        # Without JavaScript: answer in this request, then show the conversation.
        for _event in services.stream_answer(exchange):
            pass
        return redirect("chat_conversation", conversation_id=exchange.conversation_id)
    context = exchange_context(exchange)
    context["new_conversation"] = conversation is None
    return render(request, f"{PAGE}#exchange-new", context)


def _sse(event: str, data: str) -> bytes:
    lines = data.split("\n") or [""]
    return (f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n").encode()


@role_required(EMPLOYEE)
@require_GET
@never_cache
def stream(request: HttpRequest, public_id: str) -> HttpResponse:
    """Server-sent events: "queued" (position, then a note while the model writes), "token"
    (escaped text: whole sentences once checked), then "done" carrying the rendered answer
    (sanitised markdown with citation links) or "failed"."""
    from django.utils.html import escape

    exchange = _exchange_for(request, public_id)
    disconnected = request.META.get("waitress.client_disconnected")

    def events() -> Iterator[bytes]:
        yield b": stream open\n\n"  # flushes the headers at once
        last_queued = None
        for event in services.stream_answer(exchange, should_stop=disconnected):
            if event.kind == "token":
                yield _sse("token", str(escape(event.text)))
            elif event.kind == "checking":  # the model writes; nothing is shown unchecked
                message = _("Writing the answer: each sentence appears once it is checked.")
                yield _sse("queued", str(escape(message)))
            elif event.kind == "queued" and event.text != last_queued:
                last_queued = event.text
                message = _("Waiting for the assistant: %(n)s question(s) ahead.") % {
                    "n": event.text
                }
                yield _sse("queued", str(escape(message)))
            elif event.kind in ("done", "error"):
                exchange.refresh_from_db()
                html = render_to_string(f"{PAGE}#answer", exchange_context(exchange), request)
                yield _sse("done" if event.kind == "done" else "failed", html)

    response: Any = StreamingHttpResponse(events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@role_required(EMPLOYEE)
@require_POST
def cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    exchange = _exchange_for(request, public_id)
    services.request_cancel(exchange)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        exchange.refresh_from_db()
        if exchange.status not in (Exchange.Status.PENDING, Exchange.Status.STREAMING):
            break
        time.sleep(0.05)
    context = exchange_context(exchange)
    context["finished"] = True  # never re-open the stream from the stop button's answer
    return render(request, f"{PAGE}#answer", context)


@role_required(EMPLOYEE)
@require_GET
def source(request: HttpRequest, public_id: str, number: int) -> HttpResponse:
    exchange = _exchange_for(request, public_id)
    citation = get_object_or_404(Citation, exchange=exchange, number=number)
    readable = collections_readable_by(request.user).filter(pk=citation.collection_id_at_answer)
    if not readable.exists():
        raise PermissionDenied(_("You can no longer read the collection of this source."))
    document = (
        Document.objects.filter(pk=citation.document_id_at_answer)
        .exclude(status=Document.Status.DELETED)
        .first()
    )
    passage_html = None
    start, end = request.GET.get("start", ""), request.GET.get("end", "")
    if start.isdigit() and end.isdigit():  # a clicked sentence: its supporting span
        passage_html = highlight_span(citation.snippet, int(start), int(end))
    if passage_html is None:
        cited_sentences = " ".join(s for s in exchange.answer.split(".") if f"[{number}]" in s)
        passage_html = highlight_passage(citation.snippet, f"{cited_sentences} {exchange.question}")
    context = {
        "citation": citation,
        "exchange": exchange,
        "document": document,
        "passage_html": passage_html,
    }
    return render(request, f"{PAGE}#source-panel", context)


@role_required(EMPLOYEE)
@require_POST
def feedback(request: HttpRequest, public_id: str) -> HttpResponse:
    exchange = _exchange_for(request, public_id)
    try:
        value = int(request.POST.get("value", ""))
        services.record_feedback(
            exchange=exchange, value=value, reason=request.POST.get("reason", "")
        )
    except ValueError:
        return HttpResponse(_("Invalid feedback."), status=400)
    return render(request, f"{PAGE}#feedback", {"exchange": exchange})


@role_required(EMPLOYEE)
@require_GET
def document_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The original file, only for a document in a collection the user may read."""
    document = get_object_or_404(
        Document.objects.exclude(status=Document.Status.DELETED),
        pk=pk,
        collection__in=collections_readable_by(request.user),
    )
    if not document.file:
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = document.mime_type in INLINE_TYPES
    response: Any = FileResponse(
        handle,
        as_attachment=not inline,
        filename=document.original_name,
        content_type=document.mime_type or "application/octet-stream",
    )
    response["Content-Security-Policy"] = "sandbox"
    return response
