"""Serving a cached answer as a new exchange: same answer, citations and verification, marked as
served from the cache and audited like any other exchange."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from assistant.chat.events import elapsed_ms
from assistant.chat.models import CachedAnswer, Citation, Exchange
from assistant.chat.semantic_cache.lookup import CacheHit, still_servable

# What a copy keeps of the original's metrics: the grounding checks of the very same answer, so
# the page greys the same sentences. Not its prompt budget, judge scores or path reason.
COPIED_METRICS = (
    "refused",
    "retrieval_top_score",
    "retrieval_scores",
    "sentences",
    "supported_share",
    "weak_share",
    "citation_coverage",
    "groundedness",
    "unsupported_numbers",
    "invalid_citations",
    "verification",
    "mask_everywhere",
)


# Every citation column but its own id and exchange: the copy cites exactly what the original did.
_COPIED_CITATION_FIELDS = tuple(
    field.attname
    for field in Citation._meta.concrete_fields
    if field.attname not in ("id", "exchange_id")
)


def planned_metrics(hit: CacheHit) -> dict[str, object]:
    """What create_exchange records for a question that will be served from the cache."""
    return {
        "planned_path": str(Exchange.AnswerPath.CACHE),
        "path_reason": "",
        "cache": {
            "entry": hit.entry.pk,
            "similarity": hit.similarity,
            "approved": hit.approved,
            "original_exchange_id": str(hit.entry.exchange.public_id),
        },
    }


def serve(exchange: Exchange, started: float) -> bool:
    """Answer `exchange` with the cache entry chosen when it was created, after checking again
    that it may be served (a document may have changed, a grant been revoked, a review rejected
    it). Returns True with the answer, citations and metrics in place (the caller, who owns the
    exchange, finishes it as DONE), or False with nothing changed so the caller answers normally."""
    planned = exchange.metrics.get("cache") or {}
    searched = list(exchange.searched_collections.values_list("id", flat=True))
    entry_id = planned.get("entry")
    entry = CachedAnswer.objects.select_related("exchange").filter(pk=entry_id or 0).first()
    if entry is None or not still_servable(entry.pk, user=exchange.user, collection_ids=searched):
        return False
    original = entry.exchange
    if _now_needs_masking(original) and not (original.metrics or {}).get("mask_everywhere"):
        return False  # a source collection switched to mask_everywhere after the answer was made
    from assistant.kpi.costing import self_hosted_cost

    Citation.objects.bulk_create(
        Citation(exchange=exchange, **{name: getattr(c, name) for name in _COPIED_CITATION_FIELDS})
        for c in original.citations.all()
    )
    copied = {k: original.metrics[k] for k in COPIED_METRICS if k in (original.metrics or {})}
    exchange.metrics = {
        **exchange.metrics,
        **copied,
        "path": str(Exchange.AnswerPath.CACHE),
        "original_path": original.answer_path,
        "cache": {**planned, "original_exchange_id": str(original.public_id)},
    }
    exchange.answer = original.answer
    exchange.answer_path = Exchange.AnswerPath.CACHE
    exchange.cached_from = original
    exchange.max_score = original.max_score
    exchange.retrieval_ms = None  # nothing was retrieved
    exchange.ttft_ms = elapsed_ms(started)
    # No model ran: the route says so, and the cost is the machine time of the lookup and copy.
    exchange.route = str(Exchange.AnswerPath.CACHE)
    exchange.estimated_cost = self_hosted_cost(exchange.ttft_ms / 1000)
    CachedAnswer.objects.filter(pk=entry.pk).update(hits=F("hits") + 1, last_hit_at=timezone.now())
    return True


def _now_needs_masking(original: Exchange) -> bool:
    from ingestion.models import Collection
    from privacy.policy import must_mask_everywhere

    cited = original.citations.values_list("collection_id_at_answer", flat=True)
    return must_mask_everywhere(Collection.objects.filter(pk__in=cited), llm_is_local=True)
