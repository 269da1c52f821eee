"""Deadline reminders (reviews.reminders, computed by a periodic task) and daily digests of
non-essential notifications (workshop.outbox).

Reminders are computed for an explicit `now` (the beat task passes the clock), so each step
is checked at a known moment: bidding 3/1 days before, reviews due 7/3/1 days before,
overdue days 1-3, the author response opening, camera-ready 7/2 days before.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from reviews.models import Assignment, Bid, Review, ReviewStatus
from reviews.reminders import KINDS, STEPS, planned_reminders, reminders_queue, upcoming
from reviews.services.assignment import assignment_add
from reviews.services.reviewing import comment_post
from submissions.models import Authorship, Submission, SubmissionFile, SubmissionType
from submissions.services import submission_submit
from tests.factories import (
    MembershipFactory,
    SubmissionFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.submissions.conftest import new_submission
from workshop.celery import app as celery_app
from workshop.demo import bidding_dates
from workshop.models import MailStatus, OutgoingMail, Role, User, Workshop
from workshop.outbox import NON_ESSENTIAL, digests_send
from workshop.services import notifications_set

pytestmark = pytest.mark.django_db

PEOPLE = ("done", "draft", "idle", "declined", "ac", "outsider")
PEOPLE += ("author1", "author2", "author3", "author4", "coauthor")

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def queue(now: dt.datetime) -> int:
    with on_commit():
        return reminders_queue(now)


# --- A workshop with a reviewer for every case -------------------------------------------------
@dataclass
class Scene:
    workshop: Workshop
    chair: User
    people: dict[str, User]
    papers: dict[str, Submission]

    def email(self, key: str) -> str:
        return self.people[key].email

    def reminded(self, kind: str) -> set[tuple[str, str]]:
        """(step, recipient) of every reminder of `kind` queued for this workshop."""
        prefix = f"reminder:{kind}:{self.workshop.pk}:"
        return {
            (m.key.removeprefix(prefix).split(":", 1)[0], m.to)
            for m in OutgoingMail.objects.filter(key__startswith=prefix)
        }

    def refresh(self, **fields) -> None:
        Workshop.objects.filter(pk=self.workshop.pk).update(**fields)
        self.workshop.refresh_from_db()


def _paper(workshop: Workshop, number: int, owner: User, status: str = "submitted") -> Submission:
    return SubmissionFactory(workshop=workshop, number=number, title=f"Reminder paper {number}",
                             status=status, created_by=owner)  # fmt: skip


@pytest.fixture
def scene(db) -> Scene:
    base = timezone.now().replace(microsecond=0)
    workshop = WorkshopFactory(
        name="Reminder Workshop",
        short_name="REM",
        slug="rem",
        bids_requested=2,
        **bidding_dates(base),
    )
    chair = make_chair(workshop, name="Rem Chair", email="chair@rem-chairs.org")
    people = {
        key: UserFactory(name=f"{key.title()} Person", email=f"{key}@{key}-lab.org")
        for key in PEOPLE
    }
    for key in ("done", "draft", "idle", "declined"):
        MembershipFactory(workshop=workshop, user=people[key], role=Role.REVIEWER)
    MembershipFactory(workshop=workshop, user=people["ac"], role=Role.AREA_CHAIR)
    papers = {f"p{i}": _paper(workshop, i, people[f"author{i}"]) for i in range(1, 5)}
    Authorship.objects.create(
        submission=papers["p1"], position=2, name="Co Author", email=people["coauthor"].email
    )
    withdrawn_owner = UserFactory(name="Withdrawn Owner", email="wd@withdrawn-lab.org")
    papers["withdrawn"] = _paper(workshop, 5, withdrawn_owner, status="withdrawn")

    # Bids: "done" placed enough (2), "idle" one, "draft" and "declined" none in this
    # workshop ("draft" bid in another workshop, which does not count).
    for paper in (papers["p1"], papers["p2"]):
        Bid.objects.create(submission=paper, user=people["done"], value="willing")
    Bid.objects.create(submission=papers["p3"], user=people["idle"], value="eager")
    elsewhere = WorkshopFactory(name="Elsewhere", short_name="ELS", slug="els")
    other_paper = _paper(elsewhere, 1, people["outsider"])
    Bid.objects.create(submission=other_paper, user=people["draft"], value="willing")

    # Reviews: "done" submitted #1, "draft" has a draft of #1, "idle" has not started #2,
    # "declined" declined #3, the area chair of #2 writes no review.
    def assign(key: str, paper: Submission, **fields) -> Assignment:
        return Assignment.objects.create(submission=paper, reviewer=people[key], **fields)

    Review.objects.create(
        assignment=assign("done", papers["p1"], pseudonym="A"), status=ReviewStatus.SUBMITTED
    )
    Review.objects.create(
        assignment=assign("draft", papers["p1"], pseudonym="B"), status=ReviewStatus.DRAFT
    )
    assign("idle", papers["p2"], pseudonym="A")
    assign("declined", papers["p3"], pseudonym="A", declined_at=base)
    assign("ac", papers["p2"], role=Role.AREA_CHAIR)
    mail.outbox.clear()
    return Scene(workshop, chair, people, papers)


# --- Bidding -----------------------------------------------------------------------------------
def test_bidding_reminders_3_and_1_days_before_to_reviewers_short_of_bids(scene):
    w = scene.workshop
    short = {scene.email("draft"), scene.email("idle"), scene.email("declined")}
    assert queue(w.bidding_deadline - 3 * DAY - HOUR) == 0
    assert scene.reminded("bidding") == set()

    assert queue(w.bidding_deadline - 3 * DAY + HOUR) == 3
    assert scene.reminded("bidding") == {("3d", e) for e in short}
    sent = {m.to[0]: m for m in mail.outbox}
    assert set(sent) == short
    assert sent[scene.email("idle")].subject == "[REM] Bidding closes in 3 days"
    assert "you have placed 1 of the 2 bids" in sent[scene.email("idle")].body
    assert "you have placed 0 of the 2 bids" in sent[scene.email("draft")].body

    assert queue(w.bidding_deadline - DAY + HOUR) == 3
    assert scene.reminded("bidding") == {(s, e) for e in short for s in ("3d", "1d")}
    assert queue(w.bidding_deadline + HOUR) == 0


def test_no_bidding_reminder_before_the_paper_deadline(scene):
    w = scene.workshop
    scene.refresh(paper_deadline=w.bidding_deadline - 2 * DAY)
    assert queue(w.bidding_deadline - 3 * DAY + HOUR) == 0
    assert scene.reminded("bidding") == set()


# --- Reviews due and overdue -------------------------------------------------------------------
def test_review_due_7_3_and_1_days_before_to_reviewers_with_reviews_to_do(scene):
    w = scene.workshop
    late = {scene.email("draft"), scene.email("idle")}
    assert queue(w.review_deadline - 7 * DAY - HOUR) == 0
    for step, days in (("7d", 7), ("3d", 3), ("1d", 1)):
        assert queue(w.review_deadline - days * DAY + HOUR) == 2, step
        assert {(s, e) for s, e in scene.reminded("review_due") if s == step} == {
            (step, e) for e in late
        }
    assert len(scene.reminded("review_due")) == 6
    sent = {(m.to[0], m.subject) for m in mail.outbox}
    assert (scene.email("idle"), "[REM] Reviews due in 7 days") in sent
    assert (scene.email("idle"), "[REM] Reviews due in 1 day") in sent
    idle = next(m for m in mail.outbox if m.to == [scene.email("idle")])
    assert "#2  Reminder paper 2" in idle.body
    assert "Reminder paper 1" not in idle.body


def test_overdue_reminders_on_days_1_to_3_then_nothing(scene):
    w = scene.workshop
    late = {scene.email("draft"), scene.email("idle")}
    for day in (1, 2, 3):
        assert queue(w.review_deadline + (day - 1) * DAY + HOUR) == 2, day
    assert scene.reminded("review_overdue") == {(f"day{d}", e) for d in (1, 2, 3) for e in late}
    assert queue(w.review_deadline + 3 * DAY + HOUR) == 0
    assert queue(w.review_deadline + 10 * DAY) == 0
    assert len(scene.reminded("review_overdue")) == 6
    assert scene.reminded("review_due") == set()  # the deadline had passed
    overdue = [m for m in mail.outbox if m.subject == "[REM] Overdue reviews"]
    assert len(overdue) == 6


def test_overdue_waits_for_the_grace_period_and_skips_decided_papers(scene):
    w = scene.workshop
    scene.refresh(grace_minutes=120)
    assert queue(w.review_deadline + HOUR) == 0  # still within the grace period
    Submission.objects.filter(pk=scene.papers["p2"].pk).update(status="rejected")
    assert queue(w.review_deadline + 3 * HOUR) == 1
    assert scene.reminded("review_overdue") == {("day1", scene.email("draft"))}


def test_a_late_first_run_sends_only_the_latest_step(scene):
    w = scene.workshop
    assert queue(w.bidding_deadline - DAY + HOUR) == 3  # the first run ever, 1 day before
    assert {s for s, _ in scene.reminded("bidding")} == {"1d"}
    assert queue(w.review_deadline - DAY + HOUR) == 2
    assert {s for s, _ in scene.reminded("review_due")} == {"1d"}
    subjects = {m.subject for m in mail.outbox}
    assert subjects == {"[REM] Bidding closes in 1 day", "[REM] Reviews due in 1 day"}


def test_running_twice_for_the_same_moment_queues_each_reminder_once(scene):
    w = scene.workshop
    now = w.review_deadline - 3 * DAY + HOUR
    assert queue(now) == 2
    count = OutgoingMail.objects.count()
    assert queue(now) == 0
    assert queue(now + 2 * HOUR) == 0
    assert OutgoingMail.objects.count() == count
    assert len(mail.outbox) == 2


# --- Author response and camera-ready ----------------------------------------------------------
def test_rebuttal_open_reminds_authors_only_once_reviews_are_released(scene):
    w = scene.workshop
    now = w.rebuttal_opens + HOUR
    queue(now)
    assert scene.reminded("rebuttal_open") == set()

    scene.refresh(reviews_released=True)
    p1_authors = {scene.email("author1"), scene.email("coauthor")}  # #1 has a review
    queue(now)
    reminded = {e for _, e in scene.reminded("rebuttal_open")}
    assert {s for s, _ in scene.reminded("rebuttal_open")} == {"open"}
    assert p1_authors <= reminded
    assert "wd@withdrawn-lab.org" not in reminded
    count = len(reminded)
    queue(now + DAY)
    queue(w.rebuttal_closes + HOUR)
    assert len(scene.reminded("rebuttal_open")) == count  # once per author
    rebuttal_mails = [m for m in mail.outbox if "author response is open" in m.subject]
    assert sorted(m.to[0] for m in rebuttal_mails) == sorted(reminded)
    to_author1 = next(m for m in rebuttal_mails if m.to == [scene.email("author1")])
    assert to_author1.subject == "[REM] Your reviews are in: the author response is open"
    assert f"/submissions/{scene.papers['p1'].pk}/reviews/" in to_author1.body


def test_rebuttal_open_skips_papers_without_a_submitted_review(scene):
    scene.refresh(reviews_released=True)
    queue(scene.workshop.rebuttal_opens + HOUR)
    # #2 has an unstarted review, #3 a declined one, #4 none.
    assert {e for _, e in scene.reminded("rebuttal_open")} == {
        scene.email("author1"),
        scene.email("coauthor"),
    }


def test_no_rebuttal_reminder_before_the_window(scene):
    scene.refresh(reviews_released=True)
    queue(scene.workshop.rebuttal_opens - HOUR)
    assert scene.reminded("rebuttal_open") == set()


def _camera_ready(paper: Submission, *, licence: bool) -> None:
    stored = SubmissionFile.objects.create(
        submission=paper,
        kind="camera_ready",
        file="cr.pdf",
        sha256="0" * 64,
        size=10,
        uploaded_by=paper.created_by,
    )
    fields = {"camera_ready": stored}
    if licence:
        fields.update(licence="CC-BY-4.0", licence_accepted_at=timezone.now())
    Submission.objects.filter(pk=paper.pk).update(**fields)


def test_camera_ready_reminders_to_accepted_papers_missing_something(scene):
    w = scene.workshop
    Submission.objects.filter(pk__in=[scene.papers[p].pk for p in ("p1", "p2", "p3")]).update(
        status="accepted"
    )
    Submission.objects.filter(pk=scene.papers["p4"].pk).update(status="rejected")
    _camera_ready(scene.papers["p2"], licence=True)  # complete
    _camera_ready(scene.papers["p3"], licence=False)  # the licence is missing
    # p1 has nothing yet; its co-author is not a contact author.
    expected = {scene.email("author1"), scene.email("author3")}

    assert queue(w.camera_ready_deadline - 7 * DAY + HOUR) == 0  # decisions not released
    scene.refresh(decisions_released=True)
    assert queue(w.camera_ready_deadline - 7 * DAY - HOUR) == 0
    assert queue(w.camera_ready_deadline - 7 * DAY + HOUR) == 2
    assert queue(w.camera_ready_deadline - 2 * DAY + HOUR) == 2
    assert scene.reminded("camera_ready") == {(s, e) for s in ("7d", "2d") for e in expected}
    assert queue(w.camera_ready_deadline + HOUR) == 0
    subjects = sorted({m.subject for m in mail.outbox})
    assert subjects == ["[REM] Camera-ready due in 2 days", "[REM] Camera-ready due in 7 days"]
    body = next(m.body for m in mail.outbox if m.to == [scene.email("author3")])
    assert f"/submissions/{scene.papers['p3'].pk}/camera-ready/" in body


# --- Switching kinds off -----------------------------------------------------------------------
def test_a_switched_off_kind_sends_nothing(scene):
    w = scene.workshop
    scene.refresh(reminders_disabled=["review_due", "review_overdue"])
    assert queue(w.review_deadline - DAY + HOUR) == 0
    assert queue(w.review_deadline + HOUR) == 0
    assert scene.reminded("review_due") == set() and scene.reminded("review_overdue") == set()
    assert queue(w.bidding_deadline - DAY + HOUR) == 3  # other kinds still run
    kinds = {p.kind for p in planned_reminders(scene.workshop, w.review_deadline - DAY + HOUR)}
    assert "review_due" not in kinds

    scene.refresh(reminders_disabled=["bidding"])
    assert queue(w.review_deadline - DAY + HOUR) == 2  # switched on again: sent now


def test_chairs_see_upcoming_reminders_and_switch_kinds_off(client, scene):
    url = reverse("admin:reviews_reminders", args=[scene.workshop.pk])
    client.force_login(scene.chair)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for kind in KINDS:
        assert f'name="kind-{kind}" checked' in html
    rows = response.context["upcoming"]
    # The bidding deadline is 6 days away: its 3-day and 1-day reminders are upcoming.
    assert [(r["kind"], r["label"]) for r in rows] == [
        ("bidding", "3 days before"),
        ("bidding", "1 day before"),
    ]
    assert f"{KINDS['bidding']} — 3 days before" in html
    assert "switched off" not in html

    response = client.post(url, {"kind-bidding": "", "kind-camera_ready": "on"})
    assert response.status_code == 302
    scene.workshop.refresh_from_db()
    assert scene.workshop.reminders_disabled == [
        "bidding",
        "review_due",
        "review_overdue",
        "rebuttal_open",
    ]
    html = client.get(url).content.decode()
    assert html.count("<strong>switched off</strong>") == 2
    assert 'name="kind-camera_ready" checked' in html
    assert 'name="kind-bidding" checked' not in html

    client.post(url, {f"kind-{k}": "on" for k in KINDS})
    scene.workshop.refresh_from_db()
    assert scene.workshop.reminders_disabled == []


def test_the_reminders_view_is_404_for_a_chair_of_another_workshop(client, scene):
    other = WorkshopFactory(name="Other", short_name="OTH", slug="oth")
    client.force_login(make_chair(other, email="chair@oth-chairs.org"))
    url = reverse("admin:reviews_reminders", args=[scene.workshop.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404
    scene.workshop.refresh_from_db()
    assert scene.workshop.reminders_disabled == []


def test_upcoming_lists_every_step_in_its_window(scene):
    w = scene.workshop
    rows = upcoming(w, w.review_deadline - 8 * DAY)
    assert [(r["kind"], r["at"]) for r in rows] == [
        ("review_due", w.review_deadline - 7 * DAY),
        ("review_due", w.review_deadline - 3 * DAY),
        ("review_due", w.review_deadline - DAY),
        ("review_overdue", w.review_deadline),
        ("review_overdue", w.review_deadline + DAY),
        ("review_overdue", w.review_deadline + 2 * DAY),
        ("rebuttal_open", w.rebuttal_opens),
    ]
    assert set(STEPS) == {"bidding", "review_due", "camera_ready"}


def test_the_periodic_tasks_are_scheduled_and_the_tick_queues(scene, monkeypatch):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reviews.tasks.reminders_tick", "workshop.tasks.digests_send"} <= tasks
    from reviews.tasks import reminders_tick
    from workshop.tasks import digests_send as digests_task

    assert reminders_tick.name in celery_app.tasks
    assert digests_task.name == "workshop.tasks.digests_send"
    assert digests_task.name in celery_app.tasks

    now = scene.workshop.review_deadline - 3 * DAY + HOUR
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    with on_commit():
        assert reminders_tick.delay().get() == 2
    assert {s for s, _ in scene.reminded("review_due")} == {"3d"}


# --- Digests -----------------------------------------------------------------------------------
@dataclass
class Discussion:
    workshop: Workshop
    chair: User
    paper: Submission
    reader: User  # chose the digest for discussion comments
    writer: User
    other: User


@pytest.fixture
def discussion(db) -> Discussion:
    workshop = WorkshopFactory(name="Digest Workshop", short_name="DIG", slug="dig")
    TopicFactory(workshop=workshop, name="Evaluation")
    SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    chair = make_chair(workshop, name="Dig Chair", email="chair@dig-chairs.org")
    owner = UserFactory(name="Paper Owner", email="owner@owner-lab.org")
    paper = _paper(workshop, 1, owner)
    people = []
    for i, key in enumerate(("reader", "writer", "other")):
        user = UserFactory(name=f"{key.title()} Reviewer", email=f"{key}@{key}-uni.org")
        MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
        assignment = Assignment.objects.create(submission=paper, reviewer=user, pseudonym="ABC"[i])
        Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED)
        people.append(user)
    mail.outbox.clear()
    return Discussion(workshop, chair, paper, *people)


def comment(d: Discussion, body: str) -> None:
    with on_commit():
        comment_post(submission=d.paper, user=d.writer, body=body)


def profile_data(user: User, **notify: str) -> dict[str, str]:
    return {"name": user.name, "affiliation": user.affiliation, **notify}


def test_the_profile_page_offers_digests_for_non_essential_mail_only(client, discussion):
    client.force_login(discussion.reader)
    html = client.get(reverse("profile")).content.decode()
    for kind in NON_ESSENTIAL:
        assert f'name="notify_{kind}" value="event"' in html
        assert f'name="notify_{kind}" value="digest"' in html
    for essential in ("submission_receipt", "assignment_notice", "decision"):
        assert f"notify_{essential}" not in html

    response = client.post(
        reverse("profile"),
        profile_data(
            discussion.reader,
            notify_discussion_comment="digest",
            notify_author_response_notice="event",
            notify_submission_receipt="digest",  # not offered: ignored
        ),
    )
    assert response.status_code == 302
    discussion.reader.refresh_from_db()
    assert discussion.reader.notification_prefs == {
        "discussion_comment": "digest",
        "author_response_notice": "event",
    }
    html = client.get(reverse("profile")).content.decode()
    assert re.search(r'name="notify_discussion_comment" value="digest"[^>]*checked', html)
    assert not re.search(r'name="notify_discussion_comment" value="event"[^>]*checked', html)
    assert re.search(r'name="notify_reminder_bidding" value="event"[^>]*checked', html)


def test_notifications_set_keeps_only_non_essential_kinds(discussion):
    user = notifications_set(
        user=discussion.reader,
        prefs={"discussion_comment": "digest", "assignment_notice": "digest", "decision": "x"},
    )
    assert user.notification_prefs == {"discussion_comment": "digest"}


def test_comments_wait_for_the_digest_then_go_out_in_one_mail(client, discussion):
    d = discussion
    client.force_login(d.reader)
    client.post(reverse("profile"), profile_data(d.reader, notify_discussion_comment="digest"))
    comment(d, "ZQFIRSTCOMMENT the ablation is missing.")
    comment(d, "ZQSECONDCOMMENT and the baseline too.")

    waiting = OutgoingMail.objects.filter(recipient=d.reader, kind="discussion_comment")
    assert waiting.count() == 2
    assert {m.status for m in waiting} == {MailStatus.DIGEST}
    recipients = [m.to[0] for m in mail.outbox]
    assert d.reader.email not in recipients
    assert recipients.count(d.other.email) == 2  # the others get theirs at once
    assert recipients.count(d.chair.email) == 2

    mail.outbox.clear()
    with on_commit():
        assert digests_send() == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [d.reader.email]
    assert "ZQFIRSTCOMMENT" in digest.body and "ZQSECONDCOMMENT" in digest.body
    assert digest.body.index("ZQFIRSTCOMMENT") < digest.body.index("ZQSECONDCOMMENT")
    assert "/accounts/profile/" in digest.body
    assert {m.status for m in waiting.all()} == {MailStatus.DIGESTED}
    assert OutgoingMail.objects.get(kind="digest").status == MailStatus.SENT

    with on_commit():
        assert digests_send() == 0
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.filter(kind="digest").count() == 1


def test_a_digest_of_a_bidding_reminder(discussion):
    d = discussion
    notifications_set(user=d.reader, prefs={"reminder_bidding": "digest"})
    w = d.workshop
    assert queue(w.bidding_deadline - DAY + HOUR) == 3
    [held] = OutgoingMail.objects.filter(recipient=d.reader, kind="reminder_bidding")
    assert held.status == MailStatus.DIGEST
    assert d.reader.email not in [m.to[0] for m in mail.outbox]
    with on_commit():
        assert digests_send() == 1
    assert [m.to[0] for m in mail.outbox].count(d.reader.email) == 1


def test_essential_mail_is_sent_at_once_even_to_a_digest_reader(discussion):
    d = discussion
    d.reader.notification_prefs = {
        **dict.fromkeys(NON_ESSENTIAL, "digest"),
        "assignment_notice": "digest",  # even if it were stored somehow
        "submission_receipt": "digest",
    }
    d.reader.save(update_fields=["notification_prefs"])

    second = _paper(d.workshop, 2, UserFactory(name="Second Owner", email="s@second-lab.org"))
    with on_commit():
        assignment_add(submission=second, reviewer=d.reader, chair=d.chair)
    notice = OutgoingMail.objects.get(recipient=d.reader, kind="assignment_notice")
    assert notice.status == MailStatus.SENT
    assert d.reader.email in [m.to[0] for m in mail.outbox]

    mail.outbox.clear()
    own = new_submission(d.workshop, d.reader, title="The reader's own paper")
    with on_commit():
        submission_submit(submission=own, user=d.reader)
    receipt = OutgoingMail.objects.filter(to=d.reader.email, kind="submission_receipt").last()
    assert receipt is not None and receipt.status == MailStatus.SENT
    assert [m.to[0] for m in mail.outbox] == [d.reader.email]
    with on_commit():
        assert digests_send() == 0
