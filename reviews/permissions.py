"""Pure predicates of the reviewing rules (DESIGN section 4), used by views, services, admin.

Each takes the objects it decides about, already fetched; none fetches by id.
"""

from __future__ import annotations

from workshop.models import OtherReviewsVisibility, User
from workshop.permissions import is_chair

from .models import Assignment, QuestionVisibility, Review, ReviewStatus


def active(assignments: list[Assignment], user: User, role: str) -> Assignment | None:
    return next(
        (
            a
            for a in assignments
            if a.reviewer_id == user.pk and a.role == role and not a.declined_at
        ),
        None,
    )


def can_view_other_reviews(
    user: User, workshop, own: Assignment | None, own_review: Review | None, *, is_ac: bool
) -> bool:
    """Rule 5 and 9: chairs and the paper's area chair always; a reviewer per the setting."""
    if is_chair(user, workshop) or is_ac:
        return True
    if own is None:
        return False
    setting = workshop.other_reviews_visibility
    if setting == OtherReviewsVisibility.ALWAYS:
        return True
    if setting == OtherReviewsVisibility.AFTER_OWN:
        return own_review is not None and own_review.status == ReviewStatus.SUBMITTED
    return False


def can_see_review(user: User, review: Review, *, sees_others: bool, chair: bool) -> bool:
    """Drafts: only their writer and the chairs. Submitted: whoever sees others' reviews."""
    if review.assignment.reviewer_id == user.pk:
        return True
    if chair:
        return True
    return review.status == ReviewStatus.SUBMITTED and sees_others


def can_discuss(user: User, workshop, own_review: Review | None, *, is_ac: bool) -> bool:
    """The thread is for the paper's area chair, the chairs, and reviewers who submitted."""
    if is_chair(user, workshop) or is_ac:
        return True
    return own_review is not None and own_review.status == ReviewStatus.SUBMITTED


def visible_question(visibility: str, *, chair: bool, to_authors: bool = False) -> bool:
    """Which answers a viewer sees: chairs all; committee all but chairs-only; authors only
    the author-visible ones."""
    if to_authors:
        return visibility == QuestionVisibility.AUTHORS
    return chair or visibility != QuestionVisibility.CHAIRS
