"""External reviewers travel in the workshop archive (issue 28, part 1): the chairs'
choices and every request (pending, held with its reasons, accepted with its assignment and
approval) come back as they were."""

from __future__ import annotations

import pytest
from django.utils import timezone

from reviews.models import (
    EXTERNAL,
    Assignment,
    ExternalPolicy,
    ExternalReviewRequest,
    ExternalReviewSettings,
    Review,
    ReviewStatus,
)
from submissions.models import Submission
from tests.factories import UserFactory
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


def test_external_requests_their_reviews_and_the_settings_come_back():
    world = build_world()
    ExternalReviewSettings.objects.create(
        workshop=world.a, policy=ExternalPolicy.APPROVAL, sees_discussion=True
    )
    expert = UserFactory(email="zqexpert@expert-lab.org")
    assignment = Assignment.objects.create(
        submission=world.p, reviewer=expert, role=EXTERNAL, pseudonym="A"
    )
    Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED, version=1)
    requester = User.objects.get(pk=world.users["R1-submitted"])
    now = timezone.now()
    ExternalReviewRequest.objects.create(
        submission=world.p, requester=requester, email=expert.email, due_at=now,
        status="accepted", assignment=assignment, counts=True, approved_at=now,
        approved_by=requester, accept_hash="a" * 64, decline_hash="d" * 64,
    )  # fmt: skip
    ExternalReviewRequest.objects.create(
        submission=world.p, requester=requester, email="zqheld@held-lab.org", due_at=now,
        status="held", hold_reasons=["domain", "approval"],
    )  # fmt: skip
    workshop = Workshop.objects.get(pk=world.a.pk)
    before = archive_rows(workshop)
    assert len(before["reviews.ExternalReviewRequest"]) == 3  # the world's own, and these
    assert len(before["reviews.ExternalReviewSettings"]) == 1
    data = archive_export(workshop=workshop)
    emails = [row["email"] for row in before["workshop.User"]]
    _wipe(workshop)
    User.objects.filter(email__in=emails).delete()
    assert not ExternalReviewRequest.objects.exists()

    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report)
    assert report.ok, report.errors
    assert archive_rows(restored) == before
    accepted = ExternalReviewRequest.objects.get(status="accepted")
    assert accepted.assignment.role == EXTERNAL and accepted.assignment.reviewer.email == (
        "zqexpert@expert-lab.org"
    )
    assert accepted.counts and accepted.approved_by.email == requester.email
    assert ExternalReviewRequest.objects.get(status="held").hold_reasons == ["domain", "approval"]
    assert restored.external_review_settings.sees_discussion
