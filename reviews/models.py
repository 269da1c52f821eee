"""The programme committee: invitations, reviewer profiles, bids, conflicts, assignments."""

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
                condition=Q(status="pending"),
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
        choices=[(Role.REVIEWER, Role.REVIEWER.label), (Role.AREA_CHAIR, Role.AREA_CHAIR.label)],
        default=Role.REVIEWER,
    )
    locked = models.BooleanField(default=False, help_text="Kept by every matching run.")
    pseudonym = models.CharField(
        max_length=3, blank=True, help_text="Reviewer A, B, ...: stable per paper."
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
                fields=["submission", "reviewer", "role"], name="assignment_unique"
            )
        ]
        indexes = [models.Index(fields=["reviewer", "role"], name="assignment_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} on #{self.submission.number}"

    @property
    def display_name(self) -> str:
        if self.role == Role.AREA_CHAIR:
            return "Area chair"
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
        return f"Run {self.pk} ({self.get_mode_display()}) of {self.workshop}"


class QuestionKind(models.TextChoices):
    SCORE = "score", "Score on a labelled scale"
    CHOICE = "choice", "Single choice"
    TEXT = "text", "Text (Markdown and math)"
    CHECKBOX = "checkbox", "Checkbox"


class QuestionVisibility(models.TextChoices):
    AUTHORS = "authors", "Authors and committee"
    COMMITTEE = "committee", "Committee only"
    CHAIRS = "chairs", "Chairs only"


class ReviewQuestion(models.Model):
    """One question of a workshop's review form, configured by the chairs.

    Answers point at the question they answered; a question that has answers is retired
    (`active=False`) rather than deleted, so changing the form never loses an answer.
    """

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="review_questions"
    )
    label = models.CharField(max_length=200)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(
        default=list,
        blank=True,
        help_text='Score: [[5, "Strong accept"], [4, "Accept"], ...]. Choice: ["A", "B", ...].',
    )
    required = models.BooleanField(default=True)
    visibility = models.CharField(
        max_length=10, choices=QuestionVisibility.choices, default=QuestionVisibility.AUTHORS
    )
    order = models.PositiveSmallIntegerField(default=0)
    is_recommendation = models.BooleanField(
        default=False, help_text="The overall score used by the decision board."
    )
    is_confidence = models.BooleanField(default=False, help_text="The reviewer's confidence.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["workshop", "order", "pk"]

    def __str__(self) -> str:
        return self.label

    def score_labels(self) -> dict[int, str]:
        return {int(v): str(label) for v, label in self.choices} if self.kind == "score" else {}


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Review(models.Model):
    """A reviewer's review of one assigned paper. Drafts are seen by the writer and chairs."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=0, help_text="Submitted versions so far.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assignment"]

    def __str__(self) -> str:
        return f"Review of {self.assignment}"


class Answer(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(ReviewQuestion, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "question"], name="answer_unique")]

    def __str__(self) -> str:
        return f"{self.question}: {self.value}"


class ReviewVersion(models.Model):
    """Every submitted version of a review, kept as it was."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    answers = models.JSONField(help_text="{question id: value} at submission.")
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="review_version_unique")
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.review}"


class Comment(models.Model):
    """A message in a paper's discussion, signed with the writer's pseudonym."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_comments"
    )
    signature = models.CharField(max_length=40, help_text="Reviewer B, Area chair, Chair.")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.signature} on #{self.submission.number}"


class MetaRecommendation(models.TextChoices):
    ACCEPT = "accept", "Accept"
    WEAK_ACCEPT = "weak_accept", "Weak accept"
    BORDERLINE = "borderline", "Borderline"
    WEAK_REJECT = "weak_reject", "Weak reject"
    REJECT = "reject", "Reject"


class MetaReview(models.Model):
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="meta_review"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recommendation = models.CharField(max_length=15, choices=MetaRecommendation.choices)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Meta-review of #{self.submission.number}"
