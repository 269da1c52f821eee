"""Review rounds and response rounds travel in the workshop archive (issue 27, parts 2 and
3): the rounds, a paper sent to round 2 (with the version it is compared to), its round-2
assignments, a round's own question, the revise-and-resubmit category and a response
round come back as they were, pointing at the restored rows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reviews.models import (
    Assignment,
    DecisionCategory,
    Outcome,
    PaperRound,
    ResponseRound,
    ReviewQuestion,
    ReviewRound,
)
from submissions.models import Submission
from tests.policy_spec import build_world
from transfer.archive import _models, archive_export, archive_restore, archive_rows
from transfer.report import Report
from workshop.models import User, Workshop
from workshop.policy import SYSTEM

pytestmark = pytest.mark.django_db


def _wipe(workshop: Workshop) -> None:
    Submission.objects.filter(workshop=workshop).update(
        paper=None, supplementary=None, camera_ready=None
    )
    for _, model, path in reversed(_models()):
        model.objects.filter(**{path: workshop.pk}).delete()


def test_rounds_and_what_points_at_them_come_back():
    world = build_world()
    now = timezone.now().replace(microsecond=0)
    first = ReviewRound.objects.create(workshop=world.a, number=1, name="Round 1")
    second = ReviewRound.objects.create(
        workshop=world.a, number=2, name="Second round", review_deadline=now,
        review_hard_deadline=now + dt.timedelta(days=1), resubmission_deadline=now,
    )  # fmt: skip
    DecisionCategory.objects.create(workshop=world.a, name="Revise and resubmit",
                                    outcome=Outcome.REJECT, revise_round=second)  # fmt: skip
    p = Submission.objects.get(pk=world.p.pk)
    had_paper = p.paper_id is not None
    PaperRound.objects.create(submission=p, round=second, category_name="Revise and resubmit",
                              previous_paper=p.paper)  # fmt: skip
    reviewer = User.objects.get(pk=world.users["R1-submitted"])
    Assignment.objects.create(submission=p, reviewer=reviewer, round=second, pseudonym="A")
    ReviewQuestion.objects.create(workshop=world.a, label="What changed?", kind="text",
                                  round=second)  # fmt: skip
    ResponseRound.objects.create(workshop=world.a, name="Second response", opens=now,
                                 closes=now + dt.timedelta(days=2), words_soft=300,
                                 words_hard=500, condition="round:2")  # fmt: skip
    workshop = Workshop.objects.get(pk=world.a.pk)
    before = archive_rows(workshop)
    assert len(before["reviews.ReviewRound"]) == 2
    assert len(before["reviews.PaperRound"]) == 1
    assert len(before["reviews.ResponseRound"]) == 1
    data = archive_export(workshop=workshop)
    emails = [row["email"] for row in before["workshop.User"]]
    _wipe(workshop)
    User.objects.filter(email__in=emails).delete()
    assert not ReviewRound.objects.filter(pk__in=[first.pk, second.pk]).exists()

    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report)
    assert report.ok, report.errors
    assert archive_rows(restored) == before
    second = ReviewRound.objects.get(workshop=restored, number=2)
    sent = PaperRound.objects.get(round=second)
    if had_paper:  # the version it is compared to is the restored paper's
        assert sent.previous_paper.submission == sent.submission
    assert Assignment.objects.get(round=second).reviewer.email == reviewer.email
    assert ReviewQuestion.objects.get(workshop=restored, round=second).label == "What changed?"
    assert DecisionCategory.objects.get(workshop=restored, revise_round=second)
    assert ResponseRound.objects.get(workshop=restored).condition == "round:2"
