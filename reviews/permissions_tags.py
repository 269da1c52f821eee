"""The policy of tags, votes and review ratings (issue 28, parts 2 and 4).

Registered with django-rules when the app loads (`ReviewsConfig.ready`) and asked through
`workshop.policy` like every rule of `reviews.permissions`. A conflicted member (DESIGN 4,
rule 4) holds none of these on the paper: no tag, no vote, no rating of its reviews.
"""

from __future__ import annotations

from typing import Any

import rules

from submissions.models import Submission
from submissions.permissions import decisions_out, is_author, is_in_review
from workshop.models import User
from workshop.permissions import is_chair, is_committee

from .models import RatingSettings, Review
from .permissions import (
    in_conflict,
    is_paper_area_chair,
    is_review_writer,
    is_submitted_review,
    reviews_out,
)


@rules.predicate
def is_untroubled_member(user: User, submission: Submission) -> bool:
    """A committee member (reviewer or area chair) of the paper's workshop that no conflict
    keeps away from it, assigned to it or not (tags and votes are the whole committee's)."""
    return is_committee(user, submission) and not in_conflict(user, submission)


def authors_rate(submission: Submission) -> bool:
    """The workshop lets the authors rate the reviews of their papers (cached per paper)."""
    cached = submission.__dict__.get("_policy_authors_rate")
    if cached is None:
        cached = RatingSettings.objects.filter(
            workshop_id=submission.workshop_id, authors_rate=True
        ).exists()
        submission.__dict__["_policy_authors_rate"] = cached
    return cached


def _paper(review: Review) -> Submission:
    return review.assignment.submission


@rules.predicate
def is_area_chair_of_review(user: User, review: Review) -> bool:
    return is_paper_area_chair(user, _paper(review))


def _is_author(user: Any, paper: Submission) -> bool:
    """`is_author`, kept on the paper instance per person: a page asks it for each review."""
    cache: dict[Any, bool] = paper.__dict__.setdefault("_policy_is_author", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = bool(is_author(user, paper))
    return cache[key]


@rules.predicate
def is_rating_author(user: Any, review: Review) -> bool:
    """An author of the review's paper, the reviews released, the workshop letting them
    (the cheap facts first: the release switch, then the setting, then the authorship)."""
    paper = _paper(review)
    return reviews_out(user, paper) and authors_rate(paper) and _is_author(user, paper)


@rules.predicate
def is_chair_of_review(user: User, review: Review) -> bool:
    return is_chair(user, _paper(review))


# Tags on a paper (object: the paper): read and write one's private tags and the shared
# ones; the chairs, and every committee member not in conflict with it.
rules.add_perm("reviews.tag", is_in_review & (is_chair | is_untroubled_member))
# Chairs-only tags (object: the workshop or a paper): see and set them.
rules.add_perm("reviews.chair_tags", is_chair)
# Open, close and read the results of votes (object: the workshop).
rules.add_perm("reviews.manage_votes", is_chair)
# Vote for a paper in an open vote (object: the paper), until decisions are out.
rules.add_perm("reviews.vote", is_in_review & (is_chair | is_untroubled_member) & ~decisions_out)
# Rate a submitted review (object: the review): the chairs, the paper's area chair, and its
# authors once reviews are out where the workshop lets them; never its own writer.
rules.add_perm(
    "reviews.rate_review",
    is_submitted_review
    & ~is_review_writer
    & (is_chair_of_review | is_area_chair_of_review | is_rating_author),
)
# The ratings of a review (object: the review): its writer (without the raters' names) and
# the chairs.
rules.add_perm("reviews.see_review_ratings", is_review_writer | is_chair_of_review)
# Every reviewer's rating record, with the raters' names (object: the workshop).
rules.add_perm("reviews.view_rating_record", is_chair)
