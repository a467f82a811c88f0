"""Finding a cached answer for a new question, and checking that an entry may still be served.

SQL does the filtering (same language, embedding model and key terms, not expired, not rejected in
review, built only from collections this request searches, every source document still current),
so numpy only scores the few rows left: the embedding is computed only when a candidate exists.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from assistant.chat.models import CachedAnswer, CachedAnswerSource, Exchange
from assistant.chat.semantic_cache.terms import MAX_KEY_CHARS, key_terms

# Answer paths an answer mode accepts from the cache: "quote only" never gets generated text.
PATHS_FOR_MODE = {
    "auto": (Exchange.AnswerPath.GENERATED, Exchange.AnswerPath.QUOTE),
    "generated": (Exchange.AnswerPath.GENERATED,),
    "quote": (Exchange.AnswerPath.QUOTE,),
}
_VECTORS_KEPT = 256
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CacheHit:
    entry: CachedAnswer
    similarity: float
    approved: bool


def embed_model_name() -> str:
    from assistant.backends.embedder import get_embedder

    return get_embedder().model_name


class _RecentVectors:
    """Question vectors computed by lookup(), kept so store() does not embed the same question
    again once the answer is done (usually a few seconds later, in the same process)."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model: str, question: str) -> bytes:
        key = (model, question)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        from assistant.backends.embedder import get_embedder

        vector = np.asarray(get_embedder().embed_query(question), dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        blob = (vector / norm if norm else vector).tobytes()
        with self._lock:
            self._items[key] = blob
            while len(self._items) > _VECTORS_KEPT:
                self._items.popitem(last=False)
        return blob


question_vectors = _RecentVectors()


def servable_entries(*, collection_ids: Iterable[int]) -> QuerySet[CachedAnswer]:
    """Entries that may be served to a request searching `collection_ids` (already limited to the
    collections the user may read): not expired, not rejected in review, no negative feedback on
    the original, built only from those collections, every source document still the INDEXED
    version it was built from."""
    from ingestion.models import Document
    from privacy.models import Review

    searched = list(collection_ids)
    foreign_collection = CachedAnswer.collections.through.objects.filter(
        cachedanswer_id=OuterRef("pk")
    ).exclude(collection_id__in=searched)
    current_document = Document.objects.filter(
        pk=OuterRef("document_id"), version=OuterRef("version"), status=Document.Status.INDEXED
    )
    stale_source = CachedAnswerSource.objects.filter(entry_id=OuterRef("pk")).exclude(
        Exists(current_document)
    )
    rejected = Review.objects.filter(
        exchange_id=OuterRef("exchange_id"), state=Review.State.REJECTED
    )
    return (
        CachedAnswer.objects.filter(expires_at__gt=timezone.now())
        .exclude(Exists(foreign_collection))
        .exclude(Exists(stale_source))
        .exclude(Exists(rejected))
        .exclude(exchange__feedback__lt=0)
    )


def _approved() -> Exists:
    from privacy.models import Review

    return Exists(
        Review.objects.filter(exchange_id=OuterRef("exchange_id"), state=Review.State.APPROVED)
    )


def lookup(
    *,
    user: Any,
    question: str,
    language: str,
    collection_ids: Iterable[int],
    conversation: Any = None,
    mode: str = "auto",
) -> CacheHit | None:
    """The cache entry to serve for a new question, or None: skipped when the cache is disabled
    or the question continues a conversation (a follow-up depends on its history); never raises
    (a broken cache must not stop a question). Counted in rag_cache_lookups_total."""
    from assistant.metrics import observe_cache_lookup

    if not settings.RAG_CACHE_ENABLED or (
        conversation is not None
        and conversation.user_id == user.pk
        and conversation.exchanges.filter(status=Exchange.Status.DONE).exists()
    ):
        observe_cache_lookup("skipped")
        return None
    try:
        hit = best_entry(
            user=user,
            question=question,
            language=language,
            collection_ids=collection_ids,
            mode=mode,
        )
    except Exception:
        logger.exception("semantic cache lookup failed")
        observe_cache_lookup("skipped")
        return None
    observe_cache_lookup("hit" if hit else "miss")
    return hit


def best_entry(
    *, user: Any, question: str, language: str, collection_ids: Iterable[int], mode: str = "auto"
) -> CacheHit | None:
    """The best servable entry for `question`, or None. Among entries with the same key terms
    and a cosine similarity of at least the cache threshold calibrated for the embedder
    (RAG_CACHE_THRESHOLD overrides it), approved answers come first, then
    the most similar. `collection_ids` are the collections this request searches; those `user`
    may not read are dropped. The caller skips follow-up questions (they depend on history)."""
    from assistant.backends.embedder_registry import thresholds
    from ingestion.selectors import readable_collection_ids

    readable = set(readable_collection_ids(user))
    searched = [cid for cid in collection_ids if cid in readable]
    keys = key_terms(question, language)
    if not searched or not keys or len(keys) > MAX_KEY_CHARS:
        return None
    model = embed_model_name()
    rows: list[Any] = list(
        servable_entries(collection_ids=searched)
        .filter(
            language=language,
            embed_model=model,
            key_terms=keys,
            exchange__answer_path__in=PATHS_FOR_MODE.get(mode, PATHS_FOR_MODE["auto"]),
        )
        .annotate(approved=_approved())
        .order_by("-created_at")
        .values_list("pk", "embedding", "approved")[: settings.RAG_CACHE_MAX_CANDIDATES]
    )
    if not rows:
        return None
    query = np.frombuffer(question_vectors.get(model, question), dtype=np.float32)
    matrix = np.frombuffer(b"".join(bytes(row[1]) for row in rows), dtype=np.float32)
    similarities = matrix.reshape(len(rows), -1) @ query
    threshold = thresholds().cache_threshold  # calibrated for this embedder
    ranked = sorted(
        (
            (bool(row[2]), float(similarity), row[0])
            for row, similarity in zip(rows, similarities, strict=True)
            if similarity >= threshold
        ),
        reverse=True,
    )
    if not ranked:
        return None
    approved, similarity, pk = ranked[0]
    entry = CachedAnswer.objects.select_related("exchange").get(pk=pk)
    return CacheHit(entry=entry, similarity=round(similarity, 4), approved=approved)


def still_servable(entry_id: int, *, user: Any, collection_ids: Iterable[int]) -> bool:
    """Re-check an entry chosen earlier, against the user's readable collections as they are now
    (a grant may have been revoked since)."""
    from ingestion.selectors import readable_collection_ids

    readable = set(readable_collection_ids(user))
    searched = [cid for cid in collection_ids if cid in readable]
    if not searched:
        return False
    return servable_entries(collection_ids=searched).filter(pk=entry_id).exists()
