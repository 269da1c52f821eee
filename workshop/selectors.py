"""Reads of the core app that depend on who asks or on the clock."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Membership, Role, User, Workshop


def workshops_listed(now: dt.datetime | None = None) -> QuerySet[Workshop]:
    """Public workshops whose call is announced or open, soonest deadline first."""
    now = now or timezone.now()
    return (
        Workshop.objects.filter(is_public=True)
        .filter(Q(paper_deadline__gte=now - dt.timedelta(days=1)))
        .order_by("paper_deadline")
    )


def workshops_past(now: dt.datetime | None = None) -> QuerySet[Workshop]:
    now = now or timezone.now()
    return Workshop.objects.filter(
        is_public=True, paper_deadline__lt=now - dt.timedelta(days=1)
    ).order_by("-paper_deadline")


def workshop_public_get(*, slug: str) -> Workshop:
    """A workshop by slug, for its public page (404 through the caller when missing)."""
    return Workshop.objects.prefetch_related("topics").get(slug=slug)


def chairs_of(workshop: Workshop) -> QuerySet[User]:
    """The chairs of `workshop` (the people told of what concerns the whole workshop)."""
    return User.objects.filter(
        memberships__workshop=workshop, memberships__role=Role.CHAIR
    ).distinct()


def chaired_workshop_ids(user: User | AnonymousUser) -> frozenset[int]:
    """Ids of the workshops `user` chairs (all of them for a superuser)."""
    if not user.is_authenticated:
        return frozenset()
    cached = user.__dict__.get("_chaired_ids")
    if cached is None:
        qs = (
            Workshop.objects.all()
            if user.is_superuser
            else Workshop.objects.filter(memberships__user=user, memberships__role=Role.CHAIR)
        )
        cached = frozenset(qs.values_list("pk", flat=True))
        user.__dict__["_chaired_ids"] = cached
    return cached


def roles_by_workshop(user: User | AnonymousUser) -> dict[int, set[str]]:
    """{workshop id: {role, ...}} in one query, for navigation and dashboards."""
    if not user.is_authenticated:
        return {}
    result: dict[int, set[str]] = {}
    for workshop_id, role in Membership.objects.filter(user=user).values_list(
        "workshop_id", "role"
    ):
        result.setdefault(workshop_id, set()).add(role)
    return result
