"""The chairs' activity log (issue #10, point 4): per workshop and per paper, scoped,
filterable, exportable as CSV; entries written by the actions, never by the page."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from django.urls import reverse

from tests.workshop.admin_world import build_workshop
from workshop.models import Activity, OutgoingMail

CHANGELIST = "admin:workshop_activity_changelist"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield {"a": build_workshop("qqa"), "b": build_workshop("beta")}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


pytestmark = pytest.mark.django_db


@pytest.fixture
def chair_b(world, client):
    client.force_login(world["b"]["chair"])
    return client


def topic_renamed_by(client, topic, name: str) -> Activity:
    """An action of the chair (a topic renamed in the admin) and the entry it wrote."""
    response = client.post(
        reverse("admin:workshop_topic_change", args=[topic.pk]),
        {"workshop": topic.workshop_id, "name": name, "description": "", "order": 0},
    )
    assert response.status_code == 302
    return Activity.objects.get(action="topic.configure", target_id=topic.pk)


def test_the_log_shows_b_entries_to_b_chair_and_hides_a(world, chair_b, client):
    entry = topic_renamed_by(chair_b, world["b"]["objects"]["topic"], "Renamed by B")
    a_entry = world["a"]["objects"]["activity"]
    response = chair_b.get(reverse(CHANGELIST))
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert entry in shown
    assert a_entry not in shown
    assert all(e.workshop_id == world["b"]["w"].pk for e in shown)
    html = response.content.decode()
    assert "Renamed by B" in html and "topic.configure" in html
    assert world["b"]["chair"].name in html  # who
    assert "qqa" not in html.lower()
    # A's entry by URL: 404, like every object of another workshop.
    response = chair_b.get(reverse("admin:workshop_activity_change", args=[a_entry.pk]))
    assert response.status_code == 404


def test_the_log_filters_by_action_actor_workshop_and_search(world, chair_b):
    entry = topic_renamed_by(chair_b, world["b"]["objects"]["topic"], "Searchable name")
    cl = chair_b.get(reverse(CHANGELIST), {"action": "topic.configure"}).context["cl"]
    assert list(cl.result_list) == [entry]
    cl = chair_b.get(reverse(CHANGELIST), {"q": "Searchable"}).context["cl"]
    assert list(cl.result_list) == [entry]
    cl = chair_b.get(reverse(CHANGELIST), {"actor__id__exact": world["b"]["chair"].pk}).context[
        "cl"
    ]
    assert entry in cl.result_list
    specs = {str(spec.title): spec for spec in cl.filter_specs}
    actor_choices = dict(specs["actor"].lookup_choices)
    assert world["b"]["chair"].pk in actor_choices
    assert world["a"]["chair"].pk not in actor_choices


def test_the_log_of_one_paper_is_linked_from_the_paper(world, chair_b):
    paper = world["b"]["paper"]
    page = chair_b.get(reverse("admin:submissions_submission_change", args=[paper.pk]))
    link = reverse(CHANGELIST) + f"?submission_id={paper.pk}"
    assert link in page.content.decode()
    mail_link = reverse("admin:workshop_outgoingmail_changelist") + f"?submission_id={paper.pk}"
    assert mail_link in page.content.decode()
    cl = chair_b.get(link).context["cl"]
    assert list(cl.result_list) == [world["b"]["objects"]["activity"]]
    # Another workshop's paper id gives nothing.
    other = world["a"]["paper"].pk
    cl = chair_b.get(reverse(CHANGELIST), {"submission_id": other}).context["cl"]
    assert list(cl.result_list) == []


def test_the_outbox_filters_by_paper_and_shows_what_a_mail_concerns(world, chair_b):
    paper = world["b"]["paper"]
    OutgoingMail.objects.filter(pk=world["b"]["objects"]["outgoingmail"].pk).update(
        target_type=None
    )
    response = chair_b.get(
        reverse("admin:workshop_outgoingmail_changelist"), {"submission_id": paper.pk}
    )
    assert list(response.context["cl"].result_list) == [world["b"]["objects"]["outgoingmail"]]
    assert reverse("admin:submissions_submission_change", args=[paper.pk]) in (
        response.content.decode()
    )


def test_the_csv_export_contains_the_entries_of_b_only(world, chair_b):
    entry = topic_renamed_by(chair_b, world["b"]["objects"]["topic"], "=Exported")
    a_entry = world["a"]["objects"]["activity"]
    response = chair_b.post(
        reverse(CHANGELIST),
        {"action": "export_csv", "_selected_action": [entry.pk, a_entry.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[:5] == ["at", "workshop", "who", "action", "object"]
    assert [r[3] for r in rows] == ["topic.configure"]
    row = dict(zip(header, rows[0], strict=True))
    assert row["who"] == str(world["b"]["chair"])
    assert row["object"] == "'=Exported"  # neutralised for spreadsheets
    assert '"name": "=Exported"' in row["after"]
    assert "qqa" not in response.content.decode().lower()


def test_the_log_is_read_only(world, chair_b):
    entry = world["b"]["objects"]["activity"]
    assert chair_b.get(reverse("admin:workshop_activity_add")).status_code == 403
    response = chair_b.post(
        reverse("admin:workshop_activity_change", args=[entry.pk]), {"summary": "forged"}
    )
    assert response.status_code == 403
    assert (
        chair_b.post(
            reverse("admin:workshop_activity_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.summary == "beta entry"


def test_system_entries_show_system(world, chair_b):
    from workshop.activity import activity_record
    from workshop.policy import SYSTEM

    activity_record(actor=SYSTEM, action="reminders.send", target=world["b"]["paper"], summary="x")
    html = chair_b.get(reverse(CHANGELIST), {"action": "reminders.send"}).content.decode()
    assert ">system<" in html
