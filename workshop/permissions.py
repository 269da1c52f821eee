"""The core app's policy: roles in a workshop, and the permissions that need nothing else.

Predicates take `(user, obj)` where `obj` is a workshop or anything that leads to one
(`workshop_of`), so `is_chair` answers for a paper, a review or a mail alike. Named
permissions are registered with django-rules and asked through `workshop.policy`.
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib.auth.models import AnonymousUser

from .models import Role, User, Workshop
from .relations import workshop_of
from .tracks import chaired_tracks, track_id_of


def is_person(user: Any) -> bool:
    """Signed in as a person: not anonymous, not the system actor (which has no roles,
    addresses or assignments of its own)."""
    return bool(user.is_authenticated) and not getattr(user, "is_system", False)


def _roles(user: User | AnonymousUser, workshop: Workshop) -> set[str]:
    """The user's roles in `workshop`, cached on the user object for the request."""
    if not is_person(user):
        return set()
    cache: dict[int, set[str]] = user.__dict__.setdefault("_workshop_roles", {})
    if workshop.pk not in cache:
        cache[workshop.pk] = set(
            user.memberships.filter(workshop=workshop).values_list("role", flat=True)
        )
    return cache[workshop.pk]


def roles_prefill(user: User | AnonymousUser, workshop_ids: Any) -> None:
    """Fill the per-request role cache for these workshops in one query (lists of papers
    across workshops, such as the author dashboard, then ask no query per workshop)."""
    if not is_person(user):
        return
    cache: dict[int, set[str]] = user.__dict__.setdefault("_workshop_roles", {})
    wanted = {pk for pk in workshop_ids if pk not in cache}
    if not wanted:
        return
    for pk in wanted:
        cache[pk] = set()
    for workshop_id, role in user.memberships.filter(workshop_id__in=wanted).values_list(
        "workshop_id", "role"
    ):
        cache[workshop_id].add(role)


def roles_in(user: User | AnonymousUser, obj: Any) -> set[str]:
    workshop = workshop_of(obj)
    return _roles(user, workshop) if workshop is not None else set()


@rules.predicate
def is_authenticated(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated)


@rules.predicate
def is_chair(user: User | AnonymousUser, obj: Any) -> bool:
    """A chair of the object's workshop (superusers and the system actor chair everything)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Role.CHAIR in roles_in(user, obj)


@rules.predicate
def is_area_chair_member(user: User | AnonymousUser, obj: Any) -> bool:
    """Holds the area-chair role in the object's workshop (not necessarily for a paper)."""
    return Role.AREA_CHAIR in roles_in(user, obj)


@rules.predicate
def is_reviewer_member(user: User | AnonymousUser, obj: Any) -> bool:
    return Role.REVIEWER in roles_in(user, obj)


is_committee = is_reviewer_member | is_area_chair_member


@rules.predicate
def is_track_chair(user: User | AnonymousUser, obj: Any) -> bool:
    """A chair of the object's track (issue 27): for a workshop, of any of its tracks (they
    enter the chair tools, which then reach their tracks' papers only: `tracks.chair_scope`);
    for a track, of that one; for a paper or anything of a paper, of the paper's track."""
    if not is_person(user):
        return False
    workshop = workshop_of(obj)
    if workshop is None:
        return False
    tracks = chaired_tracks(user).get(workshop.pk, frozenset())
    if not tracks:
        return False
    if isinstance(obj, Workshop):
        return True
    return track_id_of(obj) in tracks


# A chair of the workshop, or of the track of the paper (of anything of a paper).
is_chair_of_paper = is_chair | is_track_chair

# Configure the workshop (settings, milestones, topics, forms) and enter the chair tools.
rules.add_perm("workshop.manage", is_chair)
# Read the activity log and the outbox of the workshop; export them.
rules.add_perm("workshop.view_activity", is_chair)
rules.add_perm("workshop.view_outbox", is_chair)
# Release held mail, retry failed mail, mail groups of people.
rules.add_perm("workshop.send_mail", is_chair)
# Write a mail to the people of the papers a desk search selects, held until a chair of the
# workshop releases it (`send_mail`): a track chair writes to their track's papers only.
rules.add_perm("workshop.compose_mail", is_chair_of_paper)
# Give or take a role in the workshop.
rules.add_perm("workshop.manage_members", is_chair)
