"""State changes of the core app: roles, profiles and the workshop's configuration.
Mail lives in `workshop.outbox`."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from workshop.plurals import counted

from .activity import activity_record
from .errors import NotAllowed
from .models import Membership, OutgoingMail, Role, User, Workshop
from .outbox import mails_release, mails_retry
from .policy import SYSTEM, require
from .relations import workshop_of


@transaction.atomic
def membership_grant(
    *, workshop: Workshop, user: User, role: Role | str, actor: Any = None
) -> Membership:
    """Give `user` a role in `workshop` (idempotent).

    Called inside other actions (accepting an invitation, the demo) without `actor`: they
    write their own activity entry. Called on its own (the admin), with `actor`: it asks
    `workshop.manage_members` and writes one `membership.grant` entry when a role is new.
    Side effects: a chair gets `is_staff`, so they can enter the admin (scoped to the
    workshops they chair; they get no model permissions beyond that scope).
    """
    if actor is not None:
        require(actor, "workshop.manage_members", workshop, message="Only the chairs give roles.")
    membership, created = Membership.objects.get_or_create(workshop=workshop, user=user, role=role)
    if role == Role.CHAIR and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if actor is not None and created:
        activity_record(
            actor=actor,
            action="membership.grant",
            target=user,
            workshop=workshop,
            summary=f"{user} is now {Role(role).label.lower()} of {workshop}",
            after={"role": str(role)},
        )
    return membership


@transaction.atomic
def membership_revoke(
    *, workshop: Workshop, user: User, role: Role | str, actor: Any = SYSTEM
) -> None:
    """Remove a role (asks `workshop.manage_members`). A user who chairs nothing any more
    loses admin access (`is_staff`).

    Side effects: one `membership.revoke` activity entry when there was such a role.
    """
    require(actor, "workshop.manage_members", workshop, message="Only the chairs remove roles.")
    user = User.objects.select_for_update().get(pk=user.pk)
    deleted, _ = Membership.objects.filter(workshop=workshop, user=user, role=role).delete()
    if not deleted:
        return
    if (
        role == Role.CHAIR
        and user.is_staff
        and not user.is_superuser
        and not Membership.objects.filter(user=user, role=Role.CHAIR).exists()
    ):
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    activity_record(
        actor=actor,
        action="membership.revoke",
        target=user,
        workshop=workshop,
        summary=f"{user} is no longer {Role(role).label.lower()} of {workshop}",
        before={"role": str(role)},
    )


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


def _config_workshop(instance: models.Model) -> Workshop:
    """The workshop a configuration row belongs to (the row itself for a workshop)."""
    workshop = workshop_of(instance)
    if workshop is None:
        raise NotAllowed("Not a setting of a workshop.")
    return workshop


# Fields of configuration rows that only their own actions change (the release switches:
# `reviews_release`, `decisions_release`); `config_save` refuses to touch them.
STATE_FIELDS: dict[type[models.Model], frozenset[str]] = {
    Workshop: frozenset({"reviews_released", "decisions_released"}),
}


def _refuse_state_changes(model: type[models.Model], changed: list[str]) -> None:
    touched = sorted(STATE_FIELDS.get(model, frozenset()) & set(changed))
    if touched:
        raise NotAllowed(
            f"{', '.join(touched)} change only through their own actions (the release page)."
        )


def _config_values(instance: models.Model, names: list[str]) -> dict[str, str]:
    fields = {f.name: f for f in instance._meta.concrete_fields}
    return {name: fields[name].value_to_string(instance) for name in names}


def _config_action(instance: models.Model, verb: str) -> str:
    subject = instance._meta.model_name
    return f"workshop.{verb}" if isinstance(instance, Workshop) else f"{subject}.{verb}"


@transaction.atomic
def config_save(*, actor: Any, instance: models.Model) -> models.Model:
    """Create or change one configuration row: the workshop's settings and milestones, a
    topic, a submission type, a review question or a decision category.

    Asks `workshop.manage` (on the old and the new workshop when a row moves), locks the
    stored row, saves only the fields that changed, and refuses to change `STATE_FIELDS`.
    Side effects: one activity entry ("workshop.configure", "topic.create", ...) naming
    the changed fields with their old and new values; none when nothing changed.
    """
    workshop = _config_workshop(instance)
    message = "Only the chairs configure the workshop."
    require(actor, "workshop.manage", workshop, message=message)
    model = type(instance)
    names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    stored = (
        model._default_manager.select_for_update().filter(pk=instance.pk).first()
        if instance.pk is not None
        else None
    )
    if stored is None:
        defaults = {f.name: f.get_default() for f in model._meta.concrete_fields}
        _refuse_state_changes(
            model, [n for n in STATE_FIELDS.get(model, ()) if getattr(instance, n) != defaults[n]]
        )
        instance.save()
        activity_record(
            actor=actor,
            action=_config_action(instance, "create"),
            target=instance,
            workshop=workshop,
            summary=f"{model._meta.verbose_name.capitalize()} created: {instance}",
            after=_config_values(instance, names),
        )
        return instance
    require(actor, "workshop.manage", _config_workshop(stored), message=message)
    before = _config_values(stored, names)
    after = _config_values(instance, names)
    changed = [name for name in names if before[name] != after[name]]
    if not changed:
        return instance
    _refuse_state_changes(model, changed)
    instance.save(update_fields=changed)
    activity_record(
        actor=actor,
        action=_config_action(instance, "configure"),
        target=instance,
        workshop=workshop,
        summary=f"{model._meta.verbose_name.capitalize()} {instance} changed: "
        + ", ".join(changed),
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return instance


@transaction.atomic
def config_delete(*, actor: Any, instance: models.Model) -> None:
    """Delete one configuration row (asks `workshop.manage`). Side effects: one
    "<subject>.delete" activity entry with the row's last values."""
    workshop = _config_workshop(instance)
    require(actor, "workshop.manage", workshop, message="Only the chairs configure the workshop.")
    model = type(instance)
    stored = model._default_manager.select_for_update().filter(pk=instance.pk).first()
    if stored is None:
        return
    names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    activity_record(
        actor=actor,
        action=_config_action(stored, "delete"),
        target=stored,
        workshop=None if isinstance(stored, Workshop) else workshop,
        summary=f"{model._meta.verbose_name.capitalize()} deleted: {stored}",
        before=_config_values(stored, names),
    )
    stored.delete()


def _mails_by_workshop(mail_ids: list[int]) -> dict[Workshop | None, list[int]]:
    grouped: dict[Workshop | None, list[int]] = {}
    workshops = {w.pk: w for w in Workshop.objects.filter(mails__pk__in=mail_ids).distinct()}
    for pk, workshop_id in OutgoingMail.objects.filter(pk__in=mail_ids).values_list(
        "pk", "workshop_id"
    ):
        grouped.setdefault(workshops.get(workshop_id), []).append(pk)
    return grouped


def _outbox_act(actor: Any, mail_ids: list[int], *, move: Any, action: str, what: str) -> int:
    """Apply `move` (release or retry) to the mails of each workshop whose mail the actor
    may send; one `action` entry per workshop that had mail moved."""
    moved = 0
    for workshop, ids in _mails_by_workshop(list(mail_ids)).items():
        require(actor, "workshop.send_mail", workshop, message="Only the chairs send mail.")
        count = move(ids)
        if count:
            activity_record(
                actor=actor, action=action, workshop=workshop,
                summary=f"{counted(count, 'message')} {what}", after={"mails": ids[:200]},
            )  # fmt: skip
        moved += count
    return moved


@transaction.atomic
def outbox_release(*, actor: Any, mail_ids: list[int]) -> int:
    """A chair releases held mail (any held kind) for delivery. Asks `workshop.send_mail` for
    the workshop of every mail (mail of no workshop: superusers and the system only).

    Side effects: one `outbox.release` entry per workshop; delivery tasks after commit.
    """
    return _outbox_act(actor, mail_ids, move=mails_release, action="outbox.release",
                       what="released for delivery")  # fmt: skip


@transaction.atomic
def outbox_retry(*, actor: Any, mail_ids: list[int]) -> int:
    """A chair's "retry now" for failed or waiting mail. Same policy as `outbox_release`.

    Side effects: one `outbox.retry` entry per workshop; delivery tasks after commit.
    """
    return _outbox_act(actor, mail_ids, move=mails_retry, action="outbox.retry",
                       what="queued again")  # fmt: skip
