"""State changes of the core app: roles and profiles. Mail lives in `workshop.outbox`."""

from __future__ import annotations

from django.db import transaction

from .models import Membership, Role, User, Workshop


@transaction.atomic
def membership_grant(*, workshop: Workshop, user: User, role: Role | str) -> Membership:
    """Give `user` a role in `workshop` (idempotent).

    Side effects: a chair gets `is_staff`, so they can enter the admin (scoped to the
    workshops they chair; they get no model permissions beyond that scope).
    """
    membership, _ = Membership.objects.get_or_create(workshop=workshop, user=user, role=role)
    if role == Role.CHAIR and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def membership_revoke(*, workshop: Workshop, user: User, role: Role | str) -> None:
    """Remove a role. A user who chairs nothing any more loses admin access."""
    Membership.objects.filter(workshop=workshop, user=user, role=role).delete()
    if (
        role == Role.CHAIR
        and user.is_staff
        and not user.is_superuser
        and not Membership.objects.filter(user=user, role=Role.CHAIR).exists()
    ):
        user.is_staff = False
        user.save(update_fields=["is_staff"])


def profile_update(*, user: User, **fields: str) -> User:
    """Update the editable profile fields (name, affiliation, links)."""
    allowed = {"name", "affiliation", "orcid", "dblp_url", "semantic_scholar_url", "homepage"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not profile fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(fields))
    return user


def notifications_set(*, user: User, prefs: dict[str, str]) -> User:
    """Per-event mail or a daily digest, for the non-essential kinds only."""
    from .outbox import NON_ESSENTIAL

    cleaned = {k: v for k, v in prefs.items() if k in NON_ESSENTIAL and v in ("event", "digest")}
    user.notification_prefs = {**(user.notification_prefs or {}), **cleaned}
    user.save(update_fields=["notification_prefs"])
    return user
