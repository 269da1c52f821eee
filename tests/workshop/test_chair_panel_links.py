"""The chair's panel on the admin home links the moderation queue of public comments and the
activity log of each workshop (issue 24), and only the chair's own workshops'."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import WorkshopFactory, make_chair
from workshop.models import Role
from workshop.services import membership_grant

pytestmark = pytest.mark.django_db


def test_the_panel_links_moderation_and_the_activity_log(client):
    open_ws = WorkshopFactory(name="Open Alpha", slug="open-alpha", openness="accepted")
    closed_ws = WorkshopFactory(name="Closed Beta", slug="closed-beta", openness="closed")
    other = WorkshopFactory(name="Other Gamma", slug="other-gamma", openness="all")
    chair = make_chair(open_ws)
    membership_grant(workshop=closed_ws, user=chair, role=Role.CHAIR)
    client.force_login(chair)
    page = client.get(reverse("admin:index")).content.decode()
    moderation = reverse("forum:moderation", args=[open_ws.slug])
    assert f'<a href="{moderation}">Moderation queue</a>' in page
    activity = reverse("admin:workshop_activity_changelist")
    assert f'href="{activity}?workshop__id__exact={open_ws.pk}">Activity log</a>' in page
    assert reverse("forum:moderation", args=[other.slug]) not in page
    # The queue it leads to is the chair's to use.
    # A workshop whose reviews stay private has no forum to moderate: said, not linked.
    assert reverse("forum:moderation", args=[closed_ws.slug]) not in page
    assert "Moderation <small>(reviews stay private: no public forum)</small>" in page
    # The queue it leads to is the chair's to use.
    assert client.get(moderation).status_code == 200
