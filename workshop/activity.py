"""The one writer of the activity log. Every action calls `activity_record` once, inside
its own transaction, so the entry exists exactly when the change does.

Every entry's name is declared (issue 22): each app's `activity` module holds its names as
`TextChoices` (`Action`, and in the submissions app also `SubmissionAction`, the paper's own
history), and the writer refuses any other name (`UnknownAction`). A configuration row's
entry (`config_save`, `config_delete`) is named `<model>.<verb>` after the model's name,
with a verb of `ConfigVerb`.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Activity, User, Workshop
from .relations import SUBMISSION, related_pk, workshop_of


class Action(models.TextChoices):
    """The workshop app's activity names."""

    MEMBERSHIP_GRANT = "membership.grant", "Role given"
    MEMBERSHIP_REVOKE = "membership.revoke", "Role taken away"
    OUTBOX_RELEASE = "outbox.release", "Held mail released"
    OUTBOX_RETRY = "outbox.retry", "Failed mail retried"
    TRACK_MEMBER_GRANT = "track_member.grant", "Track role given"
    TRACK_MEMBER_REVOKE = "track_member.revoke", "Track role taken away"


class ConfigVerb(models.TextChoices):
    """What `config_save` / `config_delete` did to a configuration row (`<model>.<verb>`)."""

    CREATE = "create", "Created"
    CONFIGURE = "configure", "Changed"
    DELETE = "delete", "Deleted"


class UnknownAction(ValueError):
    """An activity name no app declares: a programming error, refused before any write."""


@cache
def declared_actions() -> frozenset[str]:
    """Every name the apps declare: the values of each `TextChoices` class named `*Action`
    in each installed app's `activity` module."""
    names: set[str] = set()
    for config in apps.get_app_configs():
        module_name = f"{config.name}.activity"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for attribute, value in vars(module).items():
            if (
                attribute.endswith("Action")
                and isinstance(value, type)
                and issubclass(value, models.TextChoices)
            ):
                names |= set(value.values)
    return frozenset(names)


@cache
def _model_names() -> frozenset[str]:
    return frozenset(m._meta.model_name for m in apps.get_models())


def action_declared(action: str) -> bool:
    """Whether an app declares `action` (or it names a configuration row's change)."""
    if action in declared_actions():
        return True
    subject, _, verb = action.partition(".")
    return verb in ConfigVerb.values and subject in _model_names()


def concerning(target: models.Model | None) -> dict[str, Any]:
    """The `Concerning` fields (generic target and paper) for an object."""
    if target is None:
        return {}
    return {
        "target_type": ContentType.objects.get_for_model(target.__class__),
        "target_id": target.pk,
        "submission_id": related_pk(target, SUBMISSION),
    }


def activity_entry(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    workshop: Workshop | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    authors_see: bool = False,
) -> Activity:
    """The entry `activity_record` writes, unsaved: an action that changes many rows at once
    (an import) writes its entries with one `Activity.objects.bulk_create`, each exactly as
    the one-row action would. Refuses an undeclared `action` (`UnknownAction`)."""
    if not action_declared(action):
        raise UnknownAction(
            f"{action!r} is no declared activity name: add it to the `Action` choices in the "
            "activity module of the app that writes it."
        )
    if workshop is None and target is not None:
        workshop = workshop_of(target)
    return Activity(
        workshop=workshop,
        actor=actor if isinstance(actor, User) else None,
        action=action,
        target_label=str(target)[:255] if target is not None else "",
        summary=summary[:500],
        before=before,
        after=after,
        reason=reason,
        authors_see=authors_see,
        **concerning(target),
    )


def activity_record(
    *,
    actor: Any,
    action: str,
    target: models.Model | None = None,
    workshop: Workshop | None = None,
    summary: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    authors_see: bool = False,
) -> Activity:
    """Log one action. `actor` is a user or the system actor (stored as no user).

    `action` is "<subject>.<verb>" (e.g. "submission.withdraw"); `summary` is what a person
    reads in the log; `before`/`after` hold the changed values where they matter.
    """
    entry = activity_entry(
        actor=actor, action=action, target=target, workshop=workshop, summary=summary,
        before=before, after=after, reason=reason, authors_see=authors_see,
    )  # fmt: skip
    entry.save(force_insert=True)
    return entry
