"""A chair of workshop A sees and touches nothing of workshop B in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop import outbox
from workshop.models import Membership, OutgoingMail, Role, Topic, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a, b = WorkshopFactory(name="Workshop Alpha"), WorkshopFactory(name="Workshop Beta")
    chair_a = make_chair(a)
    objects = {}
    for w, tag in ((a, "alpha"), (b, "beta")):
        objects[tag] = {
            "workshop": w,
            "topic": TopicFactory(workshop=w, name=f"Topic-{tag}"),
            "membership": MembershipFactory(workshop=w, user=UserFactory(name=f"Member-{tag}")),
            "mail": outbox.mail_queue(
                key=f"scope:{tag}", template="test_message", to=f"{tag}@example.org",
                context={"name": tag}, workshop=w, held=True,
            )[0],
        }  # fmt: skip
    return chair_a, objects


ADMIN_OBJECTS = [
    ("workshop", "workshop"),
    ("topic", "topic"),
    ("membership", "membership"),
    ("outgoingmail", "mail"),
]


@pytest.mark.parametrize(("model", "key"), ADMIN_OBJECTS)
def test_chair_sees_own_objects_only_in_changelists(client, world, model, key):
    chair, objects = world
    client.force_login(chair)
    response = client.get(reverse(f"admin:workshop_{model}_changelist"), follow=True)
    assert response.status_code == 200
    own, other = objects["alpha"][key], objects["beta"][key]
    assert reverse(f"admin:workshop_{model}_change", args=[own.pk]) in response.content.decode()
    assert (
        reverse(f"admin:workshop_{model}_change", args=[other.pk]) not in response.content.decode()
    )
    # Searching for B's object finds nothing either.
    response = client.get(reverse(f"admin:workshop_{model}_changelist"), {"q": "beta"}, follow=True)
    assert (
        reverse(f"admin:workshop_{model}_change", args=[other.pk]) not in response.content.decode()
    )


@pytest.mark.parametrize(("model", "key"), ADMIN_OBJECTS)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_chair_gets_404_for_other_workshops_objects_by_url(client, world, model, key, view):
    chair, objects = world
    client.force_login(chair)
    other = objects["beta"][key]
    response = client.get(reverse(f"admin:workshop_{model}_{view}", args=[other.pk]))
    assert response.status_code in (403, 404)
    response = client.post(
        reverse(f"admin:workshop_{model}_{view}", args=[other.pk]), {"post": "yes"}
    )
    assert response.status_code in (403, 404)


def test_chair_can_edit_own_workshop_and_not_reassign_to_other(client, world):
    chair, objects = world
    client.force_login(chair)
    own_topic = objects["alpha"]["topic"]
    url = reverse("admin:workshop_topic_change", args=[own_topic.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Workshop Beta" not in page.content.decode()  # not offered as a choice
    other_ws = objects["beta"]["workshop"]
    response = client.post(
        url, {"workshop": other_ws.pk, "name": "Moved", "description": "", "order": 1}
    )
    assert response.status_code == 200  # form error: not a valid choice
    own_topic.refresh_from_db()
    assert own_topic.workshop_id == objects["alpha"]["workshop"].pk
    ok = client.post(
        url, {"workshop": own_topic.workshop_id, "name": "Renamed", "description": "", "order": 1}
    )
    assert ok.status_code == 302
    own_topic.refresh_from_db()
    assert own_topic.name == "Renamed"


def test_bulk_delete_action_ignores_other_workshops_ids(client, world):
    chair, objects = world
    client.force_login(chair)
    ids = [objects["alpha"]["topic"].pk, objects["beta"]["topic"].pk]
    client.post(
        reverse("admin:workshop_topic_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not Topic.objects.filter(pk=objects["alpha"]["topic"].pk).exists()
    assert Topic.objects.filter(pk=objects["beta"]["topic"].pk).exists()


def test_release_action_ignores_other_workshops_mail(client, world):
    chair, objects = world
    client.force_login(chair)
    ids = [objects["alpha"]["mail"].pk, objects["beta"]["mail"].pk]
    client.post(
        reverse("admin:workshop_outgoingmail_changelist"),
        {"action": "release_held", "_selected_action": ids},
    )
    assert OutgoingMail.objects.get(pk=ids[1]).status == "held"
    assert OutgoingMail.objects.get(pk=ids[0]).status != "held"


def test_filters_offer_only_own_workshops(client, world):
    chair, _ = world
    client.force_login(chair)
    page = client.get(reverse("admin:workshop_membership_changelist"))
    assert "Workshop Beta" not in page.content.decode()


def test_chair_cannot_browse_users_or_add_workshops(client, world):
    chair, _ = world
    client.force_login(chair)
    assert client.get(reverse("admin:workshop_user_changelist")).status_code == 403
    assert client.get(reverse("admin:workshop_workshop_add")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "Users" not in index


def test_reviewer_and_ex_chair_have_no_admin(client, world):
    _, objects = world
    reviewer = objects["alpha"]["membership"].user
    client.force_login(reviewer)
    assert client.get(reverse("admin:index")).status_code == 302  # to the admin login
    from workshop.services import membership_revoke

    chair = Membership.objects.get(role=Role.CHAIR).user
    membership_revoke(
        workshop=Workshop.objects.get(name="Workshop Alpha"), user=chair, role=Role.CHAIR
    )
    chair.refresh_from_db()
    assert not chair.is_staff


def test_relation_filters_never_list_other_workshops_objects(client, world):
    """The default admin filter lists every row of the related table (all topics of all
    workshops); chairs get only what their own rows use."""
    from submissions.models import Submission

    chair, objects = world
    for tag in ("alpha", "beta"):
        Submission.objects.create(
            workshop=objects[tag]["workshop"],
            number=1,
            title=f"Paper {tag}",
            primary_topic=objects[tag]["topic"],
            created_by=chair,
            status="submitted",
        )
    client.force_login(chair)
    page = client.get(
        reverse("admin:submissions_submission_changelist"), follow=True
    ).content.decode()
    assert "Topic-alpha" in page
    assert "Topic-beta" not in page


def test_the_admin_index_shows_a_workflow_panel_for_own_workshops_only(client, world):
    chair, _ = world
    client.force_login(chair)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Workshop Alpha — " in page
    assert "Workshop Beta" not in page
    assert "Run the assignment" in page and "Decision board" in page
