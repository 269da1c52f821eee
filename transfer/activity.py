"""The transfer app's activity names (declared: `workshop.activity` refuses others)."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    IMPORT = "transfer.import", "Imported"
    EXPORT = "transfer.export", "Exported"
    RESTORE = "transfer.restore", "Restored from an archive"
    TOPIC_IMPORT = "topic.import", "Topics imported"
