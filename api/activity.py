"""The API app's activity names (declared: `workshop.activity` refuses others)."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    TOKEN_CREATE = "api_token.create", "API token created"
    TOKEN_REVOKE = "api_token.revoke", "API token revoked"
