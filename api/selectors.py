"""Reads of the API that depend on who asks: tokens, and the people a chair may name."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from submissions.selectors import submissions_authored_by
from workshop.admin_scoping import connected_users
from workshop.models import User, Workshop

from .models import ApiToken


def token_workshops_for(user: User) -> QuerySet[Workshop]:
    """The workshops a user may give a token: those they hold a role in or wrote for."""
    authored = submissions_authored_by(user).values("workshop_id")
    return (
        Workshop.objects.filter(Q(memberships__user=user) | Q(pk__in=authored))
        .distinct()
        .order_by("-paper_deadline", "name")
    )


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens with their workshops, newest first."""
    return ApiToken.objects.filter(user_id=user.pk).prefetch_related("workshops")


def people_of(workshop: Workshop) -> QuerySet[User]:
    """The people of a workshop, whom its chairs may name and pick (members in any role,
    authors of its papers): the admin's choice of people (`connected_users`), for one
    workshop."""
    return connected_users([workshop.pk])
