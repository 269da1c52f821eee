"""Reads of the public forums (open reviewing, issue 14): what a published forum shows,
the per-workshop index and the feed.

A public forum is the same for everyone who may read it (authors, reviewers and chairs
read the public version too: no reviewer name, no chairs-only answer). Every question of
what is public is asked of the named permissions (`reviews.view_public_forum`,
`reviews.see_public_authors`); only author-visible answers of submitted reviews are ever
fetched. Each read costs a constant number of queries, whatever the number of papers,
reviews and comments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch
from django.urls import reverse

from submissions.models import Authorship, Submission, SubmissionStatus
from workshop.models import Role, Workshop
from workshop.policy import can

from ..models import (
    Answer,
    AuthorResponse,
    MetaReview,
    PublicComment,
    PublicCommentStatus,
    QuestionKind,
    QuestionVisibility,
    Review,
    ReviewStatus,
)

# The statuses a forum can be published for (the policy picks among them).
PUBLISHABLE = (SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED)


class NotPublished(Exception):
    """The paper has no public forum (the view answers 404)."""


@dataclass
class PublicAnswer:
    label: str
    kind: str
    value: object


@dataclass
class PublicReview:
    name: str
    signed: bool
    submitted_at: dt.datetime | None
    answers: list[PublicAnswer]
    response: AuthorResponse | None = None

    @property
    def anchor(self) -> str:
        return "review-" + "".join(c for c in self.name.lower() if c.isalnum())


@dataclass
class PublicForum:
    submission: Submission
    workshop: Workshop
    authors_public: bool
    authors: list[Authorship]
    reviews: list[PublicReview]
    meta_review: MetaReview | None
    general_response: AuthorResponse | None
    comments: list[PublicComment]
    pdf_url: str
    outcome: str
    published_at: dt.datetime | None = None
    topics: list[str] = field(default_factory=list)


def _published_at(submission: Submission) -> dt.datetime | None:
    decision = getattr(submission, "decision", None)
    return decision.decided_at if decision is not None else submission.submitted_at


def _pdf_url(user: Any, submission: Submission, workshop: Workshop) -> str:
    """The camera-ready through the accepted papers' public view where there is one, else
    the anonymised copy of the submitted paper (never the original upload)."""
    if submission.published_pdf is not None and can(user, "submissions.view_public", submission):
        return reverse("submissions:accepted_pdf", args=[workshop.slug, submission.number])
    stored = submission.paper
    if stored is not None and stored.submission_id == submission.pk and stored.reviewer_copy:
        return reverse("forum:pdf", args=[workshop.slug, submission.number])
    return ""


def _answer_value(answer: Answer) -> object:
    q = answer.question
    value = answer.value
    if q.kind == QuestionKind.SCORE and value is not None:
        try:
            return f"{value} ({q.score_labels().get(int(value), '')})"
        except (TypeError, ValueError):
            return value
    return value


def forum_page(user: Any, workshop: Workshop, number: int) -> PublicForum:
    """The published forum of paper `number`, or NotPublished."""
    submission = (
        Submission.objects.filter(workshop=workshop, number=number, status__in=PUBLISHABLE)
        .select_related("camera_ready", "paper", "primary_topic", "decision__category")
        .prefetch_related("secondary_topics")
        .first()
    )
    if submission is None:
        raise NotPublished
    submission.workshop = workshop
    if not can(user, "reviews.view_public_forum", submission):
        raise NotPublished
    authors_public = can(user, "reviews.see_public_authors", submission)
    authors = list(submission.authors.order_by("position")) if authors_public else []
    reviews = list(
        Review.objects.filter(
            assignment__submission=submission,
            assignment__role=Role.REVIEWER,
            status=ReviewStatus.SUBMITTED,
        )
        .select_related("assignment__reviewer")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.filter(question__visibility=QuestionVisibility.AUTHORS)
                .select_related("question")
                .order_by("question__order", "question_id"),
            )
        )
        .order_by("assignment__pseudonym", "pk")
    )
    responses = list(AuthorResponse.objects.filter(submission=submission).order_by("pk"))
    by_review = {r.review_id: r for r in responses if r.review_id}
    shown = []
    for review in reviews:
        assignment = review.assignment
        name = (
            assignment.reviewer.name or assignment.display_name
            if review.signed
            else assignment.display_name
        )
        answers = [
            PublicAnswer(a.question.label, a.question.kind, _answer_value(a))
            for a in review.answers.all()
            if a.value not in (None, "")
        ]
        shown.append(
            PublicReview(
                name, review.signed, review.submitted_at, answers, by_review.get(review.pk)
            )
        )
    comments = list(
        PublicComment.objects.filter(
            submission=submission, status=PublicCommentStatus.APPROVED
        ).order_by("created_at", "pk")
    )
    decision = getattr(submission, "decision", None)
    return PublicForum(
        submission=submission,
        workshop=workshop,
        authors_public=authors_public,
        authors=authors,
        reviews=shown,
        meta_review=MetaReview.objects.filter(submission=submission).first(),
        general_response=next((r for r in responses if r.review_id is None), None),
        comments=comments,
        pdf_url=_pdf_url(user, submission, workshop),
        outcome=decision.category.name if decision else submission.get_status_display(),
        published_at=_published_at(submission),
        topics=[
            str(t)
            for t in [submission.primary_topic, *submission.secondary_topics.all()]
            if t is not None
        ],
    )


@dataclass
class ForumRow:
    submission: Submission
    authors_public: bool
    authors: list[Authorship]
    reviews: int
    comments: int
    outcome: str
    published_at: dt.datetime | None


def forum_index(user: Any, workshop: Workshop) -> list[ForumRow]:
    """The workshop's published forums, by paper number (empty when none is published)."""
    if not can(user, "reviews.view_public_forum", workshop):
        return []
    papers = list(
        Submission.objects.filter(workshop=workshop, status__in=PUBLISHABLE)
        .select_related("decision__category")
        .order_by("number")
    )
    for paper in papers:
        paper.workshop = workshop  # one instance: the policy asks no query per paper
    papers = [p for p in papers if can(user, "reviews.view_public_forum", p)]
    named = {p.pk for p in papers if can(user, "reviews.see_public_authors", p)}
    authors: dict[int, list[Authorship]] = {}
    for a in Authorship.objects.filter(submission_id__in=named).order_by("position"):
        authors.setdefault(a.submission_id, []).append(a)
    ids = [p.pk for p in papers]
    review_counts = dict(
        Review.objects.filter(
            assignment__submission_id__in=ids,
            assignment__role=Role.REVIEWER,
            status=ReviewStatus.SUBMITTED,
        )
        .values_list("assignment__submission_id")
        .annotate(n=Count("pk"))
    )
    comment_counts = dict(
        PublicComment.objects.filter(submission_id__in=ids, status=PublicCommentStatus.APPROVED)
        .values_list("submission_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for p in papers:
        decision = getattr(p, "decision", None)
        rows.append(
            ForumRow(
                submission=p,
                authors_public=p.pk in named,
                authors=authors.get(p.pk, []),
                reviews=review_counts.get(p.pk, 0),
                comments=comment_counts.get(p.pk, 0),
                outcome=decision.category.name if decision else p.get_status_display(),
                published_at=_published_at(p),
            )
        )
    return rows


def approved_comments(user: Any, workshop: Workshop, limit: int = 50) -> list[PublicComment]:
    """The latest approved public comments on the workshop's published forums (the feed)."""
    if not can(user, "reviews.view_public_forum", workshop):
        return []
    comments = list(
        PublicComment.objects.filter(
            submission__workshop=workshop,
            submission__status__in=PUBLISHABLE,
            status=PublicCommentStatus.APPROVED,
        )
        .select_related("submission")
        .order_by("-created_at", "-pk")[:limit]
    )
    for c in comments:
        c.submission.workshop = workshop
    return [c for c in comments if can(user, "reviews.view_public_forum", c.submission)]


def held_comments(workshop: Workshop) -> list[PublicComment]:
    """The comments waiting for the chairs (the moderation list), oldest first."""
    return list(
        PublicComment.objects.filter(submission__workshop=workshop, status=PublicCommentStatus.HELD)
        .select_related("submission", "author")
        .order_by("created_at", "pk")
    )
