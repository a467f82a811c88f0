"""Write side of the audit trail: redacted events appended to the hash chain.

Only redacted text ever reaches an AuditEvent; logs carry ids and counts, never text. What an
event holds is decided by its owner: admin actions call audit_record() with a payload; a chat
exchange builds its own record (assistant.chat.audit) and appends it with audit_exchange_record().
Review decisions live in privacy.review.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from assistant.accounts.roles import user_roles
from privacy import chain
from privacy.models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from privacy.redaction import PlaceholderMap, RedactionResult

logger = logging.getLogger(__name__)

EXCHANGE_ACTION = "chat.exchange"
# Payload keys whose string values are identifiers, not free text: never sent to the redactor.
SAFE_KEYS = frozenset(
    {
        "action",
        "collection",
        "collection_slug",
        "format",
        "ip_hash",
        "mime_type",
        "role",
        "roles",
        "since",
        "before",
        "sha256",
        "slug",
        "state",
        "status",
        "username",
        "public_id",
        "exchange",
        "decision",
        "language",
        "route",
        "model",
        "outcome",
        "cached_from",
        # answer paths and modes: fixed vocabularies (a redaction call each otherwise)
        "answer_mode",
        "planned_path",
        "path",
        "original_path",
        # account names in grant/revoke events: the audit must say who got access
        "granted_users",
        "revoked_users",
        "granted_groups",
        "revoked_groups",
    }
)


def actor_fields(actor: AbstractBaseUser | None) -> dict[str, Any]:
    """The actor columns of an event: id, username and roles (empty for an anonymous actor)."""
    if actor is None or not actor.is_authenticated:
        return {"actor_id": None, "actor_username": "", "actor_roles": ""}
    return {
        "actor_id": actor.pk,
        "actor_username": actor.get_username(),
        "actor_roles": ",".join(sorted(user_roles(actor))),
    }


def redact_text(
    text: str, language: str, placeholders: PlaceholderMap | None = None
) -> RedactionResult:
    """The redacted form of `text` (one placeholder map shared across calls when given)."""
    from privacy.redaction import get_redactor

    return get_redactor().redact(text, language=language, placeholders=placeholders)


def redact_payload(value: Any, counts: dict[str, int], key: str = "") -> Any:
    """Redact every free-text string in a JSON-like payload; count PII by type in `counts`.
    Values under SAFE_KEYS and keys ending in ``_id`` are identifiers and stay as they are."""
    if isinstance(value, dict):
        return {k: redact_payload(v, counts, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_payload(v, counts, key) for v in value]
    if (
        isinstance(value, str)
        and value.strip()
        and key not in SAFE_KEYS
        and not key.endswith("_id")
    ):
        result = redact_text(value, "auto")
        for entity_type, n in result.counts().items():
            counts[entity_type] = counts.get(entity_type, 0) + n
        return result.text
    return value


def audit_record(
    *, action: str, actor: AbstractBaseUser | None, payload: dict[str, Any]
) -> AuditEvent:
    """Append an admin/compliance/security event (upload, delete, grant, revoke, review decision,
    export, login-failure burst, ...). Free-text strings in `payload` are redacted first; keys in
    SAFE_KEYS and keys ending in ``_id`` are kept as they are. Never raises on PII."""
    counts: dict[str, int] = {}
    data = redact_payload(payload, counts)
    event = chain.append_event(
        AuditEvent(action=action, data=data, pii_counts=counts, **actor_fields(actor))
    )
    logger.info("audit #%s %s", event.sequence, action)
    return event


def audit_exchange_record(
    *,
    public_id: UUID,
    actor: AbstractBaseUser | None,
    question: str,
    answer: str,
    refused: bool,
    pii_counts: dict[str, int],
    data: dict[str, Any],
) -> AuditEvent:
    """Append one chat exchange's event. The caller passes text it has already redacted (the
    chat app redacts question and answer with one placeholder map); nothing is redacted here."""
    event = chain.append_event(
        AuditEvent(
            action=EXCHANGE_ACTION,
            exchange_public_id=public_id,
            question=question,
            answer=answer,
            refused=refused,
            pii_counts=pii_counts,
            data=data,
            **actor_fields(actor),
        )
    )
    logger.info("audit #%s exchange %s pii=%s", event.sequence, public_id, pii_counts)
    return event


# --- audit maintenance -------------------------------------------------------------------------


def audit_purge(*, before: datetime, actor: AbstractBaseUser | None = None) -> int:
    """Tombstone events older than `before` and record the purge (verify requires the record)."""
    count = chain.purge_before(before)
    audit_record(
        action=chain.PURGE_ACTION,
        actor=actor,
        payload={"before": chain.timestamp(before), "count": count},
    )
    return count
