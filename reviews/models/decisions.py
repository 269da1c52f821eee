"""Decisions, their categories and mails, and the authors' responses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from submissions.models import Submission
from workshop.models import Workshop

from .reviewing import Review
from .rounds import ReviewRound


class Outcome(models.TextChoices):
    ACCEPT = "accept", "Accept"
    REJECT = "reject", "Reject"
    DESK_REJECT = "desk_reject", "Desk reject"


class DecisionCategory(models.Model):
    """A decision the chairs can take, e.g. "Accept (oral)", "Accept (poster)", "Reject"."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="decision_categories"
    )
    name = models.CharField(max_length=80)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    order = models.PositiveSmallIntegerField(default=0)
    revise_round = models.ForeignKey(
        ReviewRound,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="revise and resubmit into",
        help_text="Marks the category “revise and resubmit”: instead of deciding, it sends the "
        "paper to this review round and opens the round's resubmission window for its authors.",
    )
    mail_subject = models.CharField(
        max_length=200, default="[{workshop}] Decision on paper #{number}: {decision}"
    )
    mail_body = models.TextField(
        default="Dear authors,\n\nthe programme committee of {workshop} has decided on your "
        'paper #{number}, "{title}":\n\n    {decision}\n\n{reviews}\nThe reviews and the '
        "next steps are on your paper's page:\n\n    {link}\n\nThe chairs",
        help_text="Placeholders: {workshop} {number} {title} {decision} {authors} {reviews} {link}",
    )

    class Meta:
        ordering = ["workshop", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="decision_category_unique")
        ]
        verbose_name_plural = "decision categories"

    def __str__(self) -> str:
        return self.name


class Decision(models.Model):
    """The chairs' decision on a paper. `version` counts changes; the decision mails point
    at this row (`OutgoingMail.target`), and those created since `decided_at` are the mails
    of the current version (never two contradictory mails)."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="decision")
    category = models.ForeignKey(DecisionCategory, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(
        default=timezone.now, help_text="When the current decision (this version) was taken."
    )
    version = models.PositiveIntegerField(default=1)
    mail_includes_reviews = models.BooleanField(
        default=True, help_text="The chairs' choice when the decision mails were composed."
    )

    def __str__(self) -> str:
        return f"#{self.submission.number}: {self.category}"


class DecisionBoard(Submission):
    """The submissions seen as the chairs' decision board (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "decision"
        verbose_name_plural = "decision board"


class AuthorResponse(models.Model):
    """The authors' reply during the rebuttal window: per review, or one for all (review
    empty)."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="author_responses"
    )
    review = models.ForeignKey(
        Review, null=True, blank=True, on_delete=models.CASCADE, related_name="author_responses"
    )
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "review"], name="response_unique_per_review"
            ),
            models.UniqueConstraint(
                fields=["submission"],
                condition=Q(review__isnull=True),
                name="response_unique_general",
            ),
        ]

    def __str__(self) -> str:
        return f"Author response on #{self.submission.number}"


class SavedSearch(models.Model):
    """A named search of the decision board (`workshop.search` language), shared by the
    workshop's chairs, as in HotCRP."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workshop", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="saved_search_unique")
        ]
        verbose_name_plural = "saved searches"

    def __str__(self) -> str:
        return self.name
