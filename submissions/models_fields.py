"""Custom submission fields (issue 27): questions a workshop's chairs add to the form.

A `SubmissionField` is one question (its kind, whether it is required, when it is shown,
until which milestone the authors may change it, who may read the answers); a
`SubmissionFieldValue` is one paper's answer. Imported by `submissions.models`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from workshop.models import Workshop

from .models import Submission, SubmissionType


class FieldKind(models.TextChoices):
    CHECKBOX = "checkbox", "Checkbox (yes / no)"
    CHECKBOXES = "checkboxes", "Checkboxes (several choices)"
    RADIO = "radio", "Single choice (radio buttons)"
    SELECT = "select", "Single choice (drop-down)"
    TEXT = "text", "Short text"
    LONG_TEXT = "long_text", "Long text (word limits)"
    NUMBER = "number", "Number"
    URL = "url", "URL"
    ATTACHMENT = "attachment", "Attachment (PDF or ZIP)"


# The kinds whose answer is one of `choices` (or several of them).
CHOICE_KINDS_VALUES = (FieldKind.CHECKBOXES, FieldKind.RADIO, FieldKind.SELECT)


class FieldMilestone(models.TextChoices):
    """Until when the authors may change an answer (the milestone's instant, grace included)."""

    ABSTRACT = "abstract_deadline", "Abstract deadline"
    PAPER = "paper_deadline", "Paper deadline"
    SUPPLEMENTARY = "supplementary_deadline", "Supplementary deadline"
    CAMERA_READY = "camera_ready_deadline", "Camera-ready deadline"


class FieldVisibility(models.TextChoices):
    """Who reads the answers besides the paper's authors and the chairs."""

    REVIEWERS = "reviewers", "Reviewers (and chairs)"
    CHAIRS = "chairs", "Chairs only"
    PUBLIC = "public", "Public on accepted papers (and reviewers)"


class SubmissionField(models.Model):
    """One question of a workshop's submission form, defined by its chairs."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="submission_fields"
    )
    code = models.SlugField(
        max_length=40,
        help_text="Short name used in the search (field:code-link:yes), the CSV and the API.",
    )
    label = models.CharField(max_length=200)
    help_text = models.CharField("help", max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=FieldKind.choices)
    choices = models.TextField(
        blank=True, help_text="For checkboxes and single choices: one choice per line."
    )
    required = models.BooleanField(default=False)
    submission_types = models.ManyToManyField(
        SubmissionType,
        blank=True,
        related_name="+",
        help_text="Asked only of papers of these types (none: every paper).",
    )
    condition_field = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="shown only when field",
    )
    condition_value = models.CharField(
        "has the answer",
        max_length=200,
        blank=True,
        help_text="A choice of that field, 'yes' for a checkbox, or empty for any answer.",
    )
    soft_word_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Long text: more words are accepted with a warning."
    )
    hard_word_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Long text: more words are refused."
    )
    editable_until = models.CharField(
        max_length=30, choices=FieldMilestone.choices, default=FieldMilestone.PAPER
    )
    visibility = models.CharField(
        max_length=20, choices=FieldVisibility.choices, default=FieldVisibility.REVIEWERS
    )
    identifying = models.BooleanField(
        default=False,
        help_text="Could reveal the authors: hidden from reviewers under double-blind.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["workshop", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "code"], name="subfield_unique_code"),
            models.CheckConstraint(
                condition=Q(soft_word_limit__isnull=True)
                | Q(hard_word_limit__isnull=True)
                | Q(soft_word_limit__lte=F("hard_word_limit")),
                name="subfield_soft_under_hard",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.splitlines() if c.strip()]


def _attachment_name(instance: SubmissionFieldValue, filename: str) -> str:
    """A generated name: the uploader's file name never reaches storage or reviewers."""
    ext = ".zip" if instance.content_type == "application/zip" else ".pdf"
    return f"field-files/{instance.field.workshop_id}/{uuid.uuid4().hex}{ext}"


class SubmissionFieldValue(models.Model):
    """One paper's answer to one custom field. Which column holds it follows the kind:
    `text` (texts, URLs, single choices, "yes" for a ticked checkbox), `number`, `items`
    (checkboxes), `file` (attachments, with the checked file's facts)."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="field_values"
    )
    field = models.ForeignKey(SubmissionField, on_delete=models.CASCADE, related_name="values")
    text = models.TextField(blank=True)
    number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    items = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to=_attachment_name, blank=True, max_length=200)
    content_type = models.CharField(max_length=60, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["submission", "field__order", "field_id"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "field"], name="subfieldvalue_unique")
        ]
        indexes = [models.Index(fields=["field", "number"], name="subfieldvalue_number")]

    def __str__(self) -> str:
        return f"{self.field.code} of #{self.submission.number}"

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.number is not None or self.items or self.file)

    @property
    def display(self) -> str:
        """The answer in plain words (an attachment: its size)."""
        kind = self.field.kind
        if kind == FieldKind.CHECKBOX:
            return "Yes" if self.text else "No"
        if kind == FieldKind.CHECKBOXES:
            return ", ".join(self.items)
        if kind == FieldKind.NUMBER:
            return "" if self.number is None else _number_text(self.number)
        if kind == FieldKind.ATTACHMENT:
            return f"attachment ({self.size:,} bytes)" if self.file else ""
        return self.text


def _number_text(number: Decimal) -> str:
    """12.5000 → 12.5; 100.0000 → 100."""
    return format(number.normalize(), "f")
