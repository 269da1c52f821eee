"""The reviewer's dashboard puts the work to do first (issue 24): reviews not started and
drafts above the submitted ones, whatever the paper numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory, WorkshopFactory
from workshop.models import Role

from .papers import dashboard_papers

pytestmark = pytest.mark.django_db


def test_unfinished_reviews_are_listed_above_submitted_ones(client):
    owner = UserFactory(email="owen@owner-uni.org")
    reviewer = UserFactory(email="dana@dash-lab.org")
    workshop = WorkshopFactory()
    MembershipFactory(workshop=workshop, user=reviewer, role=Role.REVIEWER)
    # Papers 1..4: not started, draft, submitted, area chair; 5..7: not started, draft, submitted.
    dashboard_papers(workshop, owner, reviewer, 7)
    client.force_login(reviewer)
    html = client.get(reverse("reviews:dashboard")).content.decode()
    positions = {n: html.index(f"Dash paper {n}<") for n in range(1, 8)}
    submitted = [positions[3], positions[7]]
    to_do = [positions[n] for n in (1, 2, 4, 5, 6)]
    assert max(to_do) < min(submitted)
    # Within each group the order stays the deadline's, then the paper number's.
    assert positions[1] < positions[2] < positions[4] < positions[5] < positions[6]
    assert positions[3] < positions[7]
