"""The submissions app's activity names (declared: `workshop.activity` refuses others)."""

from __future__ import annotations

from django.db import models

from .models import SubmissionAction  # the paper's own history, which its authors read

__all__ = ["Action", "SubmissionAction"]


class Action(models.TextChoices):
    """The submissions app's other names (not part of the history the authors read)."""

    IMPORT_UPDATE = "submission.import_update", "Updated by an import"
    PROCEEDINGS_REQUEST = "proceedings.request", "Proceedings bundle requested"
