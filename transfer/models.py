"""Import and export jobs: one row per upload (or export), run by a Celery task."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models

from workshop.models import Workshop


class JobKind(models.TextChoices):
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"
    RESTORE = "restore", "Restore a workshop from its archive"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed (nothing changed)"


class TransferJob(models.Model):
    """An import (dry run or real) or an export of one workshop.

    `report` holds the outcome: `{"ok": bool, "errors": [{"line", "message"}], "changes":
    [{"line", "action", "object"}], "counts": {...}}`; a dry run's report says what a real
    run would change, and a failed run changed nothing.
    """

    # A restore names no workshop until it has made one (then the one it made).
    workshop = models.ForeignKey(
        Workshop, null=True, blank=True, on_delete=models.CASCADE, related_name="transfer_jobs"
    )
    target_slug = models.SlugField(
        max_length=60, blank=True, help_text="A restore: the new workshop's address."
    )
    kind = models.CharField(max_length=10, choices=JobKind.choices)
    format = models.CharField(max_length=30)
    upload = models.FileField(upload_to="transfer/", blank=True)
    result = models.FileField(upload_to="transfer/", blank=True, help_text="The export.")
    dry_run = models.BooleanField(default=True)
    allow_unsigned = models.BooleanField(
        default=False,
        help_text="A restore: the administrator allowed an archive this deployment did not sign.",
    )
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="An import: what the chair confirmed after the dry run (`score_maps`: each "
        "score field of the other form, value by value, to our question's scale).",
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        mode = " (dry run)" if self.dry_run and self.kind == JobKind.IMPORT else ""
        return f"{self.get_kind_display()} {self.format}{mode} #{self.pk}"

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.status in (JobStatus.DONE, JobStatus.FAILED) else 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class SourceSystem(models.TextChoices):
    HOTCRP = "hotcrp", "HotCRP"
    OPENREVIEW = "openreview", "OpenReview"
    EASYCHAIR = "easychair", "EasyChair"


class SourceRecord(models.Model):
    """Where an imported object came from: the other system and its id there (a HotCRP
    pid, a review's "12A", an OpenReview note id, an EasyChair number), so importing the
    same files again finds the objects it made, and a later file resolves by source id.

    `data` keeps what the record held that has no field here (tags, custom fields, the
    reviewer's e-mail and versions of a review): the chairs' to read, in the admin, and
    never written into text that reviewers or authors read.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="source_records")
    system = models.CharField(max_length=12, choices=SourceSystem.choices)
    kind = models.CharField(max_length=20)  # paper, review, member
    source_id = models.CharField(max_length=200)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workshop", "system", "kind", "source_id"]
        verbose_name = "imported record"
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "system", "kind", "source_id"], name="source_record_unique"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="source_record_object")]

    def __str__(self) -> str:
        return f"{self.get_system_display()} {self.kind} {self.source_id}"
