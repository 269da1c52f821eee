"""Deadlines in the workshop's time (issue 24, item 2): the chairs type each milestone as
the wall-clock time of the workshop's deadline zone (AoE unless they chose the venue's),
read it back in that zone with its UTC instant, and the database keeps UTC as before."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from api.services import token_create
from tests.factories import WorkshopFactory, make_chair
from workshop.admin_forms import WorkshopSettingsForm
from workshop.deadlines import from_wall, to_wall
from workshop.models import Activity, Workshop
from workshop.phases import MILESTONE_FIELDS

from .admin_world import form_data

pytestmark = pytest.mark.django_db

UTC = dt.UTC
CHANGE = "admin:workshop_workshop_change"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def workshop() -> Workshop:
    return WorkshopFactory(
        submission_opens=at("2027-01-10 12:00"),
        paper_deadline=at("2027-02-16 11:59:30"),  # seconds: the page shows minutes
        bidding_deadline=None,
        review_deadline=at("2027-04-01 11:59"),
        notification_date=at("2027-05-01 12:00"),
        camera_ready_deadline=None,
    )


def posted(workshop: Workshop, zone: str | None = None, **typed: str) -> dict[str, str]:
    """What the settings form sends back as shown, with some milestones typed anew."""
    form = WorkshopSettingsForm(instance=workshop)
    data = {"deadline_timezone": zone or workshop.deadline_timezone,
            "grace_minutes": str(workshop.grace_minutes)}  # fmt: skip
    for key, _ in MILESTONE_FIELDS:
        value = form[key].value()
        data[key] = value.strftime("%Y-%m-%dT%H:%M") if value else ""
    data.update(typed)
    return data


def save(workshop: Workshop, data: dict[str, str]) -> WorkshopSettingsForm:
    form = WorkshopSettingsForm(data, instance=workshop)
    if form.is_valid():
        form.save()
        workshop.refresh_from_db()
    return form


def test_23_59_aoe_is_stored_as_11_59_utc_the_next_day_and_shown_back_as_typed(workshop):
    form = save(workshop, posted(workshop, paper_deadline="2027-03-01T23:59"))
    assert form.is_valid(), form.errors
    assert workshop.paper_deadline == at("2027-03-02 11:59")
    again = WorkshopSettingsForm(instance=workshop)
    field = again["paper_deadline"]
    assert 'type="datetime-local"' in str(field) and 'value="2027-03-01T23:59"' in str(field)
    assert field.label == "Paper deadline (AoE)"
    assert "Stored as Tue 2 Mar 2027, 11:59 UTC." in field.help_text


def test_in_the_venues_zone_a_time_is_read_and_shown_in_that_zone(workshop):
    form = save(workshop, posted(workshop, zone="Europe/Vienna",
                                 paper_deadline="2027-03-01T09:00",
                                 review_deadline="2027-07-01T09:00"))  # fmt: skip
    assert form.is_valid(), form.errors
    assert workshop.deadline_timezone == "Europe/Vienna"
    assert workshop.paper_deadline == at("2027-03-01 08:00")  # CET, UTC+1
    assert workshop.review_deadline == at("2027-07-01 07:00")  # CEST, UTC+2
    again = WorkshopSettingsForm(instance=workshop)
    assert again["paper_deadline"].label == "Paper deadline (Europe/Vienna)"
    assert 'value="2027-03-01T09:00"' in str(again["paper_deadline"])


def test_a_milestone_sent_back_as_shown_keeps_its_instant_and_a_zone_change_moves_nothing(
    workshop,
):
    before = {key: getattr(workshop, key) for key, _ in MILESTONE_FIELDS}
    form = save(workshop, posted(workshop))
    assert form.is_valid(), form.errors
    assert {key: getattr(workshop, key) for key, _ in MILESTONE_FIELDS} == before
    assert workshop.paper_deadline.second == 30  # not cut to the minute shown
    form = save(workshop, posted(workshop, zone="Asia/Tokyo"))
    assert form.is_valid(), form.errors
    assert workshop.deadline_timezone == "Asia/Tokyo"
    assert {key: getattr(workshop, key) for key, _ in MILESTONE_FIELDS} == before
    shown = WorkshopSettingsForm(instance=workshop)["paper_deadline"].value()
    assert shown == dt.datetime(2027, 2, 16, 20, 59, 30)  # the same instant, in Tokyo


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2027-03-28T02:30", "does not exist in Europe/Vienna"),  # clocks go forward
        ("2027-10-31T02:30", "happens twice in Europe/Vienna"),  # clocks go back
    ],
)
def test_a_time_the_venues_clocks_skip_or_repeat_is_refused(workshop, typed, message):
    workshop.deadline_timezone = "Europe/Vienna"
    workshop.save()
    before = workshop.review_deadline
    form = save(workshop, posted(workshop, review_deadline=typed))
    assert not form.is_valid()
    assert message in " ".join(form.errors["review_deadline"])
    workshop.refresh_from_db()
    assert workshop.review_deadline == before


def test_an_unknown_zone_is_refused_by_the_form_and_the_model(workshop):
    form = save(workshop, posted(workshop, zone="Mars/Olympus_Mons"))
    assert not form.is_valid() and "deadline_timezone" in form.errors
    workshop.deadline_timezone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError, match="not a time zone"):
        workshop.full_clean()


def test_the_constraints_still_hold_on_the_converted_instants(workshop):
    form = save(workshop, posted(workshop, paper_deadline="2027-01-09T12:00"))
    assert not form.is_valid()  # before the submission opening, once read in AoE
    workshop.refresh_from_db()
    assert workshop.paper_deadline == at("2027-02-16 11:59:30")


def test_the_conversions_round_trip_in_aoe_and_in_a_zone():
    typed = dt.datetime(2027, 3, 1, 23, 59)
    assert from_wall(typed, "AoE") == at("2027-03-02 11:59")
    assert to_wall(at("2027-03-02 11:59"), "AoE") == typed
    assert to_wall(from_wall(typed, "America/New_York"), "America/New_York") == typed
    assert from_wall(typed, "Nowhere/Unknown") == at("2027-03-02 11:59")  # AoE, never a 500


def test_a_chair_saves_the_settings_page_with_one_labelled_input_per_milestone(client, workshop):
    chair = make_chair(workshop)
    client.force_login(chair)
    url = reverse(CHANGE, args=[workshop.pk])
    page = client.get(url)
    html = page.content.decode()
    for key, label in MILESTONE_FIELDS:
        assert re.search(rf'<input type="datetime-local" name="{key}"[^>]*id="id_{key}"', html)
        assert re.search(rf'<label[^>]*for="id_{key}">{re.escape(label)} \(AoE\):</label>', html)
        assert f'name="{key}_0"' not in html and f'name="{key}_1"' not in html
    assert 'id="id_deadline_timezone"' in html and "js/admin-deadlines.js" in html

    data = form_data(page)
    data["paper_deadline"] = "2027-03-01T23:59"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    workshop.refresh_from_db()
    assert workshop.paper_deadline == at("2027-03-02 11:59")
    assert workshop.review_deadline == at("2027-04-01 11:59")  # untouched
    entry = Activity.objects.get(action="workshop.configure", workshop=workshop)
    assert set(entry.after) == {"paper_deadline"}

    html = client.get(url).content.decode()
    assert 'value="2027-03-01T23:59"' in html
    assert "Stored as Tue 2 Mar 2027, 11:59 UTC." in html


def test_the_api_keeps_iso_instants_and_validates_the_zone(client, workshop):
    chair = make_chair(workshop)
    _, secret = token_create(user=chair, name="c", workshops=[workshop], scope="read-write")
    url = reverse("api:workshop", args=[workshop.slug])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    def patch(body: dict):
        return client.patch(url, data=json.dumps(body), content_type="application/json",
                            **headers)  # fmt: skip

    bad = patch({"deadline_timezone": "Mars/Olympus_Mons"})
    assert bad.status_code == 400 and "deadline_timezone" in bad.json()["error"]["fields"]
    ok = patch({"deadline_timezone": "Europe/Vienna", "paper_deadline": "2027-03-01T23:59-12:00"})
    assert ok.status_code == 200, ok.json()
    assert ok.json()["deadline_timezone"] == "Europe/Vienna"
    assert ok.json()["paper_deadline"] == "2027-03-02T11:59:00Z"
    workshop.refresh_from_db()
    assert workshop.paper_deadline == at("2027-03-02 11:59")
    assert workshop.deadline_timezone == "Europe/Vienna"


def test_a_date_whose_utc_instant_would_leave_the_calendar_is_a_form_error():
    """31 Dec 9999 23:59 AoE is in the year 10000 in UTC: a clear refusal, not a 500 (the
    form fuzzer found it)."""
    with pytest.raises(ValidationError, match="out of range"):
        from_wall(dt.datetime(9999, 12, 31, 23, 59), "AoE")
