"""A workshop with `n` submitted papers and, per paper, a row of every kind the API lists
(authors, a submitted review and its answers, an activity entry, a bid, conflicts, a member
with a profile, an invitation, a mail); `sized_world(n)` maps each list to its URL and the
secret of a token that reads it. The query-count and ordering tests build it at two sizes."""

from __future__ import annotations

import datetime as dt

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


def sized_world(n: int) -> dict:
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
        activity_record(actor=chair, action="reminders.send", target=paper, summary="x")
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
