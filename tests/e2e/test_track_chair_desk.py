"""A track chair's desk in the browser (issue 27, part 4), at 1,280 px and on a 375 px phone:
the chair of "findings" sees the findings papers only, decides one of them from the list,
and the page neither scrolls sideways nor has a critical or serious axe violation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reviews.models import Decision
from submissions.models import Submission
from tests.e2e.helpers import sign_in, watch
from tests.e2e.phone import WIDTHS, PhoneCheck
from tests.factories import UserFactory, WorkshopFactory
from tests.reviews.desk import desk_build
from workshop.models import Role, Track
from workshop.track_services import track_member_grant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_track_chair_decides_their_tracks_papers_at_both_widths(live_server, browser):
    desk = desk_build(WorkshopFactory(slug="e2e-tracks", short_name="TRK"), 12)
    main = Track.objects.create(workshop=desk.workshop, name="Main", slug="main", order=1)
    findings = Track.objects.create(workshop=desk.workshop, name="Findings", slug="findings")
    ids = [p.pk for p in desk.papers]
    Submission.objects.filter(pk__in=ids[::3]).update(track=findings)
    Submission.objects.filter(pk__in=ids).exclude(pk__in=ids[::3]).update(track=main)
    chair = UserFactory(name="Fiona Findings", email="fiona@findings.example.org")
    track_member_grant(track=findings, user=chair, role=Role.CHAIR)
    mine = Submission.objects.filter(track=findings, decision__isnull=True).order_by("number")
    paper = mine.first()
    other = Submission.objects.filter(track=main).order_by("number").first()

    base = live_server.url
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    broken, errors = watch(page)
    checks = PhoneCheck("track-chair-desk", broken, errors)
    sign_in(page, base, chair.email)
    desk_url = f"{base}{reverse('admin:reviews_decisionboard_changelist')}"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{desk_url}?workshop={desk.workshop.pk}")
        expect(page.locator("#desk-track")).to_contain_text("Findings")
        expect(page.get_by_text(f"of {len(ids[::3])}", exact=False).first).to_be_visible()
        expect(page.get_by_role("cell", name=paper.title, exact=True)).to_be_visible()
        expect(page.get_by_role("cell", name=other.title, exact=True)).to_have_count(0)
        expect(page.get_by_role("link", name="Score plots")).to_have_count(0)
        checks.check(page, f"desk-{width}")

    # On the phone: decide one of the track's papers from the list.
    page.locator(f'select[name="decision-{paper.pk}"]').select_option(label="Accept (poster)")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the decisions chosen in the list").click()
    expect(page.locator(".messagelist")).to_contain_text("#" + str(paper.number))
    checks.check(page, "desk-after-save-375")
    assert Decision.objects.get(submission=paper).category.name == "Accept (poster)"
    assert not broken and not errors, (broken, errors)
    problems = checks.report()
    context.close()
    assert not problems, problems
