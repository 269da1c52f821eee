"""Tags and votes on papers (issue 28, part 4), as the committee keeps them.

A tag is a short word a committee member puts on a paper, with an optional value
(`#order#3`): private (only its tagger sees it), for the chairs (only the chairs see and set
it), or shared (the whole committee without a conflict sees it). Nobody reads a tag outside
`reviews.selectors.tags`, under `reviews.view_tags`: authors and conflicted members never
see one. A vote is a tag the chairs open: each member spreads `allowance` votes over papers
(`allotment`), or ranks up to `allowance` papers (`rank`); one `PaperVote` row per member
and paper holds the member's votes (or rank) for it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Coalesce

from submissions.models import Submission
from workshop.models import Workshop

TAG_NAME = r"^[a-z0-9][a-z0-9_.-]{0,39}$"
tag_name_validator = RegexValidator(
    TAG_NAME,
    "A tag is 1 to 40 letters, digits, '_', '.' or '-', starting with a letter or digit.",
)


class TagVisibility(models.TextChoices):
    PRIVATE = "private", "Private (only you)"
    CHAIRS = "chairs", "Chairs only"
    SHARED = "shared", "Shared with the committee"


class PaperTag(models.Model):
    """One tag on one paper. A private tag has its tagger as `owner` (each member has their
    own); a chairs' or shared tag has none (one per paper, name and visibility: a shared
    `#x` and the chairs' `#x` are two tags, so that adding one never reveals the other)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40, validators=[tag_name_validator])
    visibility = models.CharField(max_length=10, choices=TagVisibility.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The tagger of a private tag; empty for chairs' and shared tags.",
    )
    value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["submission", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "submission", "name", "visibility", Coalesce("owner", 0), name="paper_tag_unique"
            ),
            models.CheckConstraint(
                condition=(models.Q(visibility="private") & models.Q(owner__isnull=False))
                | (~models.Q(visibility="private") & models.Q(owner__isnull=True)),
                name="paper_tag_owner_iff_private",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.name}" + (f"#{self.value.normalize():f}" if self.value is not None else "")


class VoteKind(models.TextChoices):
    ALLOTMENT = "allotment", "Spread votes over papers"
    RANK = "rank", "Rank papers"


class Vote(models.Model):
    """A named vote the chairs open on the workshop's papers (a vote tag)."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="votes")
    name = models.CharField(max_length=40, validators=[tag_name_validator])
    kind = models.CharField(max_length=10, choices=VoteKind.choices, default=VoteKind.ALLOTMENT)
    allowance = models.PositiveSmallIntegerField(
        help_text="Votes per member (allotment), or how many papers a member may rank."
    )
    is_open = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop", "name"]
        constraints = [
            models.UniqueConstraint("workshop", "name", name="vote_name_unique"),
            models.CheckConstraint(condition=models.Q(allowance__gte=1), name="vote_allowance"),
        ]

    def __str__(self) -> str:
        return f"vote #{self.name}"


class PaperVote(models.Model):
    """A member's votes for one paper in one vote (allotment: how many, at least 1; rank:
    the paper's place in the member's ranking, 1 the best)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    count = models.PositiveSmallIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["vote", "member", "count", "submission"]
        constraints = [
            models.UniqueConstraint("vote", "submission", "member", name="paper_vote_unique"),
            models.CheckConstraint(condition=models.Q(count__gte=1), name="paper_vote_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.vote}: {self.count} on {self.submission_id}"
