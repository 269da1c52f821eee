"""Reads of the reviewing pages: who sees which paper, review, answer and comment.

Everything identity-dependent for the reviewer's dashboard and the paper page is decided
here, by asking the named permissions of `reviews.permissions` over facts fetched once
(`paper_facts_prefill`), in a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from submissions.models import IN_REVIEW, Submission
from workshop.models import Role, User, Workshop
from workshop.policy import can

from ..models import (
    Answer,
    Assignment,
    AuthorResponse,
    Comment,
    MetaReview,
    Review,
    ReviewQuestion,
)
from ..permissions import (
    assignment_review,
    own_assignment,
    paper_facts_prefill,
    review_submitted,
    visible_question,
)
from .conflicts import conflicted_submission_ids


def reviewer_assignments(user: User) -> list[Assignment]:
    """The user's active assignments across workshops, for the dashboard, without papers
    they are in conflict with (a conflict found after assignment hides the paper too)."""
    rows = list(_assignments_of(user))
    hidden: set[int] = set()
    for workshop in {a.submission.workshop for a in rows}:
        hidden |= conflicted_submission_ids(workshop, user)
    return [a for a in rows if a.submission_id not in hidden]


def _assignments_of(user: User) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(
            reviewer=user, declined_at__isnull=True, submission__status__in=IN_REVIEW
        )
        .select_related("submission__workshop", "review")
        .only(
            "pk",
            "role",
            "pseudonym",
            "submission__number",
            "submission__title",
            "submission__workshop__slug",
            "submission__workshop__short_name",
            "submission__workshop__name",
            "submission__workshop__review_deadline",
            "submission__status",
            "review__status",
            "review__updated_at",
        )
        .order_by(
            "submission__workshop__review_deadline", "submission__workshop_id", "submission__number"
        )
    )


@dataclass
class ShownReview:
    review: Review
    assignment: Assignment
    answers: list[tuple[ReviewQuestion, object]]
    own: bool


@dataclass
class PaperPage:
    submission: Submission
    workshop: Workshop
    chair: bool
    is_ac: bool
    own: Assignment | None
    own_review: Review | None
    own_answers: dict[int, object]
    questions: list[ReviewQuestion]
    reviews: list[ShownReview]
    sees_others: bool
    may_discuss: bool
    may_write_meta: bool
    comments: list[Comment] = field(default_factory=list)
    responses: list[AuthorResponse] = field(default_factory=list)
    meta_review: MetaReview | None = None
    reviewer_count: int = 0
    submitted_count: int = 0


class NotVisible(Exception):
    """The viewer may not see this paper in review tools (the view answers 404)."""


def paper_page(user: User, workshop: Workshop, number: int) -> PaperPage:
    """Everything the paper page shows `user`, or NotVisible."""
    submission = (
        Submission.objects.filter(workshop=workshop, number=number, status__in=IN_REVIEW)
        .select_related("primary_topic", "submission_type", "paper", "workshop")
        .prefetch_related("secondary_topics")
        .first()
    )
    if submission is None:
        raise NotVisible
    assignments = list(
        Assignment.objects.filter(submission=submission)
        .select_related("reviewer")
        .prefetch_related(
            Prefetch(
                "review",
                queryset=Review.objects.prefetch_related(
                    Prefetch("answers", queryset=Answer.objects.select_related("question"))
                ),
            ),
        )
        .order_by("pseudonym", "pk")
    )
    for a in assignments:
        a.submission = submission  # one instance: the policy's facts are cached on it
    paper_facts_prefill(submission, assignments)
    if not can(user, "reviews.view_paper", submission):
        raise NotVisible
    chair = can(user, "reviews.see_chairs_only_answers", submission)
    own = own_assignment(user, submission, Role.REVIEWER)
    ac = own_assignment(user, submission, Role.AREA_CHAIR)
    own_review = assignment_review(own) if own else None
    sees_others = can(user, "reviews.see_other_reviews", submission)
    questions = list(ReviewQuestion.objects.filter(workshop=workshop))
    shown = []
    for a in assignments:
        review = getattr(a, "review", None)
        if a.role != Role.REVIEWER or review is None:
            continue
        review.assignment = a
        if not can(user, "reviews.see_review", review):
            continue
        mine = a.reviewer_id == user.pk
        answers = [
            (ans.question, ans.value)
            for ans in sorted(review.answers.all(), key=lambda x: (x.question.order, x.question_id))
            if mine or visible_question(ans.question.visibility, chair=chair)
        ]
        shown.append(ShownReview(review, a, answers, mine))
    may_discuss = can(user, "reviews.discuss", submission)
    page = PaperPage(
        submission=submission,
        workshop=workshop,
        chair=chair,
        is_ac=ac is not None,
        own=own,
        own_review=own_review,
        own_answers={a.question_id: a.value for a in own_review.answers.all()}
        if own_review
        else {},
        questions=[q for q in questions if q.active],
        reviews=shown,
        sees_others=sees_others,
        may_discuss=may_discuss,
        may_write_meta=can(user, "reviews.write_meta_review", submission),
        reviewer_count=sum(1 for a in assignments if a.role == Role.REVIEWER and not a.declined_at),
        submitted_count=sum(
            1 for a in assignments if a.role == Role.REVIEWER and review_submitted(a)
        ),
    )
    if may_discuss:
        page.comments = list(submission.comments.select_related("author"))
    # Responses exist only once reviews were released (the window needs it); the committee
    # of the paper reads them whatever the switch says later.
    page.responses = list(
        AuthorResponse.objects.filter(submission=submission).select_related("review__assignment")
    )
    if can(user, "reviews.see_meta_review", submission):
        page.meta_review = MetaReview.objects.filter(submission=submission).first()
    return page


def assignment_for(
    user: User, workshop: Workshop, number: int, role: str = Role.REVIEWER
) -> Assignment:
    """The user's own active assignment on paper `number` (Assignment.DoesNotExist, also
    when the user is in conflict with the paper)."""
    assignment = Assignment.objects.select_related("submission__workshop").get(
        reviewer=user,
        role=role,
        declined_at__isnull=True,
        submission__workshop=workshop,
        submission__number=number,
        submission__status__in=IN_REVIEW,
    )
    if assignment.submission_id in conflicted_submission_ids(workshop, user):
        raise Assignment.DoesNotExist
    return assignment
