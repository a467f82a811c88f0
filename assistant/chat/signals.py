"""What the chat app does when the layers below it announce a change: retired document versions
and rejected answers leave the semantic cache; saved feedback re-evaluates the review queue.
Ingestion and privacy send these signals without knowing chat."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save


def _documents_retired(sender: Any, document_ids: list[int], **kw: Any) -> None:
    from assistant.chat.semantic_cache import invalidate_documents

    invalidate_documents(document_ids)


def _review_rejected(sender: Any, exchange: Any, **kw: Any) -> None:
    from assistant.chat.semantic_cache import invalidate_exchange

    invalidate_exchange(exchange)  # a rejected answer is never served again


def _exchange_saved(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
    update_fields = kw.get("update_fields")
    if created or instance.feedback is None:
        return
    if update_fields is not None and "feedback" not in update_fields:
        return
    from privacy.review import review_on_feedback

    review_on_feedback(instance)


def connect() -> None:
    from assistant.chat.models import Exchange
    from ingestion.signals import documents_retired
    from privacy.signals import review_rejected

    documents_retired.connect(_documents_retired, dispatch_uid="chat_documents_retired")
    review_rejected.connect(_review_rejected, dispatch_uid="chat_review_rejected")
    post_save.connect(_exchange_saved, sender=Exchange, dispatch_uid="chat_feedback_review")
