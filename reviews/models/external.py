"""External reviewers (subreviewers, issue 28): a committee member hands one paper to an
outside expert by e-mail.

The request holds the invitation (two single-purpose links, stored as SHA-256 hashes like
the committee's `Invitation`); once accepted, the expert holds an `Assignment` of role
`EXTERNAL` on that one paper, writes the review on the committee's form, and the review
counts (`counts`) once the requester approved it, or at once, as the chairs choose.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from submissions.models import Submission
from workshop.models import Role, Workshop

from .assignment import EXTERNAL, Assignment


class ExternalPolicy(models.TextChoices):
    ALLOWED = "allowed", "Committee members may request external reviewers"
    APPROVAL = "approval", "Committee members may request them, a chair approves each request"
    CHAIRS = "chairs", "Only the chairs and area chairs request external reviewers"


class ExternalCounting(models.TextChoices):
    REQUESTER = "requester", "Once the requester approves the review"
    AT_ONCE = "at_once", "At once, when it is submitted"


class ExternalReviewSettings(models.Model):
    """The chairs' choices about external reviewers, per workshop (defaults when absent)."""

    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, related_name="external_review_settings"
    )
    policy = models.CharField(
        max_length=10, choices=ExternalPolicy.choices, default=ExternalPolicy.ALLOWED
    )
    counting = models.CharField(
        "an external review counts",
        max_length=10,
        choices=ExternalCounting.choices,
        default=ExternalCounting.REQUESTER,
    )
    sees_discussion = models.BooleanField(
        "external reviewers join the discussion",
        default=False,
        help_text="Off: an external reviewer never reads the committee's discussion nor the "
        "other reviews of the paper.",
    )
    emergency_days = models.PositiveSmallIntegerField(
        default=3, help_text="The short deadline of an area chair's emergency reviewer, in days."
    )

    class Meta:
        verbose_name = "external review settings"
        verbose_name_plural = "external review settings"

    def __str__(self) -> str:
        return f"External reviewers of {self.workshop}"


class ExternalStatus(models.TextChoices):
    HELD = "held", "Held for a chair"
    PENDING = "pending", "Invitation sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REFUSED = "refused", "Refused by a chair"
    REVOKED = "revoked", "Withdrawn"


OPEN_STATUSES = (ExternalStatus.HELD, ExternalStatus.PENDING, ExternalStatus.ACCEPTED)


class ExternalReviewRequest(models.Model):
    """One request for an external review of one paper, from its reviewer or area chair."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="external_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_requests_made"
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True, help_text="The requester's words to the expert.")
    emergency = models.BooleanField(default=False, help_text="An area chair's short deadline.")
    due_at = models.DateTimeField(help_text="When the external review is due.")
    status = models.CharField(
        max_length=10, choices=ExternalStatus.choices, default=ExternalStatus.PENDING
    )
    hold_reasons = models.JSONField(
        default=list, blank=True, help_text="Why the request waits for a chair (conflicts found)."
    )
    accept_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    decline_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The chair who released or refused a held request.",
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    assignment = models.OneToOneField(
        Assignment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="external_request",
    )
    counts = models.BooleanField(
        default=False, help_text="The review counts on the desk (approved, or counted at once)."
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["submission", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "email"],
                condition=Q(status__in=["held", "pending", "accepted"]),
                name="external_request_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"External review of #{self.submission.number} by {self.email}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at


def counting_assignments(prefix: str = "") -> Q:
    """The assignments whose reviews count on the desk: the committee's reviewers, and the
    external reviewers whose review was approved (or counts at once). `prefix` reaches the
    assignment from another model ("assignment__", "review__assignment__")."""
    return Q(**{f"{prefix}role": Role.REVIEWER}) | Q(
        **{f"{prefix}role": EXTERNAL, f"{prefix}external_request__counts": True}
    )
