"""Chairs read the conflicts that reviewers and authors declared, and the committee's
reviewer profiles, through the API (issue 11: "conflicts (declared and chair-set)",
"profiles"); nobody else does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.services import token_create
from reviews.models import ConflictDeclaration, ReviewerProfile, TopicExpertise
from submissions.models import AuthorConflict, Submission
from tests.factories import TopicFactory, UserFactory, WorkshopFactory
from workshop.models import Membership, Role

from .world import auth

pytestmark = pytest.mark.django_db


def test_chairs_read_declared_conflicts_and_profiles_reviewers_do_not(client):
    workshop = WorkshopFactory()
    topic = TopicFactory(workshop=workshop, name="Distillation")
    chair, reviewer, author = UserFactory(), UserFactory(email="rev@lab.example.org"), UserFactory()
    Membership.objects.create(workshop=workshop, user=chair, role=Role.CHAIR)
    Membership.objects.create(workshop=workshop, user=reviewer, role=Role.REVIEWER)
    paper = Submission.objects.create(workshop=workshop, number=7, title="T", created_by=author)
    ConflictDeclaration.objects.create(
        workshop=workshop, user=reviewer, kind="institution", value="ZQ Lab", reason="former"
    )
    AuthorConflict.objects.create(submission=paper, member=reviewer, reason="co-author")
    profile = ReviewerProfile.objects.create(
        workshop=workshop, user=reviewer, expertise_text="Small models ZQEXPERT"
    )
    TopicExpertise.objects.create(profile=profile, topic=topic, level="expert")
    _, chair_secret = token_create(user=chair, name="c", workshops=[workshop])
    _, reviewer_secret = token_create(user=reviewer, name="r", workshops=[workshop])

    declared = reverse("api:declared-conflicts", args=[workshop.slug])
    rows = client.get(declared, **auth(chair_secret)).json()["results"]
    assert {"source": "reviewer", "paper": None, "person": "rev@lab.example.org",
            "kind": "institution", "value": "ZQ Lab", "reason": "former"} in rows  # fmt: skip
    assert any(r["source"] == "authors" and r["paper"] == 7 and r["person"] == reviewer.email
               for r in rows)  # fmt: skip
    only = client.get(declared, {"paper": 7}, **auth(chair_secret)).json()["results"]
    assert [r["source"] for r in only] == ["authors"]

    profiles = reverse("api:profiles", args=[workshop.slug])
    (row,) = client.get(profiles, **auth(chair_secret)).json()["results"]
    assert row["email"] == reviewer.email and row["topics"] == {"Distillation": "expert"}
    assert "ZQEXPERT" in row["expertise_text"]

    for url in (declared, profiles):
        response = client.get(url, **auth(reviewer_secret))
        assert response.status_code == 403 and "ZQ" not in response.content.decode()
