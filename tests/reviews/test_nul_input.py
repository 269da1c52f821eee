"""Text posted with a NUL character never reaches the database (issue 30, found by the form
fuzzer): PostgreSQL refuses NUL in text, a 500 on the discussion form of a paper page.
The views that read posted text by hand drop it (`workshop.posted.posted_text`)."""

from __future__ import annotations

import pytest
from django.test import Client

from reviews.models import Comment
from tests.factories import SubmissionFactory, UserFactory, WorkshopFactory, make_chair

pytestmark = pytest.mark.django_db


def test_a_comment_with_a_nul_character_is_posted_without_it():
    workshop = WorkshopFactory()
    chair = make_chair(workshop)
    author = UserFactory()
    paper = SubmissionFactory(workshop=workshop, created_by=author)
    client = Client()
    client.force_login(chair)
    response = client.post(
        f"/reviewing/{workshop.slug}/papers/1/comment/",
        {"body": "before\x00after", "audience": "committee"},
    )
    assert response.status_code == 302
    assert list(Comment.objects.filter(submission=paper).values_list("body", flat=True)) == [
        "beforeafter"
    ]
