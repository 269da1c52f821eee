"""What the API tells about people and settings follows the pages (issue 30): a chair's
bulk assignment names only people of the workshop, whatever address is tried; workshop
settings and dates show as much as the milestones do to the same caller; a chair sets
conflicts only with people of the workshop."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from reviews.models import ConflictOverride
from tests.factories import UserFactory
from tests.policy_spec import ROLES, enter_phase
from workshop.models import User
from workshop.phases import MILESTONE_FIELDS

from .world import auth

pytestmark = pytest.mark.django_db
DATES = {key for key, _ in MILESTONE_FIELDS}
COMMITTEE_SETTINGS = {"reviews_per_paper", "other_reviews_visibility", "reviewer_max_load",
                      "bids_requested"}  # fmt: skip


def _post(client, url: str, secret: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json",
                       **auth(secret))  # fmt: skip


@pytest.mark.parametrize("action", ["add", "remove"])
def test_bulk_assignment_names_no_one_outside_the_workshop(client, api_world, action):
    """Another workshop's chair, a user of no workshop and an address of no account get
    the same answer, which repeats the address as given and names nobody."""
    enter_phase(api_world.base, "r")
    world = api_world.base
    chair_b = User.objects.get(pk=world.users["chair-B"])
    stranger = UserFactory(name="ZQ Stranger Name")
    tried = [chair_b.email.upper(), stranger.email, "zq-no-account@example.org"]
    body = {"dry_run": True, action: [{"paper": 1, "reviewer": address} for address in tried]}
    response = _post(client, reverse("api:assignments-bulk", args=[world.a.slug]),
                     api_world.secrets["chair-A"], body)  # fmt: skip
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["message"] for r in results] == [
        f"{address} is not a reviewer of this workshop." for address in tried
    ]
    assert not any(r["ok"] for r in results)
    text = response.content.decode()
    assert chair_b.name not in text and stranger.name not in text


def test_bulk_assignment_still_names_the_workshops_own_people(client, api_world):
    """A member in another role is a person the chair already sees: named as before."""
    enter_phase(api_world.base, "r")
    world = api_world.base
    ac = User.objects.get(pk=world.users["AC-of-P"])
    body = {"dry_run": True, "add": [{"paper": 2, "reviewer": ac.email}]}
    response = _post(client, reverse("api:assignments-bulk", args=[world.a.slug]),
                     api_world.secrets["chair-A"], body)  # fmt: skip
    message = response.json()["results"][0]["message"]
    assert message == f"{ac.name} is not a reviewer of this workshop."


def _visible(client, api_world, role: str) -> tuple[set[str], set[str], set[str]]:
    """(the workshop's fields, the dates set among them, the milestones' keys) for `role`."""
    slug = api_world.base.a.slug
    secret = api_world.secrets[role]
    detail = client.get(reverse("api:workshop", args=[slug]), **auth(secret))
    assert detail.status_code == 200, (role, detail.content)
    shown = detail.json()
    fields = set(shown)
    listed = client.get(reverse("api:workshops"), **auth(secret)).json()["results"]
    mine = [w for w in listed if w["slug"] == slug]
    if mine:  # the list shows each workshop as its detail does
        assert set(mine[0]) == fields, role
    keys = {m["key"] for m in client.get(reverse("api:milestones", args=[slug]),
                                         **auth(secret)).json()}  # fmt: skip
    return fields, {k for k in fields & DATES if shown[k] is not None}, keys


@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("anonymous", "chair-B")])
def test_workshop_settings_show_the_dates_the_milestones_show(client, api_world, role):
    enter_phase(api_world.base, "r")
    fields, dates, milestone_keys = _visible(client, api_world, role)
    assert dates == milestone_keys, role
    insider = "review_deadline" in milestone_keys  # the milestones show it to the committee
    assert (fields >= COMMITTEE_SETTINGS) is insider, role
    assert ("grace_minutes" in fields) is (role == "chair-A"), role
    assert {"name", "short_name", "contact_email", "anonymity", "page_limit"} <= fields


def test_an_author_sees_the_public_settings_only(client, api_world):
    enter_phase(api_world.base, "r")
    fields, dates, _ = _visible(client, api_world, "author-P")
    assert "review_deadline" not in dates and "bidding_deadline" not in dates
    assert "paper_deadline" in dates
    assert not COMMITTEE_SETTINGS & fields and "grace_minutes" not in fields


def test_a_chair_sets_conflicts_only_with_people_of_the_workshop(client, api_world):
    enter_phase(api_world.base, "r")
    world = api_world.base
    url = reverse("api:conflicts", args=[world.a.slug])
    chair_b = User.objects.get(pk=world.users["chair-B"])
    stranger = UserFactory()
    before = ConflictOverride.objects.count()
    for address in (chair_b.email, stranger.email, "zq-no-account@example.org"):
        body = {"paper": 1, "person": address, "conflicted": True, "reason": "ZQ"}
        refused = _post(client, url, api_world.secrets["chair-A"], body)
        assert refused.status_code == 400, (address, refused.content)
        assert refused.json()["error"]["fields"] == {
            "person": ["No committee member or author of this workshop has this address."]
        }
    assert ConflictOverride.objects.count() == before
    # The workshop's own people: a reviewer, and an author of one of its papers.
    for key in ("unassigned", "author-Q"):
        person = User.objects.get(pk=world.users[key])
        body = {"paper": 1, "person": person.email, "conflicted": True, "reason": "ZQ"}
        made = _post(client, url, api_world.secrets["chair-A"], body)
        assert made.status_code == 201, (key, made.content)
