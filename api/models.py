"""Personal API tokens: stored hashed, limited to chosen workshops, read-only or read-write."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from workshop.models import Workshop

TOKEN_PREFIX = "wsk"


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read-write", "Read and write"


class TransferScope(models.TextChoices):
    """A token's reach into import and export jobs, granted apart from its read or write
    scope: a job moves a whole workshop's data (an export holds every identity), so a
    script that reads or writes reviews does not get it by default."""

    NONE = "", "No imports or exports"
    READ = "transfer:read", "Read import and export jobs, download exports"
    WRITE = "transfer:write", "Run imports and exports (upload, dry run, apply, export)"


def secret_hash(secret: str) -> str:
    """SHA-256 of the whole secret: the database never holds the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that acts as its user, narrowed to its workshops and its scope.

    The secret (`wsk_<prefix>_<random>`) is shown once, when it is created; the prefix is
    kept in clear so that lists can name the token, the rest only as its SHA-256.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. a script.")
    prefix = models.CharField(max_length=16, unique=True)
    hashed_secret = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=20, choices=TokenScope.choices, default=TokenScope.READ)
    transfer = models.CharField(
        max_length=20, choices=TransferScope.choices, default=TransferScope.NONE, blank=True,
        help_text="Import and export jobs: none, read, or write (a read-write token only).",
    )  # fmt: skip
    workshops = models.ManyToManyField(Workshop, related_name="+")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE

    @property
    def can_read_transfers(self) -> bool:
        return self.transfer in (TransferScope.READ, TransferScope.WRITE)

    @property
    def can_run_transfers(self) -> bool:
        return self.transfer == TransferScope.WRITE and self.can_write
