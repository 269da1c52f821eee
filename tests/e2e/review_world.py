"""The world of the review flow's browser tests, shared with the forum flow: workshop OSLLM
in reviewing, its paper (TITLE) with two reviewers, Rita (Reviewer A, not started) and Bob
(Reviewer B, submitted: BOB_TEXT). tests/e2e/conftest.py registers the fixture."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.utils import timezone

from reviews.models import Assignment
from reviews.services.assignment import assignment_add
from reviews.services.reviewing import default_form_create, review_submit
from submissions.models import Submission, SubmissionType
from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.submissions.conftest import new_submission
from workshop.models import Role, Workshop

TITLE = "Contamination audits for open benchmark suites"


RITA_EMAIL = "rita@rita-lab.org"


BOB_NAME = "Bob ZQBOBNAME"


BOB_TEXT = "ZQBOBTEXT The audit protocol is convincing."


AUTHOR_NAME = "Zed ZQAUTHORNAME"


@pytest.fixture
def review_setup() -> dict:
    w = WorkshopFactory(name="Open-Source LLM Workshop", short_name="OSLLM", slug="osllm")
    TopicFactory(workshop=w, name="Evaluation")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    author = UserFactory(name=AUTHOR_NAME, email="zed@zq-author.example.net")
    abstract = "We audit $n$ open benchmark suites for contamination."
    paper = new_submission(w, author, title=TITLE, abstract=abstract)
    now = timezone.now().replace(microsecond=0)
    Submission.objects.filter(pk=paper.pk).update(status="submitted", submitted_at=now)
    Workshop.objects.filter(pk=w.pk).update(
        paper_deadline=now - timezone.timedelta(days=2),
        bidding_deadline=now - timezone.timedelta(days=1),
        review_deadline=now + timezone.timedelta(days=7),
    )
    questions = {q.label: q for q in default_form_create(w)}
    chair = make_chair(w, name="Ada Chair", email="ada@chairs.example.com")
    rita = UserFactory(name="Rita Reviewer", email=RITA_EMAIL, affiliation="Rita Lab")
    bob = UserFactory(name=BOB_NAME, email="bob@bob-lab.org")
    assignments = {}
    with TestCase.captureOnCommitCallbacks(execute=True):
        for user in (rita, bob):
            MembershipFactory(workshop=w, user=user, role=Role.REVIEWER)
            assignments[user.pk], _ = assignment_add(submission=paper, reviewer=user, chair=chair)
        review_submit(
            assignment=assignments[bob.pk],
            user=bob,
            answers={
                questions["Summary"].pk: BOB_TEXT,
                questions["Strengths"].pk: "Careful.",
                questions["Weaknesses"].pk: "Only English suites.",
                questions["Overall recommendation"].pk: 4,
                questions["Confidence"].pk: 4,
            },
        )
    rita_assignment = Assignment.objects.get(pk=assignments[rita.pk].pk)
    assert rita_assignment.pseudonym == "A"
    assert Assignment.objects.get(pk=assignments[bob.pk].pk).pseudonym == "B"
    return {"workshop": w, "paper": paper, "rita": rita, "assignment": rita_assignment,
            "questions": questions}  # fmt: skip
