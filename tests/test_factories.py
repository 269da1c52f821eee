"""The shared factories build rows the application itself would accept: every constraint
holds, numbers and pseudonyms run as the services give them, and the related rows a test
expects (the contact author, the reviewer's membership) are there."""

from __future__ import annotations

import pytest

from reviews.models import Outcome, QuestionKind, ReviewStatus
from submissions.models import SubmissionStatus
from tests.factories import (
    AssignmentFactory,
    AuthorshipFactory,
    BidFactory,
    ConflictOverrideFactory,
    DecisionFactory,
    ReviewFactory,
    ReviewQuestionFactory,
    SubmissionFactory,
    SubmissionTypeFactory,
    WorkshopFactory,
)
from workshop.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_papers_are_numbered_per_workshop_with_their_creator_as_contact_author():
    workshop, other = WorkshopFactory(), WorkshopFactory()
    first, second = SubmissionFactory(workshop=workshop), SubmissionFactory(workshop=workshop)
    elsewhere = SubmissionFactory(workshop=other)
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    assert first.status == SubmissionStatus.SUBMITTED and first.submitted_at is not None
    (contact,) = first.authors.all()
    assert (contact.email, contact.position, contact.is_contact) == (
        first.created_by.email, 1, True,
    )  # fmt: skip
    co = AuthorshipFactory(submission=first)
    assert (co.position, co.is_contact) == (2, False)
    draft = SubmissionFactory(status=SubmissionStatus.DRAFT, contact=False)
    assert draft.submitted_at is None and not draft.authors.exists()
    for paper in (first, second, elsewhere, draft):
        paper.full_clean()


def test_a_submission_type_is_one_per_name_and_workshop():
    workshop = WorkshopFactory()
    assert SubmissionTypeFactory(workshop=workshop) == SubmissionTypeFactory(workshop=workshop)
    assert SubmissionTypeFactory(workshop=workshop, name="Short", page_limit=4).page_limit == 4


def test_assignments_name_reviewers_in_turn_and_make_them_members():
    paper = SubmissionFactory()
    a, b = AssignmentFactory(submission=paper), AssignmentFactory(submission=paper)
    chair = AssignmentFactory(submission=paper, role=Role.AREA_CHAIR)
    assert (a.pseudonym, b.pseudonym, chair.pseudonym) == ("A", "B", "")
    assert Membership.objects.filter(workshop=paper.workshop, user=a.reviewer,
                                     role=Role.REVIEWER).exists()  # fmt: skip
    assert Membership.objects.filter(workshop=paper.workshop, user=chair.reviewer,
                                     role=Role.AREA_CHAIR).exists()  # fmt: skip


def test_reviews_carry_their_answers_and_a_submitted_one_its_first_version():
    summary = ReviewQuestionFactory()
    overall = ReviewQuestionFactory(workshop=summary.workshop, score=True, label="Overall")
    assert overall.kind == QuestionKind.SCORE and overall.score_labels()[5] == "Strong accept"
    paper = SubmissionFactory(workshop=summary.workshop)
    review = ReviewFactory(assignment__submission=paper, submitted=True,
                           answers={summary: "Sound.", overall: 4})  # fmt: skip
    assert (review.status, review.version) == (ReviewStatus.SUBMITTED, 1)
    assert review.submitted_at is not None
    assert dict(review.answers.values_list("question__label", "value")) == {
        summary.label: "Sound.", "Overall": 4,
    }  # fmt: skip
    draft = ReviewFactory()
    assert draft.status == ReviewStatus.DRAFT and not draft.answers.exists()


def test_bids_conflicts_and_decisions_point_at_the_paper_and_its_workshop():
    paper = SubmissionFactory()
    bid = BidFactory(submission=paper)
    conflict = ConflictOverrideFactory(submission=paper, user=bid.user)
    decision = DecisionFactory(submission=paper)
    assert decision.category.workshop == paper.workshop
    assert decision.category.outcome == Outcome.ACCEPT
    assert DecisionFactory(submission=SubmissionFactory(workshop=paper.workshop)).category == (
        decision.category
    )
    for row in (bid, conflict, decision):
        row.full_clean()
