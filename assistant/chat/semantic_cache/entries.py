"""Writing the semantic cache: which answers become entries, and what removes them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assistant.chat.models import CachedAnswer, CachedAnswerSource, Exchange
from assistant.chat.semantic_cache.lookup import embed_model_name, question_vectors
from assistant.chat.semantic_cache.terms import MAX_KEY_CHARS, key_terms

logger = logging.getLogger(__name__)

CACHEABLE_PATHS = (Exchange.AnswerPath.GENERATED, Exchange.AnswerPath.QUOTE)


def is_standalone(exchange: Exchange) -> bool:
    """No earlier answered exchange in its conversation: a follow-up ("and for managers?")
    depends on the history, so it is neither looked up nor stored, unless it was rewritten into a
    standalone question (Exchange.retrieval_query, assistant.chat.followup): then by that."""
    return not Exchange.objects.filter(
        conversation_id=exchange.conversation_id,
        status=Exchange.Status.DONE,
        created_at__lt=exchange.created_at,
    ).exists()


def why_not_cacheable(exchange: Exchange) -> str:
    """ "" when the exchange may become a cache entry, else the first reason it may not."""
    from assistant.chat.grounding.metrics import needs_review

    if exchange.status != Exchange.Status.DONE or exchange.refused:
        return "not answered"
    if exchange.answer_path not in CACHEABLE_PATHS or exchange.cached_from_id is not None:
        return "served from the cache"
    if exchange.invalid_citation:
        return "invalid citation"
    if needs_review(exchange.metrics or {})[0]:
        return "needs review"
    if ((exchange.metrics or {}).get("injection") or {}).get("withheld"):
        return "sentences withheld"
    if not exchange.retrieval_query and not is_standalone(exchange):
        return "follow-up question"  # one rewritten into a standalone question is cached by it
    if _question_has_pii(exchange):
        return "personal data in the question"
    return ""


def _question_has_pii(exchange: Exchange) -> bool:
    # The asker's own personal data must never reach another user through a cached answer. A
    # place alone ("the hotel rate in Paris") identifies nobody, so LOCATION does not count.
    from privacy.redaction import get_redactor

    text = "\n".join(t for t in (exchange.question, exchange.retrieval_query) if t)
    entities = get_redactor().analyze(text, language=exchange.language)
    return any(entity.type != "LOCATION" for entity in entities)


def store(exchange: Exchange) -> CachedAnswer | None:
    """Make a finished exchange a cache entry when it is eligible (see why_not_cacheable) and all
    its cited documents are still current. Returns the entry or None; idempotent."""
    if not settings.RAG_CACHE_ENABLED or why_not_cacheable(exchange):
        return None
    question = exchange.retrieval_query or exchange.question  # a follow-up by its standalone form
    keys = key_terms(question, exchange.language)
    if not keys or len(keys) > MAX_KEY_CHARS:
        return None
    citations = list(
        exchange.citations.values_list(
            "collection_id_at_answer", "document_id_at_answer", "document_version"
        )
    )
    if not citations or not _documents_current({(d, v) for _, d, v in citations}):
        return None
    model = embed_model_name()
    try:
        with transaction.atomic():
            entry = CachedAnswer.objects.create(
                exchange=exchange,
                language=exchange.language,
                embed_model=model,
                embedding=question_vectors.get(model, question),
                key_terms=keys,
                expires_at=timezone.now() + timedelta(hours=settings.RAG_CACHE_TTL_HOURS),
            )
            entry.collections.set({c for c, _, _ in citations})
            CachedAnswerSource.objects.bulk_create(
                CachedAnswerSource(entry=entry, document_id=d, version=v)
                for d, v in sorted({(d, v) for _, d, v in citations})
            )
    except IntegrityError:  # stored already (a second _finish of the same exchange)
        return CachedAnswer.objects.filter(exchange=exchange).first()
    return entry


def _documents_current(versions: set[tuple[int, int]]) -> bool:
    from ingestion.models import Document

    current = set(
        Document.objects.filter(
            pk__in={d for d, _ in versions}, status=Document.Status.INDEXED
        ).values_list("pk", "version")
    )
    return versions <= current


def store_quietly(exchange: Exchange) -> None:
    """store(), logging instead of raising: the cache must never break an answer."""
    try:
        store(exchange)
    except Exception:
        logger.exception("could not cache the answer of exchange %s", exchange.public_id)


def invalidate_documents(document_ids: Iterable[int]) -> int:
    """Delete the entries built from any of these documents (a new version, a deletion)."""
    ids = list(document_ids)
    if not ids:
        return 0
    return _delete(
        CachedAnswer.objects.filter(
            pk__in=CachedAnswerSource.objects.filter(document_id__in=ids).values("entry_id")
        )
    )


def invalidate_exchange(exchange: Any) -> int:
    """Delete the entry holding this exchange's answer: its own, or the original's when the
    exchange was served from the cache (rejecting a copy rejects the answer)."""
    ids = [exchange.pk]
    if getattr(exchange, "cached_from_id", None):
        ids.append(exchange.cached_from_id)
    return _delete(CachedAnswer.objects.filter(exchange_id__in=ids))


def purge_expired() -> int:
    return _delete(CachedAnswer.objects.filter(expires_at__lte=timezone.now()))


def clear() -> int:
    return _delete(CachedAnswer.objects.all())


def _delete(entries: QuerySet[CachedAnswer]) -> int:
    """Delete entries (their sources and collection links go with them); returns how many."""
    _, per_model = entries.delete()
    return per_model.get(CachedAnswer._meta.label, 0)
