"""Read-side queries for collections. The only place that decides who may read what."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from ingestion.models import Collection


def collections_readable_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Collection]:
    """Collections `user` may search and read: granted to the user directly or to one of their
    groups. Inactive and anonymous users read nothing. Every feature that shows or searches
    documents filters through this selector, never through ids taken from a request."""
    if not user.is_authenticated or not user.is_active:
        return Collection.objects.none()
    return Collection.objects.filter(
        Q(reader_users=user) | Q(reader_groups__in=user.groups.all())  # type: ignore[attr-defined]
    ).distinct()


def readable_collection_ids(user: AbstractBaseUser | AnonymousUser) -> list[int]:
    return sorted(collections_readable_by(user).values_list("id", flat=True))
