"""The author's to-do list (`submissions.todo.author_todo`) through the lifecycle (issue 13).

One list feeds the dashboard, the paper page and the authors' reminder mails; each item has
plain words, the deadline that binds it and the URL of the place to act.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse

from reviews.reminders import reminders_queue
from submissions.models import Authorship, SubmissionStatus
from submissions.services import submission_submit
from submissions.todo import author_todo
from tests.factories import make_chair
from workshop.models import OutgoingMail

from .conftest import new_submission

pytestmark = pytest.mark.django_db


def codes(items) -> list[str]:
    return [i.code for i in items]


def by_code(items, code):
    (item,) = [i for i in items if i.code == code]
    return item


def test_a_new_draft_lists_what_is_missing_then_submit(workshop, author):
    draft = new_submission(workshop, author, with_pdf=False, submission_type=None)
    items = author_todo(draft, author)
    assert codes(items) == ["missing_type", "missing_paper", "submit", "conflicts"]
    paper = by_code(items, "missing_paper")
    assert paper.url == reverse("submissions:detail", args=[draft.pk]) + "#paper-file"
    assert paper.deadline == workshop.paper_deadline
    assert by_code(items, "missing_type").url == reverse("submissions:edit", args=[draft.pk])
    assert by_code(items, "conflicts").optional


def test_anonymity_warnings_and_unconfirmed_coauthors(workshop, author):
    paper = new_submission(workshop, author)
    submission_submit(submission=paper, user=author, notify=False)
    Authorship.objects.create(
        submission=paper, position=2, name="Bob Pending", email="bob@nowhere.example.net"
    )
    stored = paper.paper
    stored.anonymity_flag = True
    stored.check_report = {"anonymity_hits": [{"page": 1, "text": "Alice"}]}
    stored.save()
    paper.refresh_from_db()
    items = author_todo(paper, author)
    assert codes(items) == ["anonymise", "coauthors", "conflicts"]
    assert "page 1" in by_code(items, "anonymise").label
    assert "Bob Pending" in by_code(items, "coauthors").label
    assert by_code(items, "coauthors").url == reverse("submissions:authors", args=[paper.pk])


def test_after_the_deadline_nothing_but_what_the_phase_asks(workshop, author, frozen_now):
    paper = new_submission(workshop, author)
    paper = submission_submit(submission=paper, user=author, notify=False)
    frozen_now(workshop.paper_deadline + dt.timedelta(days=1))
    assert author_todo(paper, author) == []


def test_released_reviews_and_the_response_window(workshop, author, frozen_now):
    paper = new_submission(workshop, author)
    submission_submit(submission=paper, user=author, notify=False)
    now = workshop.review_deadline + dt.timedelta(days=1)
    type(workshop).objects.filter(pk=workshop.pk).update(
        reviews_released=True,
        rebuttal_opens=now - dt.timedelta(hours=1),
        rebuttal_closes=now + dt.timedelta(days=3),
    )
    paper.refresh_from_db()
    frozen_now(now)
    items = author_todo(paper, author)
    assert codes(items) == ["read_reviews", "respond"]
    respond = by_code(items, "respond")
    assert respond.url == reverse("author_reviews", args=[paper.pk])
    assert respond.deadline == paper.workshop.rebuttal_closes


def test_camera_ready_licence_and_presentation(workshop, author, frozen_now):
    paper = new_submission(workshop, author)
    submission_submit(submission=paper, user=author, notify=False)
    type(paper).objects.filter(pk=paper.pk).update(status=SubmissionStatus.ACCEPTED)
    type(workshop).objects.filter(pk=workshop.pk).update(decisions_released=True)
    paper.refresh_from_db()
    frozen_now(workshop.camera_ready_deadline - dt.timedelta(days=5))
    items = author_todo(paper, author)
    assert codes(items) == ["camera_ready", "licence", "presentation"]
    cr = by_code(items, "camera_ready")
    assert cr.url == reverse("submissions:camera_ready", args=[paper.pk])
    assert cr.deadline == workshop.camera_ready_deadline


def test_withdrawn_and_strangers_have_nothing(workshop, author):
    paper = new_submission(workshop, author)
    chair = make_chair(workshop)
    assert author_todo(paper, chair) == []
    type(paper).objects.filter(pk=paper.pk).update(status=SubmissionStatus.WITHDRAWN)
    paper.refresh_from_db()
    assert author_todo(paper, author) == []


def test_the_paper_page_and_the_dashboard_show_the_same_items(client, workshop, author):
    draft = new_submission(workshop, author, with_pdf=False)
    client.force_login(author)
    labels = [i.label for i in author_todo(draft, author)]
    detail = client.get(reverse("submissions:detail", args=[draft.pk])).content.decode()
    dashboard = client.get(reverse("submissions:dashboard")).content.decode()
    for label in labels:
        assert label in detail and label in dashboard
    assert "AoE" in dashboard  # each deadline in AoE; site.js adds the local time


def test_the_camera_ready_reminder_carries_the_same_items(workshop, author, settings):
    settings.SITE_URL = "http://review.example.org:8101"
    paper = new_submission(workshop, author)
    submission_submit(submission=paper, user=author, notify=False)
    type(paper).objects.filter(pk=paper.pk).update(status=SubmissionStatus.ACCEPTED)
    type(workshop).objects.filter(pk=workshop.pk).update(decisions_released=True)
    paper.refresh_from_db()
    now = workshop.camera_ready_deadline - dt.timedelta(days=6)
    reminders_queue(now=now)
    (mail,) = OutgoingMail.objects.filter(to=author.email, kind="reminder_camera_ready")
    assert "What the paper needs from you now:" in mail.body_text
    # The items as the author sees them at that moment (same function, same clock).
    with mock.patch("django.utils.timezone.now", lambda: now):
        items = author_todo(paper, author)
    assert codes(items) == ["camera_ready", "licence", "presentation"]
    for item in items:
        assert item.label in mail.body_text
        assert f"http://review.example.org:8101{item.url}" in mail.body_text
    assert "127.0.0.1:8000" not in mail.body_text
