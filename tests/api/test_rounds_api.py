"""Review rounds and response rounds through the API (issue 27, parts 2 and 3): the chairs
list and add rounds, send a paper to round 2 with a revise-and-resubmit category and assign
its reviewers again; nobody else does (one activity entry per change)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reviews.models import Assignment, DecisionCategory, Outcome, PaperRound, ResponseRound
from tests.factories import (
    AssignmentFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.models import Activity, Role

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_chairs_run_a_second_round_through_the_api(client):
    workshop = WorkshopFactory(slug="api-rounds")
    paper = SubmissionFactory(workshop=workshop, status="submitted")
    reviewer = UserFactory()
    MembershipFactory(workshop=workshop, user=reviewer, role=Role.REVIEWER)
    AssignmentFactory(submission=paper, reviewer=reviewer)
    later = (timezone.now() + dt.timedelta(days=20)).isoformat()
    rounds = reverse("api:rounds", args=[workshop.slug])
    body = {"name": "Second round", "review_deadline": later, "resubmission_deadline": later}

    client.force_login(reviewer)  # a reviewer of the workshop: refused, nothing made
    assert client.post(rounds, body, content_type=JSON).status_code == 403
    assert client.get(rounds).status_code == 403

    client.force_login(make_chair(workshop))
    made = client.post(rounds, body, content_type=JSON)
    assert made.status_code == 201, made.content
    assert made.json()["number"] == 2
    assert client.post(rounds, body, content_type=JSON).status_code == 400  # same name
    category = DecisionCategory.objects.create(
        workshop=workshop, name="Revise and resubmit", outcome=Outcome.REJECT,
        revise_round_id=made.json()["id"],
    )  # fmt: skip
    papers = reverse("api:rounds-papers", args=[workshop.slug])
    sent = client.post(papers, {"paper": paper.number, "category": category.pk},
                       content_type=JSON)  # fmt: skip
    assert sent.status_code == 200, sent.content
    assert sent.json()["round"] == 2
    assigned = client.post(papers, {"paper": paper.number}, content_type=JSON)
    assert assigned.json()["assigned"] == [reviewer.pk]
    assert Assignment.objects.filter(submission=paper, round__number=2).count() == 1
    listed = client.get(rounds).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["number"], r["papers"]) for r in rows] == [(1, []), (2, [paper.number])]
    assert PaperRound.objects.filter(submission=paper).count() == 1
    assert (
        Activity.objects.filter(
            workshop=workshop, action__in=["round.create", "round.send", "round.assign"]
        ).count()
        == 3
    )
    assert client.post(papers, {"paper": 999}, content_type=JSON).status_code == 404

    responses = reverse("api:response-rounds", args=[workshop.slug])
    now = timezone.now()
    bad = {
        "name": "Response",
        "opens": now.isoformat(),
        "closes": (now + dt.timedelta(days=2)).isoformat(),
        "condition": "nosuch:1",
    }
    assert client.post(responses, bad, content_type=JSON).status_code == 400
    made = client.post(responses, {**bad, "condition": "round:2", "words_hard": 500},
                       content_type=JSON)  # fmt: skip
    assert made.status_code == 201, made.content
    assert ResponseRound.objects.get(workshop=workshop).condition == "round:2"

    client.force_login(make_chair(WorkshopFactory(slug="api-rounds-other")))
    assert client.post(papers, {"paper": paper.number}, content_type=JSON).status_code in (403, 404)
