"""ACL-safe semantic cache: a new question gets a previous answer to an equivalent question at
once, without retrieval or generation, only when that is safe.

- lookup(): same language, same embedding model, same key terms (numbers, content words; see
  terms.py), cosine similarity >= the cache threshold calibrated for the embedder; only entries
  built from collections the user may read and searches, whose cited documents are all still at
  the same version, not expired (RAG_CACHE_TTL_HOURS), not rejected in review; approved answers
  first.
- store(): after an exchange is audited, if it is a standalone, well-grounded, unreviewed answer
  whose question holds no personal data.
- serve(): the new exchange copies the answer, citations and verification, records cached_from,
  and is audited with served_from_cache.
- invalidate_documents() (new version, deletion), invalidate_exchange() (review rejection),
  purge_expired().
"""

from assistant.chat.semantic_cache.entries import (
    clear,
    invalidate_documents,
    invalidate_exchange,
    is_standalone,
    purge_expired,
    store,
    store_quietly,
    why_not_cacheable,
)
from assistant.chat.semantic_cache.lookup import CacheHit, lookup, servable_entries
from assistant.chat.semantic_cache.serving import planned_metrics, serve

__all__ = [
    "CacheHit",
    "clear",
    "invalidate_documents",
    "invalidate_exchange",
    "is_standalone",
    "lookup",
    "planned_metrics",
    "purge_expired",
    "servable_entries",
    "serve",
    "store",
    "store_quietly",
    "why_not_cacheable",
]
