"""Ratings of reviews (issue 28, part 2): was this review helpful?

The chairs and the paper's area chair rate a submitted review (and the authors, once the
reviews are released, where the workshop lets them): helpful or not, with an optional
reason. One rating per rater and review, changed in place. The review's writer reads the
ratings of their reviews without the raters' names; the chairs read every reviewer's record.
Read only through `reviews.selectors.ratings`, written only by `reviews.services.ratings`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workshop.models import Workshop

from .reviewing import Review


class ReviewRating(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint("review", "rater", name="review_rating_unique"),
        ]

    def __str__(self) -> str:
        return f"{'Helpful' if self.helpful else 'Not helpful'} (review {self.review_id})"


class RatingSettings(models.Model):
    """The workshop's choice about ratings: whether the authors may rate the reviews of
    their papers once they are released (no row: they may not)."""

    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, primary_key=True, related_name="rating_settings"
    )
    authors_rate = models.BooleanField(
        "authors rate reviews",
        default=False,
        help_text="The authors may rate the reviews of their paper once reviews are released.",
    )

    def __str__(self) -> str:
        return f"Rating settings of {self.workshop_id}"
