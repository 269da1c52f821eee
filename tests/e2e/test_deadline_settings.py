"""Deadlines in the workshop's time, in a real browser (issue 24, item 2): the chair opens the
workshop's settings, finds one labelled date-and-time input per milestone, types 23:59 AoE,
reads the UTC instant and their own time under it as they type, saves, and reads 23:59 AoE
back; the database holds 11:59 UTC the next day. axe runs on the page (no `label`
violations: the split date and time widgets are gone)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import watch
from tests.factories import PASSWORD, WorkshopFactory, make_chair
from workshop.models import Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def workshop() -> Workshop:
    return WorkshopFactory(
        name="Open-Source LLM Workshop",
        short_name="OSLLM",
        slug="osllm",
        submission_opens=at("2027-01-10 12:00"),
        paper_deadline=at("2027-02-16 11:59"),
        bidding_deadline=None,
        review_deadline=at("2027-04-01 11:59"),
        notification_date=at("2027-05-01 12:00"),
        camera_ready_deadline=None,
    )


def test_a_chair_types_a_deadline_in_aoe_and_reads_it_back(live_server, page, workshop):
    base = live_server.url
    chair = make_chair(workshop, name="Ada Chair", email="ada@chairs.example.com")
    broken, errors = watch(page)
    page.goto(f"{base}/accounts/login/")
    main = page.get_by_role("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(chair.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Chair tools")

    page.goto(f"{base}/admin/workshop/workshop/{workshop.pk}/change/")
    expect(page.get_by_label("Time zone of the deadlines:")).to_have_value("AoE")
    deadline = page.get_by_label("Paper deadline (AoE):")
    expect(deadline).to_have_attribute("type", "datetime-local")
    expect(deadline).to_have_value("2027-02-15T23:59")
    preview = page.locator("#milestone-paper_deadline")
    expect(preview).to_contain_text("= Tue 16 Feb 2027, 11:59 UTC · your time:")

    deadline.fill("2027-03-01T23:59")
    expect(preview).to_contain_text("= Tue 2 Mar 2027, 11:59 UTC · your time:")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    workshop.refresh_from_db()
    assert workshop.paper_deadline == at("2027-03-02 11:59")
    expect(page.get_by_label("Paper deadline (AoE):")).to_have_value("2027-03-01T23:59")
    expect(preview).to_contain_text("2 Mar 2027, 11:59 UTC")

    # Another zone re-expresses the same instants; the labels name it.
    page.get_by_label("Time zone of the deadlines:").select_option("Europe/Vienna")
    vienna = page.get_by_label("Paper deadline (Europe/Vienna):")
    expect(vienna).to_have_value("2027-03-02T12:59")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
    workshop.refresh_from_db()
    assert workshop.deadline_timezone == "Europe/Vienna"
    assert workshop.paper_deadline == at("2027-03-02 11:59")
    expect(page.get_by_label("Paper deadline (Europe/Vienna):")).to_have_value("2027-03-02T12:59")
    assert not broken and not errors, (broken, errors)
