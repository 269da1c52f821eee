"""The one writer of the activity log. Every action calls `activity_record` once, inside
its own transaction, so the entry exists exactly when the change does."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import Activity, User, Workshop
from .relations import SUBMISSION, related_pk, workshop_of


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
    the one-row action would."""
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
