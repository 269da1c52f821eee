"""What the chairs are told about a review and nobody else is: its flags (issue 26).

A flag says that a review (or a discussion comment) looks untrustworthy and what it
matches: the canary phrase hidden in a reviewer's copy of the paper, another review it
nearly copies, the paper's own abstract, or too few words. Flags are written only by
`reviews.services.flags.review_flag_raise` and read only through
`reviews.selectors.flags.review_flags_for`, under `reviews.view_review_flags` (the
workshop's chairs): a reviewer never learns that their review was flagged, an author never
sees a flag.

`ReviewSignature` and `ReviewBand` are what makes the copy check cost the same whatever the
size of the workshop: the MinHash signature of a submitted review's free text, and its LSH
band keys, indexed by workshop, so the reviews that may be near copies of a new one are
found with one indexed lookup instead of a comparison with every review.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce

from submissions.models import Submission
from workshop.models import Workshop

from .reviewing import Comment, Review


class FlagKind(models.TextChoices):
    CANARY = "canary", "The review contains this reviewer's copy's canary phrase"
    CANARY_COPY = "canary_copy", "The review contains another reviewer's copy's canary phrase"
    NEAR_COPY = "near_copy", "The review is a near copy of another review"
    ABSTRACT_COPY = "abstract_copy", "The review is mostly the paper's own abstract"
    TOO_SHORT = "too_short", "The review's free text is shorter than the workshop's minimum"


class ReviewFlag(models.Model):
    """One finding about one review or comment, for the chairs only.

    Raising the same finding again (a review re-submitted with the same text) finds the
    existing row: one flag per (review, comment, kind, matched review). `detail` says what
    was matched in words and figures (similarity, words counted, the phrase's owner as a
    pseudonym); rows it names are foreign keys, so that an archive restores them.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="flags")
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    matched_review = models.ForeignKey(
        Review,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The review this one nearly copies (near_copy).",
    )
    copy_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The reviewer whose copy of the paper carries the canary phrase found.",
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        constraints = [
            # One row per finding; an absent link counts as 0 so that it compares equal.
            models.UniqueConstraint(
                Coalesce("review", 0),
                Coalesce("comment", 0),
                "kind",
                Coalesce("matched_review", 0),
                Coalesce("copy_owner", 0),
                name="review_flag_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (#{self.submission_id})"


class ReviewSignature(models.Model):
    """The MinHash signature of a submitted review's free-text answers (word 5-shingles),
    rewritten on each submission. `words` is how many words those answers hold."""

    review = models.OneToOneField(
        Review, on_delete=models.CASCADE, primary_key=True, related_name="signature"
    )
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="+")
    minhash = models.JSONField(help_text="The signature: one minimum per hash function.")
    words = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Signature of review {self.review_id}"


class ReviewBand(models.Model):
    """One LSH band key of a signature: two reviews that share a key are candidates for a
    near copy (checked on their signatures)."""

    signature = models.ForeignKey(ReviewSignature, on_delete=models.CASCADE, related_name="bands")
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["workshop", "key"], name="review_band_lookup")]

    def __str__(self) -> str:
        return f"Band {self.key} of review {self.signature_id}"
