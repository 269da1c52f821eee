"""Bulk assignment (issue 22): `assignments_bulk_change` is the service behind the API's
bulk endpoint; each change made writes one activity entry through `assignment_add` or
`assignment_remove`, a refused change leaves no trace and says why, and the chairs alone
may call it."""

from __future__ import annotations

import pytest
from django.test import TestCase

from reviews.models import Assignment
from reviews.services.assignment import AssignmentChange, assignments_bulk_change
from tests.factories import MembershipFactory, UserFactory
from tests.reviews.conftest import World
from workshop.errors import NotAllowed
from workshop.models import Activity, Role


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def test_one_activity_entry_per_change_and_none_for_a_refused_one(world):
    newcomer = UserFactory(name="Nia Newcomer", email="nia@example.org")
    MembershipFactory(workshop=world.workshop, user=newcomer, role=Role.REVIEWER)
    r3 = world.users["R3-not-started"]
    last = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        results = assignments_bulk_change(
            workshop=world.workshop, chair=world.users["chair-A"],
            remove=[AssignmentChange(1, r3.email.upper()), AssignmentChange(2, r3.email)],
            add=[
                AssignmentChange(1, "nia@example.org"),
                AssignmentChange(1, "nia@example.org"),  # again: nothing changes
                AssignmentChange(9, "nia@example.org"),
                AssignmentChange(2, "stranger@example.org"),
                AssignmentChange(1, world.users["conflicted"].email),
            ],
        )  # fmt: skip
    rows = [(r.action, r.paper, r.ok, r.changed) for r in results]
    assert rows == [
        ("remove", 1, True, True),
        ("remove", 2, True, False),
        ("add", 1, True, True),
        ("add", 1, True, False),
        ("add", 9, False, False),
        ("add", 2, False, False),
        ("add", 1, False, False),
    ]
    assert results[1].message == "Not assigned: nothing to remove."
    assert results[4].message == "No such paper."
    assert results[5].message == "stranger@example.org is not a reviewer of this workshop."
    assert "conflict" in results[6].message
    entries = list(Activity.objects.filter(pk__gt=last).order_by("pk"))
    assert [e.action for e in entries] == ["assignment.remove", "assignment.add"]
    assert all(e.actor == world.users["chair-A"] for e in entries)
    assert not Assignment.objects.filter(submission=world.p, reviewer=r3).exists()
    assert Assignment.objects.filter(submission=world.p, reviewer=newcomer).count() == 1
    assert not Assignment.objects.filter(reviewer=world.users["conflicted"]).exists()


@pytest.mark.parametrize("role", ["chair-B", "AC-of-P", "R1-submitted"])
def test_only_the_workshops_chairs_change_assignments_in_bulk(world, role):
    r3 = world.users["R3-not-started"]
    with pytest.raises(NotAllowed):
        assignments_bulk_change(
            workshop=world.workshop, chair=world.users[role],
            remove=[AssignmentChange(1, r3.email)], add=[],
        )  # fmt: skip
    assert Assignment.objects.filter(submission=world.p, reviewer=r3).exists()
