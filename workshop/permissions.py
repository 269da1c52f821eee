"""Pure predicates about who may do what in a workshop. Used by views, templates and admin."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from .models import Role, User, Workshop


def _roles(user: User | AnonymousUser, workshop: Workshop) -> set[str]:
    """The user's roles in `workshop`, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    cache: dict[int, set[str]] = user.__dict__.setdefault("_workshop_roles", {})
    if workshop.pk not in cache:
        cache[workshop.pk] = set(
            user.memberships.filter(workshop=workshop).values_list("role", flat=True)
        )
    return cache[workshop.pk]


def is_chair(user: User | AnonymousUser, workshop: Workshop) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or Role.CHAIR in _roles(user, workshop))
    )
