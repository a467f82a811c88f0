"""The audit record of a chat exchange: what it keeps (ids, scores, route, timings, redacted
question, answer and metrics), built here and appended to privacy's hash chain, then handed to
the review queue. Only redacted text leaves this module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.metrics import observe_redactions
from privacy.review import review_enqueue
from privacy.selectors import exchange_event
from privacy.services import audit_exchange_record, redact_payload, redact_text

if TYPE_CHECKING:
    from assistant.chat.models import Exchange
    from privacy.models import AuditEvent
    from privacy.redaction import PlaceholderMap

# What an audit record keeps of each routing attempt (identifiers, outcome and timing, no text).
ROUTE_ATTEMPT_KEYS = frozenset({"route", "model", "outcome", "error", "ms", "local"})


def audit_exchange(exchange: Exchange) -> AuditEvent:
    """Record a finished exchange (done, refused, error or cancelled) with its question and answer
    redacted (one placeholder map for both), then feed the review queue. Idempotent: a second call
    for the same exchange returns the first event."""
    from privacy.redaction import PlaceholderMap

    existing = exchange_event(exchange.public_id)
    if existing is not None:
        return existing
    placeholders = PlaceholderMap()
    question = redact_text(exchange.question, exchange.language, placeholders)
    reused = None if question.counts() else _redacted_answer_of_original(exchange)
    if reused is not None:
        answer_text, answer_counts = reused
    else:
        answer = redact_text(exchange.answer, exchange.language, placeholders)
        answer_text, answer_counts = answer.text, dict(answer.counts())
    counts: dict[str, int] = dict(question.counts())
    for entity_type, n in answer_counts.items():
        counts[entity_type] = counts.get(entity_type, 0) + n
    event = audit_exchange_record(
        public_id=exchange.public_id,
        actor=exchange.user,
        question=question.text,
        answer=answer_text,
        refused=exchange.refused,
        pii_counts=counts,
        data=_exchange_data(exchange, placeholders),
    )
    observe_redactions(counts)
    review_enqueue(exchange, event=event)
    return event


def _exchange_data(exchange: Exchange, placeholders: PlaceholderMap) -> dict[str, Any]:
    citations = list(exchange.citations.all())
    return {
        "conversation_id": exchange.conversation_id,
        # A follow-up's standalone form (what was retrieved): redacted like the question.
        "retrieval_query": redact_text(
            exchange.retrieval_query, exchange.language, placeholders
        ).text
        if exchange.retrieval_query
        else "",
        "status": exchange.status,
        "answer_path": exchange.answer_path,
        "language": exchange.language,
        "collection_ids": sorted(c.pk for c in exchange.searched_collections.all()),
        "invalid_citation": exchange.invalid_citation,
        "max_score": None if exchange.max_score is None else round(exchange.max_score, 6),
        "chunks": [
            {
                "n": c.number,
                "chunk_id": c.chunk_id_at_answer,
                "document_id": c.document_id_at_answer,
                "version": c.document_version,
                "score": round(c.score, 6),
                "cited": c.cited_in_answer,
            }
            for c in citations
        ],
        "prompt_sha256": exchange.prompt_sha256,
        "model_id": exchange.model_id,
        "route": exchange.route,
        "route_attempts": [
            {k: v for k, v in attempt.items() if k in ROUTE_ATTEMPT_KEYS}
            for attempt in exchange.route_attempts or []
        ],
        "estimated_cost": exchange.estimated_cost,
        "served_from_cache": exchange.cached_from_id is not None,
        "cached_from": str(exchange.cached_from.public_id) if exchange.cached_from else None,
        "model_sha256": exchange.model_sha256,
        "timings_ms": {
            "retrieval": exchange.retrieval_ms,
            "ttft": exchange.ttft_ms,
            "total": exchange.total_ms,
        },
        "tokens": {"prompt": exchange.prompt_tokens, "completion": exchange.completion_tokens},
        "feedback": exchange.feedback,
        "error": redact_text(exchange.error_message, exchange.language, placeholders).text
        if exchange.error_message
        else "",
        # Quality metrics may quote sentences of the answer: redacted like any free text.
        "metrics": _audited_metrics(exchange),
    }


def _audited_metrics(exchange: Exchange) -> Any:
    """The exchange's metrics, redacted. A copy served from the semantic cache carries the
    original's verification verbatim: its redacted form is taken from the original's audit event
    (metric strings are redacted one by one, without a shared placeholder map, so the result is
    the same), which keeps a cache hit to two redactions instead of one per answer sentence."""
    metrics = exchange.metrics or {}
    original = exchange.cached_from
    if original is not None and metrics.get("verification") is not None:
        event = exchange_event(original.public_id)
        audited = ((event.data or {}).get("metrics") or {}) if event is not None else {}
        if audited.get("verification") is not None:
            rest = {k: v for k, v in metrics.items() if k != "verification"}
            return {**redact_payload(rest, {}), "verification": audited["verification"]}
    return redact_payload(metrics, {})


def _redacted_answer_of_original(exchange: Exchange) -> tuple[str, dict[str, int]] | None:
    """For a copy served from the semantic cache: the original's redacted answer and its counts,
    when redacting again would give exactly that. It does when neither question held an entity
    (the placeholder map is empty before the answer both times; the caller checked the new
    question, the original's audit event shows its question unchanged) and the answer is the
    same text. Saves a redaction (~10 ms) on a cache hit."""
    original = exchange.cached_from
    if original is None or original.answer != exchange.answer:
        return None
    event = exchange_event(original.public_id)
    if event is None or event.question != original.question:
        return None
    return event.answer, dict(event.pii_counts or {})
