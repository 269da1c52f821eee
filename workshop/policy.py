"""The policy layer: every rule of the domain is a named permission, asked the same way.

Each app declares its permissions in its own `permissions.py` with django-rules
(`rules.add_perm("submissions.edit", is_contact_author & edits_open)`): identity, phase and
release rules are predicates there and nowhere else. Everything that asks (views, templates
through `{% can %}`, the admin, services, tasks, management commands) goes through
`can` / `require` below, never through ad-hoc conditions.

Services resolve access themselves from `(actor, object)`: `require(actor, "x.see", obj)`
turns "may not know it exists" into `NotFound` (404), then `require(actor, "x.do", obj)`
turns "may see but not do" into `NotAllowed` (403). Actors without a person (imports,
management commands, beat) act as `SYSTEM`, which every rule treats like a chair of every
workshop and which the activity log records as "system".
"""

from __future__ import annotations

from typing import Any

import rules
from django.contrib.auth.models import AnonymousUser

from .errors import DeadlinePassed, NotAllowed, NotFound, ServiceError


class SystemActor(AnonymousUser):
    """The actor of work nobody clicked: imports, management commands, periodic tasks.

    It is authenticated and a superuser for the rules, has no primary key (the activity
    log stores no user for it) and is never a reviewer or an author of anything.
    """

    is_system = True

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False

    is_superuser = True
    is_staff = True

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def can(user: Any, perm: str, obj: Any = None) -> bool:
    """Whether `user` holds the named permission on `obj`, at this moment."""
    if perm not in rules.permissions.permissions:
        raise KeyError(f"No such permission: {perm}")
    return rules.has_perm(perm, user, obj)


def require(
    user: Any,
    perm: str,
    obj: Any = None,
    *,
    message: str = "You are not allowed to do this.",
    error: type[ServiceError] = NotAllowed,
) -> None:
    """Raise `error(message)` unless `user` holds `perm` on `obj`.

    Use a `*.view`/`*.see` permission with `error=NotFound` first where the actor may not
    even know the object exists; then the action's own permission.
    """
    if not can(user, perm, obj):
        raise error(message)


def require_visible(user: Any, perm: str, obj: Any = None) -> None:
    """404 for objects the actor may not know exist."""
    require(user, perm, obj, message="Not found.", error=NotFound)


def require_open(user: Any, perm: str, obj: Any = None, *, message: str) -> None:
    """403 for a phase that has closed (the rule names the window, the message says it)."""
    require(user, perm, obj, message=message, error=DeadlinePassed)


def permission_names() -> list[str]:
    """Every named permission of the project (for the matrix test and the docs)."""
    return sorted(
        name
        for name in rules.permissions.permissions
        if name.split(".", 1)[0]
        in {"workshop", "submissions", "reviews", "decisions", "programme", "api", "transfer"}
    )
