"""Demo tags, votes and ratings (issue 28), seeded with the reviews by `reviews.demo`: the
chairs' open vote #best (3 votes each), a shared tag with a value and a chairs-only tag, a
few votes, and a chair's rating of the first submitted review."""

from __future__ import annotations

from submissions.models import Submission
from workshop.models import User, Workshop

from .models import Review, ReviewStatus, Vote
from .services.ratings import review_rate
from .services.tags import paper_tag_set, paper_vote_cast, vote_open


def seed_tags_votes(workshop: Workshop) -> None:
    if Vote.objects.filter(workshop=workshop).exists():
        return
    chair = User.objects.get(email="chair@example.org")
    papers = list(
        Submission.objects.filter(workshop=workshop, status="submitted").order_by("number")
    )
    if not papers:
        return
    vote = vote_open(actor=chair, workshop=workshop, name="best", allowance=3)
    paper_tag_set(actor=chair, submission=papers[0], text="#shortlist", visibility="chairs")
    area_chair = User.objects.get(email="ac@example.org")
    paper_tag_set(actor=area_chair, submission=papers[0], text="#order#1")
    if len(papers) > 1:
        paper_tag_set(actor=area_chair, submission=papers[1], text="#order#2")
    for paper, count in zip(papers[:2], (2, 1), strict=False):
        paper_vote_cast(actor=area_chair, vote=vote, submission=paper, count=count)
    review = (
        Review.objects.filter(
            assignment__submission__workshop=workshop, status=ReviewStatus.SUBMITTED
        )
        .select_related("assignment__submission__workshop")
        .order_by("pk")
        .first()
    )
    if review is not None:
        review_rate(actor=chair, review=review, helpful=True, reason="Specific and actionable.")
