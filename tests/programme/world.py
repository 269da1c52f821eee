"""The programme tests' world: a workshop whose decisions are out, with accepted, rejected
and withdrawn papers, a chair, contact authors and a non-contact co-author, and three
sessions (oral, poster, break) in Europe/Vienna around the end of summer time 2026."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.utils import timezone

from programme.models import ProgrammeSettings, Session, SessionKind
from submissions.models import Authorship, Submission, SubmissionStatus
from tests.factories import UserFactory, WorkshopFactory, make_chair
from workshop.models import User, Workshop

VIENNA = zoneinfo.ZoneInfo("Europe/Vienna")
# Summer time ends on Sunday 25 October 2026 at 03:00 CEST (01:00 UTC).
BEFORE_DST_END = dt.datetime(2026, 10, 24, 10, 0, tzinfo=VIENNA)  # 08:00 UTC
AFTER_DST_END = dt.datetime(2026, 10, 26, 10, 0, tzinfo=VIENNA)  # 09:00 UTC


@dataclass
class World:
    workshop: Workshop
    chair: User
    other_chair: User
    authors: list[User]
    coauthor: User
    stranger: User
    accepted: list[Submission]
    rejected: Submission
    orals: Session
    posters: Session
    lunch: Session


def _days(n: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) + dt.timedelta(days=n)


def decided_workshop(**kwargs) -> Workshop:
    return WorkshopFactory(
        submission_opens=_days(-60), paper_deadline=_days(-50), bidding_deadline=_days(-45),
        review_deadline=_days(-30), notification_date=_days(-10),
        camera_ready_deadline=_days(10), decisions_released=True, reviews_released=True,
        **kwargs,
    )  # fmt: skip


def paper(workshop: Workshop, number: int, author: User, status: str, **kw) -> Submission:
    submission = Submission.objects.create(
        workshop=workshop, number=number, title=f"ZQPROG paper {number}", status=status,
        created_by=author, abstract="About things.", **kw,
    )  # fmt: skip
    Authorship.objects.create(
        submission=submission, position=1, name=author.name, email=author.email,
        is_contact=True,
    )  # fmt: skip
    return submission


def build_world(papers: int = 4) -> World:
    workshop = decided_workshop(short_name="PROG 2026", slug="prog-2026")
    chair = make_chair(workshop)
    other_chair = make_chair(WorkshopFactory())
    authors = [UserFactory(name=f"Presenter {i}") for i in range(papers)]
    coauthor = UserFactory(name="Co Author")
    accepted = [
        paper(workshop, i + 1, authors[i], SubmissionStatus.ACCEPTED) for i in range(papers)
    ]
    Authorship.objects.create(
        submission=accepted[0], position=2, name=coauthor.name, email=coauthor.email
    )
    rejected = paper(workshop, 90, authors[0], SubmissionStatus.REJECTED)
    ProgrammeSettings.objects.create(workshop=workshop, time_zone="Europe/Vienna", venue="TU Wien")

    def session(kind: str, title: str, start: dt.datetime, minutes: int) -> Session:
        return Session.objects.create(
            workshop=workshop, kind=kind, title=title, starts_at=start,
            ends_at=start + dt.timedelta(minutes=minutes), room="Hall A",
        )  # fmt: skip

    return World(
        workshop=workshop,
        chair=chair,
        other_chair=other_chair,
        authors=authors,
        coauthor=coauthor,
        stranger=UserFactory(),
        accepted=accepted,
        rejected=rejected,
        orals=session(SessionKind.ORAL, "Orals", BEFORE_DST_END, 60),
        posters=session(SessionKind.POSTER, "Posters", AFTER_DST_END, 90),
        lunch=session(SessionKind.BREAK, "Lunch", BEFORE_DST_END + dt.timedelta(hours=2), 60),
    )
