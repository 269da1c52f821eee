"""Every state change of API tokens. Each function states its side effects."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import NotFound, ServiceError
from workshop.models import User, Workshop

from .models import TOKEN_PREFIX, ApiToken, TokenScope, TransferScope, secret_hash
from .selectors import token_workshops_for

MAX_LIFETIME = dt.timedelta(days=366)


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str,
    workshops: Iterable[Workshop],
    scope: str = TokenScope.READ,
    transfer: str = TransferScope.NONE,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user`, limited to `workshops` (each one the user is a member or an
    author of), with `scope`, a `transfer` scope (import and export jobs; running them needs
    a read-write token) and an expiry (default 90 days, at most a year).

    Returns the token and its secret, which is never stored and cannot be shown again.
    Side effects: one `api_token.create` activity entry (no workshop: it is personal).
    """
    if not getattr(user, "pk", None) or not user.is_authenticated:
        raise ServiceError("Sign in to create a token.")
    chosen = list(workshops)
    if not chosen:
        raise ServiceError("Choose at least one workshop: a token reaches only those.")
    allowed = set(token_workshops_for(user).values_list("pk", flat=True))
    if any(w.pk not in allowed for w in chosen):
        raise ServiceError("A token reaches only workshops you are a member or an author of.")
    if scope not in TokenScope.values:
        raise ServiceError("Unknown scope.")
    if transfer not in TransferScope.values:
        raise ServiceError("Unknown transfer scope: none, transfer:read or transfer:write.")
    if transfer == TransferScope.WRITE and scope != TokenScope.READ_WRITE:
        raise ServiceError("A read-only token cannot run imports or exports: choose read and "
                           "write, or transfer:read.")  # fmt: skip
    now = timezone.now()
    expires_at = expires_at or now + dt.timedelta(days=90)
    if expires_at <= now:
        raise ServiceError("The expiry must be in the future.")
    if expires_at > now + MAX_LIFETIME:
        raise ServiceError("A token lives at most one year.")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "API token",
        prefix=prefix,
        hashed_secret=secret_hash(secret),
        scope=scope,
        transfer=transfer,
        expires_at=expires_at,
    )
    token.workshops.set(chosen)
    activity_record(
        actor=user,
        action="api_token.create",
        target=token,
        summary=f"API token {token.name!r} created ({token.get_scope_display().lower()}, "
        f"{', '.join(w.short_name for w in chosen)})",
        after={"scope": scope, "transfer": transfer, "workshops": sorted(w.pk for w in chosen)},
    )
    return token, secret


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (others' tokens answer NotFound); revoking twice
    changes nothing. Side effects: one `api_token.revoke` activity entry."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user_id=user.pk).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    activity_record(
        actor=user,
        action="api_token.revoke",
        target=token,
        summary=f"API token {token.name!r} revoked",
    )
    return token


def token_used(*, token: ApiToken, now: dt.datetime) -> None:
    """Note when a token was last used (at most once per `LAST_USED_RESOLUTION`, which
    the caller checks): the token page shows it, so a forgotten token is found."""
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
