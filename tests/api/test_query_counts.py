"""Every list of the API asks a constant number of queries whatever its length: each list
is read at two sizes and must cost the same, pinned to the number below."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.services import token_create
from reviews.models import (
    Answer,
    Assignment,
    Bid,
    ConflictDeclaration,
    ConflictOverride,
    Invitation,
    Review,
    ReviewerProfile,
    ReviewQuestion,
    ReviewStatus,
    TopicExpertise,
)
from reviews.services.reviewing import DEFAULT_FORM
from submissions.models import (
    AuthorConflict,
    Authorship,
    Submission,
    SubmissionStatus,
    SubmissionType,
)
from tests.factories import TopicFactory, UserFactory, WorkshopFactory
from workshop.activity import activity_record
from workshop.models import Membership, OutgoingMail, Role

from .world import auth

pytestmark = pytest.mark.django_db

# (list, who reads it): queries per page, whatever its length (authentication and the
# token's workshops included). Pinned: a change here must be a deliberate one.
PINNED = {
    "submissions": 9,
    "assignments": 6,
    "activity": 6,
    "outbox": 6,
    "reviews": 8,
    "my-assignments": 13,  # the conflict map of each workshop (one per workshop, not per row)
    "workshops": 5,  # the caller's roles in the listed workshops: which settings each shows
    "topics": 5,
    "members": 6,
    "invitations": 6,
    "bids": 6,
    "my-bids": 16,  # the member's conflict map, once per request
    "conflicts": 6,
    "declared-conflicts": 6,
    "profiles": 8,  # the profiles and their topic levels (one prefetch)
}


def _world(n: int) -> dict:
    workshop = WorkshopFactory()
    topic = TopicFactory(workshop=workshop)
    stype = SubmissionType.objects.create(workshop=workshop, name="Full", page_limit=8)
    chair, reviewer = UserFactory(), UserFactory()
    Membership.objects.create(workshop=workshop, user=chair, role=Role.CHAIR)
    Membership.objects.create(workshop=workshop, user=reviewer, role=Role.REVIEWER)
    questions = [
        ReviewQuestion.objects.create(workshop=workshop, label=label, help_text=help_text,
                                      kind=kind, choices=choices, required=required,
                                      visibility=visibility, order=i, **flags)
        for i, (label, help_text, kind, choices, required, visibility, flags)
        in enumerate(DEFAULT_FORM, start=1)
    ]  # fmt: skip
    for number in range(1, n + 1):
        TopicFactory(workshop=workshop)
        author = UserFactory()
        paper = Submission.objects.create(
            workshop=workshop, number=number, title=f"Paper {number}", abstract="A.",
            status=SubmissionStatus.SUBMITTED, created_by=author, submission_type=stype,
            primary_topic=topic, submitted_at=timezone.now(),
        )  # fmt: skip
        paper.secondary_topics.add(topic)
        for position, person in enumerate((author, UserFactory()), start=1):
            Authorship.objects.create(submission=paper, position=position, name=person.name,
                                      email=person.email, is_contact=position == 1)  # fmt: skip
        assignment = Assignment.objects.create(submission=paper, reviewer=reviewer,
                                               role=Role.REVIEWER, pseudonym="A",
                                               created_by=chair)  # fmt: skip
        review = Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED,
                                       version=1, submitted_at=timezone.now())  # fmt: skip
        for q in questions[:3]:
            Answer.objects.create(review=review, question=q, value=f"text {number}")
        activity_record(actor=chair, action="test.entry", target=paper, summary="x")
        Bid.objects.create(submission=paper, user=reviewer, value="willing")
        ConflictOverride.objects.create(
            submission=paper, user=UserFactory(), conflicted=True, reason="Advisor", set_by=chair
        )
        member = UserFactory()
        Membership.objects.create(workshop=workshop, user=member, role=Role.REVIEWER)
        profile = ReviewerProfile.objects.create(workshop=workshop, user=member)
        TopicExpertise.objects.create(profile=profile, topic=topic, level="expert")
        ConflictDeclaration.objects.create(
            workshop=workshop, user=member, kind="institution", value=f"Lab {number}"
        )
        AuthorConflict.objects.create(submission=paper, member=member, reason="co-author")
        Invitation.objects.create(
            workshop=workshop,
            email=f"i{number}@example.org",
            role=Role.REVIEWER,
            invited_by=chair,
            accept_hash=f"a{workshop.pk}-{number}",
            decline_hash=f"d{workshop.pk}-{number}",
            expires_at=timezone.now() + dt.timedelta(days=30),
        )
        OutgoingMail.objects.create(
            key=f"k-{workshop.pk}-{number}",
            workshop=workshop,
            to=author.email,
            kind="test",
            subject="s",
            body_text="b",
        )
    _, chair_secret = token_create(user=chair, name="c", workshops=[workshop])
    _, reviewer_secret = token_create(user=reviewer, name="r", workshops=[workshop])
    slug = workshop.slug
    return {
        "submissions": (reverse("api:submissions"), chair_secret),
        "assignments": (reverse("api:assignments", args=[slug]), chair_secret),
        "activity": (reverse("api:activity", args=[slug]), chair_secret),
        "outbox": (reverse("api:outbox", args=[slug]), chair_secret),
        "reviews": (reverse("api:reviews", args=[slug]), chair_secret),
        "my-assignments": (reverse("api:my-assignments"), reviewer_secret),
        "workshops": (reverse("api:workshops"), chair_secret),
        "topics": (reverse("api:topics", args=[slug]), chair_secret),
        "members": (reverse("api:members", args=[slug]), chair_secret),
        "invitations": (reverse("api:invitations", args=[slug]), chair_secret),
        "bids": (reverse("api:bids", args=[slug]), chair_secret),
        "my-bids": (reverse("api:bids", args=[slug]), reviewer_secret),
        "conflicts": (reverse("api:conflicts", args=[slug]), chair_secret),
        "declared-conflicts": (reverse("api:declared-conflicts", args=[slug]), chair_secret),
        "profiles": (reverse("api:profiles", args=[slug]), chair_secret),
    }


def _count(client, url: str, secret: str) -> tuple[int, int]:
    client.get(url, **auth(secret))  # warm: last_used_at is written once a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **auth(secret))
    assert response.status_code == 200, response.content
    body = response.json()
    rows = len(body["results"]) if isinstance(body, dict) else len(body)
    return len(queries), rows


@pytest.mark.parametrize("name", sorted(PINNED))
def test_lists_cost_a_constant_number_of_queries(client, name):
    small_url, small_secret = _world(2)[name]
    large_url, large_secret = _world(9)[name]
    small, small_rows = _count(client, small_url, small_secret)
    large, large_rows = _count(client, large_url, large_secret)
    assert large_rows > small_rows or name == "workshops"
    assert small == large == PINNED[name], (
        f"{name}: {small} queries for {small_rows} rows, {large} for {large_rows}"
    )
