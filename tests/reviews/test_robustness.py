"""Bad input never gets a 500, and people with two roles are not tripped up."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory, WorkshopFactory, make_chair
from workshop.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def chair_world():
    workshop = WorkshopFactory()
    other = WorkshopFactory()
    return workshop, other, make_chair(workshop, email="chair@chair-uni.org")


GARBAGE_GETS = [
    ("admin:reviews_assignment_add", None, {"workshop": "abc"}),
    ("admin:reviews_decision_mails", "W", {"preview": "abc"}),
    ("admin:reviews_run_compare", None, {"a": "x", "b": "y"}),
]


@pytest.mark.parametrize(("name", "arg", "query"), GARBAGE_GETS)
def test_garbage_query_strings_in_chair_tools_are_404_or_ignored(
    client, chair_world, name, arg, query
):
    workshop, _, chair = chair_world
    client.force_login(chair)
    args = [workshop.pk] if arg else []
    response = client.get(reverse(name, args=args), query)
    assert response.status_code in (200, 404)


def test_a_garbage_or_foreign_workshop_id_when_building_proceedings_is_a_404(client, chair_world):
    workshop, other, chair = chair_world
    client.force_login(chair)
    url = reverse("admin:submissions_proceedingsbundle_add")
    assert client.post(url, {"workshop": "abc"}).status_code == 404
    assert client.post(url, {"workshop": other.pk}).status_code == 404
    assert client.post(url, {"workshop": workshop.pk}).status_code == 302


def test_reminder_settings_go_through_the_service_and_only_for_chairs(chair_world):
    from reviews.reminders import KINDS, reminders_configure
    from workshop.errors import NotAllowed

    workshop, _, chair = chair_world
    off = reminders_configure(workshop=workshop, chair=chair, enabled={"review_due"})
    workshop.refresh_from_db()
    assert set(off) == set(KINDS) - {"review_due"} == set(workshop.reminders_disabled)
    with pytest.raises(NotAllowed):
        reminders_configure(workshop=workshop, chair=UserFactory(), enabled=set())


def test_a_reviewer_who_is_also_an_area_chair_reaches_the_review_pages(client):
    workshop = WorkshopFactory()
    person = UserFactory(email="both@two-roles.org")
    MembershipFactory(workshop=workshop, user=person, role=Role.REVIEWER)
    MembershipFactory(workshop=workshop, user=person, role=Role.AREA_CHAIR)
    client.force_login(person)
    assert client.get(reverse("reviews:profile", args=[workshop.slug])).status_code == 200
    assert client.get(reverse("reviews:bids", args=[workshop.slug])).status_code == 200
