"""Papers under review built from the shared factories, for the reviewing tests that need
many of them (the dashboard's query counts and its order)."""

from __future__ import annotations

import factory

from reviews.services.reviewing import default_form_create, review_save_draft
from tests.factories import AssignmentFactory, ReviewFactory, SubmissionFactory
from workshop.models import Role, User, Workshop

DASH_TITLE = factory.LazyAttribute(lambda paper: f"Dash paper {paper.number}")


def dashboard_papers(workshop: Workshop, owner: User, reviewer: User, count: int) -> None:
    """`count` submitted papers of `owner` ("Dash paper <number>") assigned to `reviewer`:
    as reviewer with the review not started, a draft, submitted, in turn, and every fourth
    as area chair."""
    questions = default_form_create(workshop)
    for i in range(count):
        paper = SubmissionFactory(workshop=workshop, created_by=owner, title=DASH_TITLE)
        role = Role.AREA_CHAIR if i % 4 == 3 else Role.REVIEWER
        assignment = AssignmentFactory(submission=paper, reviewer=reviewer, role=role)
        if role == Role.AREA_CHAIR:
            continue
        if i % 4 == 1:
            review_save_draft(
                assignment=assignment, user=reviewer, answers={questions[0].pk: "draft"}
            )
        elif i % 4 == 2:
            ReviewFactory(assignment=assignment, submitted=True)
