"""DRF permission classes: only the transport's concerns (signed in; the token's scope).

Every rule of the domain is asked through `api.access` with the named permissions of the
apps; these classes never decide who may do what to an object.
"""

from __future__ import annotations

from rest_framework import exceptions, permissions

from .access import token_of


class TokenReadOnly(exceptions.PermissionDenied):
    default_detail = "This token is read-only: create a read-write token to make changes."
    default_code = "token_read_only"


class TokenScopeAllows(permissions.BasePermission):
    """A read-only token may only read (403 `token_read_only` on any write)."""

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None or request.method in permissions.SAFE_METHODS or token.can_write:
            return True
        raise TokenReadOnly()


class TokenTransferScope(exceptions.PermissionDenied):
    default_detail = (
        "This token has no transfer scope for this: import and export jobs need a token "
        "with transfer:read (to read them) or transfer:write (to run them)."
    )
    default_code = "token_transfer_scope"


class TransferScopeAllows(permissions.BasePermission):
    """Import and export jobs: a token reads them with `transfer:read` (or write) and runs
    them with `transfer:write` (403 `token_transfer_scope` otherwise). A browser session
    has no token: the chairs' own permissions decide, as in the admin."""

    def has_permission(self, request, view) -> bool:
        token = token_of(request)
        if token is None:
            return True
        if request.method in permissions.SAFE_METHODS:
            allowed = token.can_read_transfers
        else:
            allowed = token.can_run_transfers
        if not allowed:
            raise TokenTransferScope()
        return True
