"""The programme committee: invitations, profiles, bids, declared and chair-set conflicts."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from submissions.models import Submission
from workshop.models import Role, Topic, Workshop


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    REVOKED = "revoked", "Revoked"


class Invitation(models.Model):
    """An invitation to join a workshop's committee.

    The mail carries two single-purpose links (accept, decline); only their SHA-256 hashes
    are stored, so a database leak reveals no usable link. A link works once, before
    `expires_at`, and only while the invitation is pending.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(
        max_length=20,
        choices=[(Role.REVIEWER, Role.REVIEWER.label), (Role.AREA_CHAIR, Role.AREA_CHAIR.label)],
        default=Role.REVIEWER,
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    accept_hash = models.CharField(max_length=64, unique=True)
    decline_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_count = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accepted_invitations",
    )
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["workshop", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "email", "role"],
                condition=Q(status=InvitationStatus.PENDING),
                name="invitation_one_pending_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()} of {self.workshop}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class ExpertiseLevel(models.TextChoices):
    EXPERT = "expert", "Expert"
    KNOWLEDGEABLE = "knowledgeable", "Knowledgeable"
    NONE = "none", "Not my area"


class ReviewerProfile(models.Model):
    """What a committee member knows and how much they can take, per workshop."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="reviewer_profiles"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profiles"
    )
    expertise_text = models.TextField(
        blank=True,
        help_text="Titles and abstracts of your own papers, one per line, or pasted freely.",
    )
    dblp_url = models.URLField("DBLP", blank=True)
    semantic_scholar_url = models.URLField("Semantic Scholar", blank=True)
    openreview_url = models.URLField("OpenReview", blank=True)
    requested_max_load = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Ask for fewer papers than the default."
    )
    load_request_approved = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workshop", "user"]
        constraints = [models.UniqueConstraint(fields=["workshop", "user"], name="profile_unique")]

    def __str__(self) -> str:
        return f"Profile of {self.user} in {self.workshop}"

    @property
    def max_load(self) -> int:
        """The load the matcher uses: a lower request counts once a chair approved it."""
        default = self.workshop.reviewer_max_load
        if self.requested_max_load is not None and self.load_request_approved:
            return min(self.requested_max_load, default)
        return default


class TopicExpertise(models.Model):
    profile = models.ForeignKey(ReviewerProfile, on_delete=models.CASCADE, related_name="topics")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=15, choices=ExpertiseLevel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "topic"], name="expertise_unique")
        ]

    def __str__(self) -> str:
        return f"{self.topic}: {self.get_level_display()}"


class BidValue(models.TextChoices):
    EAGER = "eager", "Eager"
    WILLING = "willing", "Willing"
    NEUTRAL = "neutral", "Neutral"
    NOT_WILLING = "not_willing", "Not willing"
    CONFLICT = "conflict", "In conflict"


POSITIVE_BIDS = (BidValue.EAGER, BidValue.WILLING)


class Bid(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="bids")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bids"
    )
    value = models.CharField(max_length=15, choices=BidValue.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["submission", "user"], name="bid_unique")]
        indexes = [models.Index(fields=["user", "value"], name="bid_user_value")]

    def __str__(self) -> str:
        return f"{self.user} → #{self.submission.number}: {self.get_value_display()}"


class DeclarationKind(models.TextChoices):
    PERSON = "person", "Person"
    INSTITUTION = "institution", "Institution"


class ConflictDeclaration(models.Model):
    """A reviewer names a person (by email or name) or an institution they conflict with."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    kind = models.CharField(max_length=12, choices=DeclarationKind.choices)
    value = models.CharField(max_length=200, help_text="An email, a full name or an institution.")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "user", "kind", "value"], name="declaration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class ConflictOverride(models.Model):
    """A chair's word on one pair: force a conflict, or lift a heuristic one.

    Authorship can never be lifted. Every change is also written to the audit log.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="conflict_overrides"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conflicted = models.BooleanField(help_text="True: conflict set; False: conflict lifted.")
    reason = models.CharField(max_length=300)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "user"], name="override_unique")
        ]

    def __str__(self) -> str:
        return f"{'Conflict set' if self.conflicted else 'Conflict lifted'}: {self.user}"
