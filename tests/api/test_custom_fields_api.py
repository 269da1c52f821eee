"""Custom submission fields (issue 27) through the API: the questions (read), a paper's
answers for its authors and chairs (read), written by its contact authors with the browser's
checks; nobody else reads them here."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from api.models import TokenScope
from api.services import token_create
from submissions.models import SubmissionType
from submissions.services import submission_create
from tests.factories import (
    SubmissionFieldFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    workshop = WorkshopFactory(slug="api-cf")
    topic = TopicFactory(workshop=workshop)
    SubmissionType.objects.create(workshop=workshop, name="Full", page_limit=8)
    SubmissionFieldFactory(workshop=workshop, code="code-link", label="Link to code", kind="url",
                           required=True)  # fmt: skip
    SubmissionFieldFactory(workshop=workshop, code="gpu-hours", label="GPU hours", kind="number",
                           visibility="chairs")  # fmt: skip
    author = UserFactory()
    paper = submission_create(workshop=workshop, user=author, title="T", abstract="A",
                              primary_topic=topic)  # fmt: skip
    return workshop, author, paper


def bearer(user, workshop, scope=TokenScope.READ_WRITE):
    _, secret = token_create(user=user, name="t", workshops=[workshop], scope=scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_questions_are_listed(client, setup):
    workshop, author, _ = setup
    response = client.get(reverse("api:fields", args=[workshop.slug]), **bearer(author, workshop))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["code"], r["kind"], r["required"], r["visibility"]) for r in rows] == [
        ("code-link", "url", True, "reviewers"),
        ("gpu-hours", "number", False, "chairs"),
    ]


def test_authors_write_and_read_answers_chairs_read_them(client, setup):
    workshop, author, paper = setup
    url = reverse("api:submission-fields", args=[paper.pk])
    headers = bearer(author, workshop)
    bad = client.put(url, json.dumps({"code-link": "nope", "gpu-hours": "12"}),
                     content_type="application/json", **headers)  # fmt: skip
    assert bad.status_code == 400 and "enter a full web address" in bad.content.decode()
    assert client.get(url, **headers).json()["answers"] == {"code-link": None, "gpu-hours": None}
    ok = client.put(url, json.dumps({"code-link": "https://git.example/x", "gpu-hours": 120}),
                    content_type="application/json", **headers)  # fmt: skip
    assert ok.status_code == 200, ok.content
    assert ok.json()["answers"] == {"code-link": "https://git.example/x", "gpu-hours": 120.0}
    chair = make_chair(workshop)
    assert client.get(url, **bearer(chair, workshop)).json()["answers"]["gpu-hours"] == 120.0
    refused = client.put(url, json.dumps({"gpu-hours": 1}), content_type="application/json",
                         **bearer(chair, workshop))  # fmt: skip
    assert refused.status_code == 403
    stranger = UserFactory()
    other = WorkshopFactory()
    make_chair(other)
    assert client.get(url, **{"HTTP_AUTHORIZATION": "Bearer nope"}).status_code == 401
    client.force_login(stranger)
    assert client.get(url).status_code == 404


def test_a_read_only_token_cannot_write(client, setup):
    workshop, author, paper = setup
    url = reverse("api:submission-fields", args=[paper.pk])
    response = client.put(url, json.dumps({"gpu-hours": 1}), content_type="application/json",
                          **bearer(author, workshop, TokenScope.READ))  # fmt: skip
    assert response.status_code == 403
