"""Review rounds (a paper may be reviewed again after "revise and resubmit") and the
authors' response rounds (issue 27, parts 2 and 3)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from submissions.models import Submission
from workshop.models import Workshop


class ReviewRound(models.Model):
    """A named round of reviewing in a workshop, with its own deadlines.

    Every workshop has round 1 (created by migration 0019 for the workshops that existed,
    and by `review_round_first` on demand); an assignment without a round is of round 1.
    Round 1's empty deadlines are the workshop's review deadline; a later round sets its
    own. A paper reaches a later round through a "revise and resubmit" decision category
    (`DecisionCategory.revise_round`), which opens the round's resubmission window for its
    authors.
    """

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="review_rounds")
    number = models.PositiveSmallIntegerField(help_text="1 for the first round, 2, 3, ...")
    name = models.CharField(max_length=80)
    review_deadline = models.DateTimeField(
        "reviews due",
        null=True,
        blank=True,
        help_text="The advertised deadline, used by the reminders. Empty in round 1: the "
        "workshop's review deadline.",
    )
    review_hard_deadline = models.DateTimeField(
        "reviews refused after",
        null=True,
        blank=True,
        help_text="Not advertised; reviews are accepted until it. Empty: the advertised "
        "deadline plus the workshop's grace period.",
    )
    resubmission_deadline = models.DateTimeField(
        "revised versions due",
        null=True,
        blank=True,
        help_text="Authors of papers sent to this round upload their revised PDF until then.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop", "number"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "number"], name="review_round_number"),
            models.UniqueConstraint(fields=["workshop", "name"], name="review_round_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def due(self) -> dt.datetime:
        """The advertised review deadline of the round."""
        return self.review_deadline or self.workshop.review_deadline

    def refused_after(self) -> dt.datetime:
        """The instant after which the round's reviews are refused (chairs excepted)."""
        return self.review_hard_deadline or self.due() + self.workshop.grace


class PaperRound(models.Model):
    """A paper sent to a later review round (round 1 needs no row: every paper is in it)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="rounds")
    round = models.ForeignKey(ReviewRound, on_delete=models.PROTECT, related_name="papers")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)
    category_name = models.CharField(
        max_length=80, blank=True, help_text="The decision category that sent it."
    )
    previous_paper = models.ForeignKey(
        "submissions.SubmissionFile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The PDF reviewed in the previous round, which the revision is compared to.",
    )

    class Meta:
        ordering = ["submission", "round__number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "round"], name="paper_round_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.submission.number} in {self.round}"


class ResponseRound(models.Model):
    """A named window in which the authors of the papers that match `condition` (a desk
    search, `reviews.search`; empty: every reviewed paper) answer their reviews."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="response_rounds")
    name = models.CharField(max_length=80)
    opens = models.DateTimeField()
    closes = models.DateTimeField("deadline")
    words_soft = models.PositiveIntegerField(
        "word limit (warned)", default=0, help_text="Authors are warned above it. 0: none."
    )
    words_hard = models.PositiveIntegerField(
        "word limit (refused)", default=0, help_text="A longer response is refused. 0: none."
    )
    condition = models.CharField(
        max_length=500,
        blank=True,
        help_text="A desk search choosing the papers that get this round, e.g. "
        "“round:2” or “score:<3”. Empty: every paper under review.",
    )

    class Meta:
        ordering = ["workshop", "opens", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "name"], name="response_round_name"),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="response_round_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name
