"""Ratings of reviews (issue 28, part 2): the one writer of `ReviewRating` and
`RatingSettings`.

A rating says whether a review helped (with an optional reason). The activity entry of a
rating names the review's paper and pseudonym, never the rater in its summary, and is
hidden from the authors; the reviewer reads the ratings of their reviews through
`reviews.selectors.ratings`, without the raters' names.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from workshop.activity import activity_record
from workshop.errors import NotAllowed, NotFound, ServiceError
from workshop.models import Workshop
from workshop.policy import can, require

from ..models import RatingSettings, Review, ReviewRating

MAX_REASON = 500


def _require_rate(actor: Any, review: Review) -> None:
    """404 for whoever may not read the review at all, 403 for a reader who may not rate."""
    if can(actor, "reviews.rate_review", review):
        return
    paper = review.assignment.submission
    if not (can(actor, "reviews.see_review", review) or can(actor, "reviews.read_released", paper)):
        raise NotFound("No such review.")
    if review.assignment.reviewer_id == getattr(actor, "pk", None):
        raise NotAllowed("You cannot rate your own review.")
    require(actor, "reviews.rate_review", review,
            message="Only the chairs and the paper's area chair rate this review.")  # fmt: skip


@transaction.atomic
def review_rate(
    *, actor: Any, review: Review, helpful: bool | None, reason: str = ""
) -> ReviewRating | None:
    """The actor's rating of a submitted review: helpful (True), not helpful (False), or
    taken back (None); `reason` optional, at most 500 characters. One rating per rater and
    review, changed in place. Asks `reviews.rate_review` (404 for those who may not read
    the review).

    Side effects: the rating; one `review.rate` activity entry when something changed
    (hidden from the authors).
    """
    _require_rate(actor, review)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ServiceError(f"The reason is at most {MAX_REASON} characters.")
    if helpful is not None and not isinstance(helpful, bool):
        raise ServiceError("Rate the review helpful or not helpful.")
    rating = ReviewRating.objects.select_for_update().filter(review=review, rater=actor).first()
    before = {"helpful": rating.helpful, "reason": rating.reason} if rating else None
    paper = review.assignment.submission
    who = f"#{paper.number} Reviewer {review.assignment.pseudonym}"
    if helpful is None:
        if rating is None:
            return None
        rating.delete()
        rating, summary, after = None, f"Rating of {who}'s review taken back", None
    else:
        if rating is not None and (rating.helpful, rating.reason) == (helpful, reason):
            return rating
        rating, _ = ReviewRating.objects.update_or_create(
            review=review, rater=actor, defaults={"helpful": helpful, "reason": reason}
        )
        word = "helpful" if helpful else "not helpful"
        summary, after = f"Review of {who} rated {word}", {"helpful": helpful, "reason": reason}
    activity_record(actor=actor, action="review.rate", target=review, summary=summary,
                    before=before, after=after, authors_see=False)  # fmt: skip
    return rating


@transaction.atomic
def rating_settings_set(*, actor: Any, workshop: Workshop, authors_rate: bool) -> RatingSettings:
    """Whether the authors may rate the released reviews of their papers. Asks
    `workshop.manage`. Side effects: one `workshop.rating_settings` activity entry when it
    changed."""
    require(actor, "workshop.manage", workshop, message="Only the chairs change this.")
    settings_row, _ = RatingSettings.objects.select_for_update().get_or_create(workshop=workshop)
    if settings_row.authors_rate == authors_rate:
        return settings_row
    settings_row.authors_rate = authors_rate
    settings_row.save(update_fields=["authors_rate"])
    activity_record(
        actor=actor, action="workshop.rating_settings", target=workshop, workshop=workshop,
        summary="Authors " + ("may" if authors_rate else "may not") + " rate released reviews",
        before={"authors_rate": not authors_rate}, after={"authors_rate": authors_rate},
    )  # fmt: skip
    return settings_row
