"""Who reads the ratings of reviews (issue 28, part 2).

A reviewer reads the ratings of their own reviews as counts and reasons, never who gave
them; the chairs read every rating with its rater, and each reviewer's record across the
workshop (helpful, not helpful, and a score that sorts them). A rater reads their own
rating back (to change it). A conflicted member reads nothing: the policy gives them no
review of the paper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from workshop.models import Membership, Role, User, Workshop
from workshop.policy import can

from ..models import Review, ReviewRating, ReviewStatus


@dataclass
class RatingSummary:
    """The ratings of one review as its reader may see them."""

    helpful: int = 0
    not_helpful: int = 0
    reasons: list[str] = field(default_factory=list)
    # (rater's name, helpful, reason): chairs only; empty for the review's writer.
    named: list[tuple[str, bool, str]] = field(default_factory=list)


def ratings_for(user: Any, reviews: Iterable[Review]) -> dict[int, RatingSummary]:
    """The ratings of each review that `user` may read (`reviews.see_review_ratings`), by
    review id; the raters' names only for the chairs. One query."""
    shown = [r for r in reviews if can(user, "reviews.see_review_ratings", r)]
    if not shown:
        return {}
    chair = {r.pk for r in shown if r.assignment.reviewer_id != getattr(user, "pk", None)}
    out: dict[int, RatingSummary] = {}
    for rating in (
        ReviewRating.objects.filter(review__in=shown).select_related("rater").order_by("pk")
    ):
        summary = out.setdefault(rating.review_id, RatingSummary())
        if rating.helpful:
            summary.helpful += 1
        else:
            summary.not_helpful += 1
        if rating.reason:
            summary.reasons.append(rating.reason)
        if rating.review_id in chair:
            summary.named.append((rating.rater.name, rating.helpful, rating.reason))
    return out


def own_ratings(user: Any, reviews: Iterable[Review]) -> dict[int, ReviewRating]:
    """The ratings `user` gave these reviews, by review id (to show and change). One query."""
    ids = [r.pk for r in reviews]
    if not ids or not getattr(user, "pk", None):
        return {}
    return {r.review_id: r for r in ReviewRating.objects.filter(rater=user, review_id__in=ids)}


@dataclass
class RatingRecord:
    """One reviewer's ratings across the workshop."""

    reviewer: User
    helpful: int
    not_helpful: int
    reviews_rated: int

    @property
    def rated(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def score(self) -> float | None:
        """The share of helpful ratings, smoothed towards one half by two pseudo-ratings
        (one each way), so that one rating does not outrank ten; None when unrated."""
        return (self.helpful + 1) / (self.rated + 2) if self.rated else None


RECORD_SORTS = {"rating", "-rating", "name", "rated"}


def rating_records(user: Any, workshop: Workshop, sort: str = "-rating") -> list[RatingRecord]:
    """Every reviewer of the workshop with their rating record, for the chairs
    (`reviews.view_rating_record`); empty for anyone else. `sort`: `-rating` (the most
    helpful first, unrated last), `rating` (the least helpful first), `name`, `rated`.
    One query."""
    if not can(user, "reviews.view_rating_record", workshop):
        return []
    rated = Q(
        assignments__submission__workshop=workshop,
        assignments__review__ratings__isnull=False,
    )
    members = Membership.objects.filter(
        workshop=workshop, role__in=[Role.REVIEWER, Role.AREA_CHAIR]
    ).values("user_id")
    people = (
        User.objects.filter(pk__in=members)
        .annotate(
            helpful=Count(
                "assignments__review__ratings",
                filter=rated & Q(assignments__review__ratings__helpful=True),
            ),
            not_helpful=Count(
                "assignments__review__ratings",
                filter=rated & Q(assignments__review__ratings__helpful=False),
            ),
            reviews_rated=Count("assignments__review", filter=rated, distinct=True),
        )
        .order_by("name", "pk")
    )
    records = [RatingRecord(p, p.helpful, p.not_helpful, p.reviews_rated) for p in people]
    if sort == "name":
        return records
    if sort == "rated":
        return sorted(records, key=lambda r: -r.rated)
    worst_first = sort == "rating"

    def key(record: RatingRecord) -> tuple[bool, float]:
        score = record.score
        if score is None:
            return (True, 0.0)
        return (False, score if worst_first else -score)

    return sorted(records, key=key)


@dataclass
class RatingLine:
    """One review's ratings as the paper page shows them to its reader."""

    summary: RatingSummary | None  # None: the reader may not read them
    mine: ReviewRating | None
    may_rate: bool


def review_ratings_attach(user: Any, shown: Iterable[Any], submission: Any) -> None:
    """Give each shown review of the paper page of `submission` (`ShownReview`) its `rating`
    line for `user`: the ratings they may read, their own rating, whether they may rate.
    Two queries for the page, whatever the number of reviews: the rules read the page's
    own paper instance (its assignments and conflicts already known), never one per
    review."""
    rows = list(shown)
    for row in rows:
        row.review.assignment = row.assignment
        row.assignment.submission = submission
    reviews = [s.review for s in rows]
    summaries = ratings_for(user, reviews)
    mine = own_ratings(user, reviews)
    for row in rows:
        review = row.review
        readable = can(user, "reviews.see_review_ratings", review)
        row.rating = RatingLine(
            summary=summaries.get(review.pk, RatingSummary()) if readable else None,
            mine=mine.get(review.pk),
            may_rate=can(user, "reviews.rate_review", review),
        )


def author_rating_lines(user: Any, submission: Any) -> list[tuple[str, Review, RatingLine]]:
    """The released reviews of the paper that `user` (one of its authors) may rate, named
    as the authors' page names them ("Reviewer A"), with their own rating: empty unless the
    workshop lets the authors rate and the reviews are out. Two queries at most."""
    reviews = list(
        Review.objects.filter(
            assignment__submission=submission,
            assignment__role=Role.REVIEWER,
            assignment__declined_at__isnull=True,
            status=ReviewStatus.SUBMITTED,
        )
        .select_related("assignment")
        .order_by("assignment__pseudonym", "pk")
    )
    for review in reviews:
        review.assignment.submission = submission  # the policy reads it: no query
    rateable = [r for r in reviews if can(user, "reviews.rate_review", r)]
    mine = own_ratings(user, rateable)
    return [
        (f"Reviewer {r.assignment.pseudonym}", r, RatingLine(None, mine.get(r.pk), True))
        for r in rateable
    ]
