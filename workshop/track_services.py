"""State changes of tracks (issue 27, part 4): who chairs a track and who is on its
committee. A track itself is a configuration row (`workshop.services.config_save`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .activity import activity_record
from .errors import ServiceError
from .models import Membership, Role, Track, TrackMember, User, Workshop
from .policy import SYSTEM, require


def track_member_problem(*, track: Track, user: User, role: Role | str) -> str:
    """Why `user` cannot take `role` in `track` ("" if they can): a reviewer or area chair
    of a track is one of the workshop's committee first."""
    if role == Role.CHAIR:
        return ""
    if Membership.objects.filter(workshop_id=track.workshop_id, user=user, role=role).exists():
        return ""
    return (
        f"{user} is not {Role(role).label.lower()} of the workshop: invite them to the "
        "committee first."
    )


@transaction.atomic
def track_member_grant(
    *, track: Track, user: User, role: Role | str, actor: Any = SYSTEM
) -> TrackMember:
    """Give `user` a role in `track` (idempotent). Asks `workshop.manage_members`.

    A reviewer or area chair of a track must hold that role in the workshop (the committee is
    the workshop's, split by track); a track chair holds no role in the workshop.
    Side effects: a track chair gets `is_staff` (to enter the chair tools, which show them
    their track only); one `track_member.grant` activity entry when the role is new.
    """
    workshop = track.workshop
    require(actor, "workshop.manage_members", workshop, message="Only the chairs give roles.")
    problem = track_member_problem(track=track, user=user, role=role)
    if problem:
        raise ServiceError(problem)
    member, created = TrackMember.objects.get_or_create(track=track, user=user, role=role)
    if role == Role.CHAIR and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        activity_record(
            actor=actor, action="track_member.grant", target=user, workshop=workshop,
            summary=f"{user} is now {Role(role).label.lower()} of the track {track}",
            after={"role": str(role), "track": track.slug},
        )  # fmt: skip
    return member


@transaction.atomic
def track_member_revoke(*, track: Track, user: User, role: Role | str, actor: Any = SYSTEM) -> None:
    """Remove a role in a track (asks `workshop.manage_members`). A user who chairs nothing
    any more (no workshop, no track) loses admin access.

    Side effects: one `track_member.revoke` activity entry when there was such a role.
    """
    workshop = track.workshop
    require(actor, "workshop.manage_members", workshop, message="Only the chairs remove roles.")
    user = User.objects.select_for_update().get(pk=user.pk)
    deleted, _ = TrackMember.objects.filter(track=track, user=user, role=role).delete()
    if not deleted:
        return
    chairs_anything = (
        Membership.objects.filter(user=user, role=Role.CHAIR).exists()
        or TrackMember.objects.filter(user=user, role=Role.CHAIR).exists()
    )
    if role == Role.CHAIR and user.is_staff and not user.is_superuser and not chairs_anything:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    activity_record(
        actor=actor, action="track_member.revoke", target=user, workshop=workshop,
        summary=f"{user} is no longer {Role(role).label.lower()} of the track {track}",
        before={"role": str(role), "track": track.slug},
    )  # fmt: skip


@transaction.atomic
def track_save(
    *,
    actor: Any,
    workshop: Workshop,
    name: str,
    slug: str,
    description: str = "",
    order: int = 0,
    topic_ids: list[int] | None = None,
) -> Track:
    """Create a track, or change the one of this slug (asks `workshop.manage`, through
    `config_save`); `topic_ids` (the workshop's topics; empty: all of them) replace its
    topics. Side effects: the `track.create` / `track.configure` entry of `config_save`.
    """
    from .services import config_save

    topics = list(workshop.topics.filter(pk__in=topic_ids or []))
    if len(topics) != len(set(topic_ids or [])):
        raise ServiceError("A topic does not belong to this workshop.")
    track = Track.objects.filter(workshop=workshop, slug=slug).first() or Track(
        workshop=workshop, slug=slug
    )
    track.name, track.description, track.order = name, description, order
    try:
        track.full_clean(validate_unique=True)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from None
    config_save(actor=actor, instance=track)
    track.topics.set(topics)
    return track
