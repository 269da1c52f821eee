"""Which papers the review tools show is one rule (`submissions.models.IN_REVIEW`), asked
the same way by the policy and by the pages; what the chairs decide on is another
(`DECIDABLE`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from submissions.models import SubmissionStatus
from workshop.policy import can

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "in_tools"),
    [
        (SubmissionStatus.SUBMITTED, True),
        (SubmissionStatus.ACCEPTED, True),
        (SubmissionStatus.REJECTED, True),
        (SubmissionStatus.DESK_REJECTED, False),
        (SubmissionStatus.WITHDRAWN, False),
    ],
)
def test_the_policy_and_the_paper_page_agree_on_what_is_in_review(client, world, status, in_tools):
    p = world.p
    type(p).objects.filter(pk=p.pk).update(status=status)
    p.refresh_from_db()
    reviewer = world.users["R1-submitted"]
    assert can(reviewer, "reviews.view_paper", p) is in_tools
    client.force_login(reviewer)
    response = client.get(reverse("reviews:paper", args=[world.workshop.slug, p.number]))
    assert response.status_code == (200 if in_tools else 404)
    chair = world.users["chair-A"]
    decidable = status != SubmissionStatus.WITHDRAWN
    assert can(chair, "submissions.set_outcome", p) is decidable
