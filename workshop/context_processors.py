"""What the navigation shows: only what the signed-in person can do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .models import Role
from .selectors import roles_by_workshop


def navigation(request: HttpRequest) -> dict[str, Any]:
    def compute() -> dict[str, bool]:
        user = request.user
        roles = set().union(*roles_by_workshop(user).values()) if user.is_authenticated else set()
        return {
            "reviewing": bool(roles & {Role.REVIEWER, Role.AREA_CHAIR}),
            "chair": user.is_authenticated and (user.is_superuser or Role.CHAIR in roles),
        }

    return {"nav": SimpleLazyObject(compute)}
