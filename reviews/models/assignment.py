"""Assignments and the matching runs that propose them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from submissions.models import Submission
from workshop.models import Role, Workshop

from .rounds import ReviewRound

# The role of an external reviewer's assignment (issue 28): one paper, no membership.
EXTERNAL = "external"
ASSIGNMENT_ROLES = [
    (Role.REVIEWER.value, Role.REVIEWER.label),
    (Role.AREA_CHAIR.value, Role.AREA_CHAIR.label),
    (EXTERNAL, "External reviewer"),
]


class Assignment(models.Model):
    """A reviewer (or area chair) assigned to a paper.

    A database trigger (migration 0002) refuses a row whose reviewer is an author of the
    paper, by any verified address, whatever the heuristics or the UI say.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    role = models.CharField(
        max_length=20,
        choices=ASSIGNMENT_ROLES,
        default=Role.REVIEWER,
    )
    locked = models.BooleanField(default=False, help_text="Kept by every matching run.")
    pseudonym = models.CharField(
        max_length=3, blank=True, help_text="Reviewer A, B, ...: stable per paper."
    )
    round = models.ForeignKey(
        ReviewRound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
        help_text="Empty: round 1. A paper sent to a later round is assigned again in it.",
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "role", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "reviewer", "role", "round"],
                name="assignment_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [models.Index(fields=["reviewer", "role"], name="assignment_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} on #{self.submission.number}"

    @property
    def display_name(self) -> str:
        if self.role == Role.AREA_CHAIR:
            return "Area chair"
        if self.role == EXTERNAL:
            return f"External reviewer {self.pseudonym}".rstrip()
        return f"Reviewer {self.pseudonym}" if self.pseudonym else "Reviewer"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready for review"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    COMMITTED = "committed", "Committed"


class MatchMode(models.TextChoices):
    MAX_TOTAL = "max_total", "Best total fit (exact)"
    FAIR = "fair", "Fair: raise the worst-served paper first"
    RANDOMIZED = "randomized", "Randomized: cap every pair's probability"


class MatchingRun(models.Model):
    """One run of the matching engine: its parameters, progress and proposed assignment.

    Nothing is assigned until a chair commits the run. `result` holds the proposed pairs
    (submission id, reviewer id, affinity) and the figures of the preview.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="matching_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    mode = models.CharField(max_length=20, choices=MatchMode.choices, default=MatchMode.MAX_TOTAL)
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    baseline = models.JSONField(
        default=list, help_text="The assignment when the run started: [[submission, reviewer]]."
    )
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workshop", "-created_at"]
        verbose_name = "assignment run"

    def __str__(self) -> str:
        return f"Run {self.pk} · {self.get_mode_display()} · {self.workshop.short_name}"
