"""What every export reads of a workshop, once, in a few queries: its papers with their
authors and topics, its committee, its submitted reviews with their answers, its decisions
and meta-reviews."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reviews.models import (
    Bid,
    Decision,
    MetaReview,
    Review,
    ReviewerProfile,
    ReviewQuestion,
    ReviewStatus,
)
from submissions.models import Submission
from workshop.models import Membership, Workshop


@dataclass
class Snapshot:
    workshop: Workshop
    papers: list[Submission]
    topics: dict[int, list[str]]  # paper pk -> topic names, the primary first
    members: list[Membership]  # ordered by person, then role
    questions: list[ReviewQuestion]
    reviews: list[Review]  # submitted, with assignment, submission, reviewer, answers
    decisions: dict[int, Decision]  # by paper pk
    meta_reviews: dict[int, MetaReview]  # by paper pk
    expertise: dict[int, list[str]] = field(default_factory=dict)  # user pk -> topic names
    bids: list[tuple[int, int, str]] = field(default_factory=list)  # (paper pk, user pk, value)

    def answers(self, review: Review) -> dict[int, Any]:
        return {a.question_id: a.value for a in review.answers.all() if a.value not in (None, "")}


def snapshot(workshop: Workshop) -> Snapshot:
    """The workshop as the exports need it. Reads only; drafts of reviews are not
    exported (the other systems have no draft to take them)."""
    papers = list(
        Submission.objects.filter(workshop=workshop)
        .select_related("primary_topic")
        .prefetch_related("authors", "secondary_topics")
        .order_by("number")
    )
    topics = {
        p.pk: ([p.primary_topic.name] if p.primary_topic else [])
        + sorted(t.name for t in p.secondary_topics.all())
        for p in papers
    }
    members = list(
        Membership.objects.filter(workshop=workshop)
        .select_related("user")
        .order_by("user__email", "role")
    )
    reviews = list(
        Review.objects.filter(
            assignment__submission__workshop=workshop, status=ReviewStatus.SUBMITTED
        )
        .select_related("assignment__submission", "assignment__reviewer")
        .prefetch_related("answers")
        .order_by("assignment__submission__number", "assignment__pseudonym", "pk")
    )
    expertise: dict[int, list[str]] = {}
    for profile in ReviewerProfile.objects.filter(workshop=workshop).prefetch_related(
        "topics__topic"
    ):
        chosen = [e.topic.name for e in profile.topics.all() if e.level != "none"]
        if chosen:
            expertise[profile.user_id] = sorted(chosen)
    return Snapshot(
        workshop=workshop,
        papers=papers,
        topics=topics,
        members=members,
        questions=list(ReviewQuestion.objects.filter(workshop=workshop).order_by("order", "pk")),
        reviews=reviews,
        decisions={
            d.submission_id: d
            for d in Decision.objects.filter(submission__workshop=workshop).select_related(
                "category"
            )
        },
        meta_reviews={
            m.submission_id: m
            for m in MetaReview.objects.filter(submission__workshop=workshop).select_related(
                "author"
            )
        },
        expertise=expertise,
        bids=list(
            Bid.objects.filter(submission__workshop=workshop).values_list(
                "submission_id", "user_id", "value"
            )
        ),
    )
