"""Review forms, reviews with their kept versions, discussion and meta-reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from submissions.models import Submission
from workshop.models import Workshop

from .assignment import Assignment
from .rounds import ReviewRound


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
    round = models.ForeignKey(
        ReviewRound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="questions",
        help_text="Asked in this review round only. Empty: in every round.",
    )

    class Meta:
        ordering = ["workshop", "order", "pk"]

    def __str__(self) -> str:
        return self.label

    def score_labels(self) -> dict[int, str]:
        if self.kind != QuestionKind.SCORE:
            return {}
        return {int(v): str(label) for v, label in self.choices}


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class LlmUse(models.TextChoices):
    """A reviewer's declaration of language-model use in one review (asked when the
    workshop has an LLM policy; which answers a policy accepts is `llm_use_refusal`'s)."""

    NO = "no", "No"
    LANGUAGE = "language", "Yes, for language editing only"
    YES = "yes", "Yes, beyond language editing"


class Review(models.Model):
    """A reviewer's review of one assigned paper. Drafts are seen by the writer and chairs."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    version = models.PositiveIntegerField(default=0, help_text="Submitted versions so far.")
    revision = models.PositiveIntegerField(
        default=0,
        help_text="Saved changes so far (autosaves and submissions). A save names the revision "
        "it was based on, so that a stale browser tab never overwrites a newer text.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed = models.BooleanField(
        default=False,
        help_text="The reviewer signs the review with their name where the workshop publishes "
        "its reviews (open reviewing); otherwise it shows as Reviewer A, B, ...",
    )

    llm_use = models.CharField(
        "LLM use declared",
        max_length=10,
        choices=LlmUse.choices,
        blank=True,
        help_text="The reviewer's answer to the workshop's LLM policy; empty where no policy "
        "asked (or in a draft). Chairs only.",
    )
    llm_statement = models.TextField(
        "statement of LLM use",
        blank=True,
        help_text="How a language model was used (required by the 'with a statement' policy "
        "when the answer is yes). Chairs only.",
    )

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


class CommentAudience(models.TextChoices):
    """Who reads a note of the discussion (its "readers", shown on it)."""

    COMMITTEE = "committee", "The paper's reviewers, area chair and the chairs"
    CHAIRS = "chairs", "Chairs only"


class Comment(models.Model):
    """A note in a paper's discussion, signed with the writer's pseudonym: a thread starts
    with a note without `parent`; replies point at the thread's first note."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_comments"
    )
    signature = models.CharField(max_length=40, help_text="Reviewer B, Area chair, Chair.")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    audience = models.CharField(
        max_length=10, choices=CommentAudience.choices, default=CommentAudience.COMMITTEE
    )

    class Meta:
        ordering = ["submission", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.signature} on #{self.submission.number}"


class PaperVisit(models.Model):
    """When a committee member last opened a paper's forum: what came after is "new"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "submission"], name="paper_visit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} saw #{self.submission.number} at {self.seen_at}"


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
