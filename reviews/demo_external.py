"""The demo's external reviewers (issue 28): reviewer1 (the demo login) has asked an outside
expert for their first paper (the invitation waits in the outbox), and a request to one of
the paper's authors is held for the chairs (the admin's "External review requests")."""

from __future__ import annotations

from django.test import TestCase

from submissions.models import Authorship
from workshop.models import User, Workshop

from .models import Assignment, ExternalReviewRequest
from .services.external import external_request_create


def seed_external(workshop: Workshop) -> None:
    if ExternalReviewRequest.objects.filter(submission__workshop=workshop).exists():
        return
    requester = User.objects.filter(email="reviewer1@example.org").first()
    first = (
        Assignment.objects.filter(submission__workshop=workshop, reviewer=requester)
        .select_related("submission__workshop")
        .order_by("submission__number")
        .first()
    )
    if requester is None or first is None:
        return
    paper = first.submission
    author = Authorship.objects.filter(submission=paper).exclude(email="").first()
    with TestCase.captureOnCommitCallbacks(execute=True):
        external_request_create(
            submission=paper, requester=requester, email="expert@example-lab.org",
            name="Erin Expert", message="You know this benchmark better than anyone.",
        )  # fmt: skip
        if author is not None:
            external_request_create(submission=paper, requester=requester, email=author.email)
