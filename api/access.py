"""How the API asks the policy: the same named permissions as the browser, with a token's
workshops narrowing what its requests can reach.

A token limited to workshop A answers every object of another workshop exactly like a
missing one (NotFound), before any rule is asked; then `require_visible` (404) and
`require` (403) as in the services. Nothing here decides a rule of the domain.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.request import Request

from workshop.errors import NotFound
from workshop.models import Workshop
from workshop.policy import can, require, require_visible
from workshop.relations import workshop_of

from .models import ApiToken


def token_of(request: Request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def scope_ids(request: Request) -> frozenset[int] | None:
    """The workshops a token reaches (None: a browser session, no narrowing)."""
    token = token_of(request)
    return None if token is None else token.workshop_ids


def in_scope(request: Request, obj: Any) -> bool:
    ids = scope_ids(request)
    if ids is None:
        return True
    workshop = workshop_of(obj)
    return workshop is not None and workshop.pk in ids


def narrow(request: Request, queryset: QuerySet, path: str = "workshop") -> QuerySet:
    """Pre-filter a list to the token's workshops (`path` leads to the workshop id)."""
    ids = scope_ids(request)
    return queryset if ids is None else queryset.filter(**{f"{path}_id__in": ids})


def check_visible(request: Request, perm: str, obj: Any) -> None:
    """404 unless the object is in the token's reach and the policy lets the caller know it."""
    if not in_scope(request, obj):
        raise NotFound()
    require_visible(request.user, perm, obj)


def check(request: Request, perm: str, obj: Any, message: str = "You are not allowed to do this."
          ) -> None:  # fmt: skip
    """403 unless the caller holds `perm` (after the object was found visible)."""
    if not in_scope(request, obj):
        raise NotFound()
    require(request.user, perm, obj, message=message)


def allows(request: Request, perm: str, obj: Any) -> bool:
    return in_scope(request, obj) and can(request.user, perm, obj)


def workshop_get(request: Request, slug: str) -> Workshop:
    """A workshop by slug within the token's reach (every workshop page is public)."""
    workshop = Workshop.objects.filter(slug=slug).first()
    if workshop is None or not in_scope(request, workshop):
        raise NotFound()
    return workshop
