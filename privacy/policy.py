"""Redaction policy: who may see original text.

- ``mask_in_logs`` (default): the audit trail, the logs and the review queue only ever hold redacted
  text; the local model sees the original question and passages.
- ``mask_everywhere``: the question and passages sent to the model, and the answer shown, are
  redacted too.
- A model that does not run on this machine (``RAG_LLM_BACKEND=openai``) always gets
  ``mask_everywhere``: original text never leaves the host.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from ingestion.models import Collection

MASK_IN_LOGS = "mask_in_logs"
MASK_EVERYWHERE = "mask_everywhere"


def llm_is_local() -> bool:
    """True when the configured generation backend runs in this process (llama.cpp or the fake)."""
    return settings.RAG_LLM_BACKEND != "openai"


def must_mask_everywhere(collections: Iterable[Collection], *, llm_is_local: bool) -> bool:
    """True when the question, the passages and the answer must be redacted for this exchange:
    the model is not local, or any searched collection asks for ``mask_everywhere``."""
    if not llm_is_local:
        return True
    return any(c.redaction_policy == MASK_EVERYWHERE for c in collections)


def must_redact_at_ingestion(collection: Collection) -> bool:
    """True when chunks of this collection are stored and indexed redacted."""
    return bool(collection.redact_at_ingestion)
