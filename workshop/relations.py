"""Which workshop (or paper) an object belongs to, found by walking its foreign keys.

One answer for the policy (`is_chair` on a review asks the review's workshop), the admin
(every choice is scoped along `relation_path(model, "workshop.Workshop")`) and the
activity log and outbox (the paper an entry concerns), without this app naming the models
of the apps above it.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any

from django.db import models

from .models import User, Workshop

MAX_HOPS = 5
WORKSHOP = "workshop.Workshop"
SUBMISSION = "submissions.Submission"


@functools.cache
def relation_path(model: type[models.Model], label: str) -> str | None:
    """The ORM path from `model` to the model called `label` ("app.Model"): "" for that
    model itself, then e.g. "workshop", "submission__workshop",
    "assignment__submission__workshop"; None when there is no way (users, content types).

    Breadth first over forward foreign keys (never through a user), so the shortest way wins.
    """
    concrete = model._meta.concrete_model or model
    if concrete._meta.label == label:
        return ""
    queue: deque[tuple[type[models.Model], str, int]] = deque([(concrete, "", 0)])
    seen: set[type[models.Model]] = {concrete}
    while queue:
        current, prefix, hops = queue.popleft()
        if hops >= MAX_HOPS:
            continue
        for field in current._meta.concrete_fields:
            related = field.related_model
            if related is None or not (field.many_to_one or field.one_to_one):
                continue
            related = related._meta.concrete_model or related
            path = f"{prefix}{field.name}"
            if related._meta.label == label:
                return path
            if related in seen or issubclass(related, User):
                continue
            seen.add(related)
            queue.append((related, f"{path}__", hops + 1))
    return None


def related_pk(obj: models.Model, label: str) -> int | None:
    """The primary key of the `label` object `obj` belongs to (the last hop is read as
    `<field>_id`, so the object itself is not fetched)."""
    path = relation_path(obj.__class__, label)
    if path is None:
        return None
    if path == "":
        return obj.pk
    *hops, last = path.split("__")
    current: Any = obj
    for hop in hops:
        current = getattr(current, hop, None)
        if current is None:
            return None
    return getattr(current, f"{last}_id", None)


def workshop_of(obj: Any) -> Workshop | None:
    """The workshop an object belongs to (itself for a workshop; None for anything that
    belongs to none)."""
    if not isinstance(obj, models.Model):
        return None
    path = relation_path(obj.__class__, WORKSHOP)
    if path is None:
        return None
    current: Any = obj
    for hop in path.split("__") if path else []:
        current = getattr(current, hop, None)
        if current is None:
            return None
    return current
