"""Workshops with something in every step of the lifecycle, for the chairs' home: the desk's
papers and reviews (`tests.reviews.desk`), plus a draft, a withdrawn paper, invitations,
profiles, bids, a review still owed, a declined assignment, a paper short of reviewers,
held mails, accepted papers with and without a camera-ready, and one of them scheduled."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from programme.models import Placement, Session
from reviews.models import (
    Assignment,
    Bid,
    Decision,
    ExpertiseLevel,
    Invitation,
    InvitationStatus,
    Review,
    ReviewerProfile,
    ReviewStatus,
    TopicExpertise,
)
from reviews.services.scores import paper_scores_refresh
from submissions.models import Submission, SubmissionFile, SubmissionStatus
from tests.factories import WorkshopFactory
from tests.reviews.desk import Desk, desk_build
from workshop.models import OutgoingMail, Workshop

PAPERS = 8


def chair_home_workshop(slug: str, *, decisions_released: bool = False) -> Desk:
    """One workshop in its decision phase (reviews due yesterday) with `PAPERS` papers on
    the board: #1 and #5 rejected, #3 accepted with its camera-ready and scheduled, #4
    accepted without one, #2 owes a review, #6 has a declined reviewer (short), plus a draft
    and a withdrawn paper."""
    now = timezone.now()
    workshop = WorkshopFactory(
        slug=slug,
        short_name=slug.upper(),
        name=f"Workshop {slug}",
        submission_opens=now - dt.timedelta(days=60),
        paper_deadline=now - dt.timedelta(days=40),
        bidding_deadline=now - dt.timedelta(days=35),
        review_deadline=now - dt.timedelta(days=1),
        notification_date=now + dt.timedelta(days=5),
        camera_ready_deadline=now + dt.timedelta(days=20),
        decisions_released=decisions_released,
    )
    desk = desk_build(workshop, PAPERS)
    rows = desk.papers
    owner = rows[0].created_by
    Submission.objects.bulk_create(
        Submission(workshop=workshop, number=PAPERS + 1 + i, created_by=owner, status=status,
                   title=f"Extra {status}")
        for i, status in enumerate([SubmissionStatus.DRAFT, SubmissionStatus.WITHDRAWN])
    )  # fmt: skip
    # Committee: two invitations (one accepted), one complete profile, one incomplete,
    # two reviewers who bid.
    for i, status in enumerate([InvitationStatus.ACCEPTED, InvitationStatus.PENDING]):
        Invitation.objects.create(
            workshop=workshop, email=f"inv{i}@{slug}.org", status=status,
            accept_hash=f"a-{slug}-{i}", decline_hash=f"d-{slug}-{i}",
            expires_at=now + dt.timedelta(days=10),
        )  # fmt: skip
    complete = ReviewerProfile.objects.create(
        workshop=workshop, user=desk.reviewers[0], expertise_text="My papers. " * 12
    )
    TopicExpertise.objects.bulk_create(
        TopicExpertise(profile=complete, topic=t, level=ExpertiseLevel.EXPERT) for t in desk.topics
    )
    ReviewerProfile.objects.create(workshop=workshop, user=desk.reviewers[1], expertise_text="x")
    Bid.objects.bulk_create(
        Bid(submission=rows[1], user=desk.reviewers[k], value="eager") for k in (0, 1)
    )
    # Reviews: #2's first review goes back to a draft; #6's first reviewer declines.
    Review.objects.filter(assignment__submission=rows[1], assignment__pseudonym="A").update(
        status=ReviewStatus.DRAFT
    )
    Assignment.objects.filter(submission=rows[5], pseudonym="A").update(declined_at=now)
    paper_scores_refresh([rows[1].pk, rows[5].pk])
    # Decisions: #3 and #4 accepted; #3's camera-ready is in and it is scheduled.
    accept = workshop.decision_categories.get(name="Accept (poster)")
    Decision.objects.bulk_create(
        Decision(submission=p, category=accept, decided_by=desk.chair) for p in rows[2:4]
    )
    Submission.objects.filter(pk__in=[p.pk for p in rows[2:4]]).update(status="accepted")
    final = SubmissionFile.objects.create(
        submission=rows[2], kind="camera_ready", file=f"cr-{slug}.pdf", sha256="1" * 64,
        size=10, uploaded_by=owner,
    )  # fmt: skip
    Submission.objects.filter(pk=rows[2].pk).update(camera_ready=final)
    session = Session.objects.create(
        workshop=workshop, title="Posters", kind="poster",
        starts_at=now + dt.timedelta(days=30), ends_at=now + dt.timedelta(days=30, hours=1),
    )  # fmt: skip
    Placement.objects.create(session=session, submission=rows[2])
    OutgoingMail.objects.bulk_create(
        OutgoingMail(key=f"held:{slug}:{k}", workshop=workshop, to=f"h{k}@x.org",
                     kind="decision", subject="Decision", body_text="Hello.", status="held")
        for k in range(3)
    )  # fmt: skip
    return desk


def workshops_of(desks: list[Desk]) -> list[Workshop]:
    return [d.workshop for d in desks]
