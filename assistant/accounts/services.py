"""Services for users, roles and collection grants (used by commands, seed data and admin pages)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.db import transaction

from assistant.accounts.roles import ROLES, ensure_role_groups
from ingestion.models import Collection


class AccountError(ValueError):
    """A user-facing error: unknown user, group, collection or role."""


@transaction.atomic
def user_create_or_update(
    *, username: str, roles: list[str], password: str | None = None, email: str = ""
) -> tuple[AbstractUser, bool]:
    """Create `username` (or update it) and add it to each role group. Idempotent: running it
    twice leaves one user with the union of roles. Returns (user, created)."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise AccountError(f"unknown role {unknown[0]!r}: use one of {', '.join(ROLES)}")
    groups = ensure_role_groups()
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if password is not None:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if "admin" in roles:
        user.is_staff = True  # admins keep the Django admin
    user.save()
    for role in roles:
        user.groups.add(groups[role])
    return user, created


@transaction.atomic
def collection_grant(
    *,
    collection_slug: str,
    username: str | None = None,
    group_name: str | None = None,
    revoke: bool = False,
) -> str:
    """Grant (or revoke) read access on a collection to one user or one group; idempotent."""
    if (username is None) == (group_name is None):
        raise AccountError("give exactly one of a user or a group")
    try:
        collection = Collection.objects.get(slug=collection_slug)
    except Collection.DoesNotExist:
        raise AccountError(f"no collection with slug {collection_slug!r}") from None
    if username is not None:
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise AccountError(f"no user named {username!r}") from None
        (collection.reader_users.remove if revoke else collection.reader_users.add)(user)
        target = f"user {username}"
    else:
        try:
            group = Group.objects.get(name=group_name)
        except Group.DoesNotExist:
            raise AccountError(f"no group named {group_name!r}") from None
        (collection.reader_groups.remove if revoke else collection.reader_groups.add)(group)
        target = f"group {group_name}"
    verb = "revoked from" if revoke else "granted to"
    return f"read access on {collection.slug} {verb} {target}"
