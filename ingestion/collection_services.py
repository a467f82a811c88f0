"""Service for creating and editing collections and who may read them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from ingestion.models import Collection


def _audit(action: str, actor: Any, payload: dict[str, Any]) -> None:
    from privacy.services import audit_record

    audit_record(action=action, actor=actor, payload=payload)


def collection_save(
    *,
    collection: Collection,
    reader_groups: Iterable[Any],
    reader_users: Iterable[Any],
    actor: Any,
) -> Collection:
    """Create or update a collection and set exactly who may read it; grants and revocations
    are audited."""
    with transaction.atomic():
        created = collection.pk is None
        before_groups = set() if created else set(collection.reader_groups.all())
        before_users = set() if created else set(collection.reader_users.all())
        collection.save()
        groups, users = set(reader_groups), set(reader_users)
        collection.reader_groups.set(groups)
        collection.reader_users.set(users)
        _audit(
            "collection.create" if created else "collection.update",
            actor,
            {"collection": collection.slug, "name": collection.name},
        )
        changes = {
            "granted_groups": sorted(g.name for g in groups - before_groups),
            "revoked_groups": sorted(g.name for g in before_groups - groups),
            "granted_users": sorted(u.get_username() for u in users - before_users),
            "revoked_users": sorted(u.get_username() for u in before_users - users),
        }
        if any(changes.values()):
            _audit("collection.grant", actor, {"collection": collection.slug, **changes})
    return collection
