"""The programme in a real browser: a chair builds a session by dragging two papers into it
(the drop persists after a reload), publishes; a presenter confirms and uploads slides; the
public programme on a 375 px phone shows each time in the viewer's own time zone (axe-clean:
the `page` fixture checks every page visited)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from programme.models import Placement
from programme.services import paper_place
from tests.e2e.helpers import sign_in, watch
from tests.pdfs import make_pdf
from tests.programme.world import build_world
from workshop.models import OutgoingMail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_chair_drags_presenter_uploads_public_programme_on_a_phone(live_server, page, tmp_path):
    world = build_world()
    base = live_server.url
    slug = world.workshop.slug
    broken, errors = watch(page)
    first, second = world.accepted[:2]

    # The chair drags two papers into the oral session.
    sign_in(page, base, world.chair.email)
    page.goto(f"{base}/programme/{slug}/edit/")
    orals = page.locator(f'.dropzone[data-session="{world.orals.pk}"]')
    status = page.locator("#editor-status")
    for n, paper in enumerate((first, second), start=1):
        card = page.locator(f"#paper-{paper.pk}")
        card.drag_to(orals, source_position={"x": 12, "y": 10})
        expect(status).to_contain_text(f"#{paper.number} placed in Orals")
        expect(orals.locator(".paper-card")).to_have_count(n)
    assert set(Placement.objects.values_list("submission_id", flat=True)) == {first.pk, second.pk}
    page.reload()
    expect(orals.locator(f"#paper-{first.pk}")).to_be_visible()
    expect(orals.locator(f"#paper-{second.pk}")).to_be_visible()
    expect(page.locator(f"#col-{world.orals.pk} .count")).to_have_text("2")
    # The keyboard alternative: the Move button moves a third paper without dragging.
    third = world.accepted[2]
    page.locator(f"#move-{third.pk}").select_option(label="Posters")
    page.locator(f"#paper-{third.pk}").get_by_role("button", name="Move").click()
    posters = page.locator(f'.dropzone[data-session="{world.posters.pk}"]')
    expect(posters.locator(f"#paper-{third.pk}")).to_be_visible()
    page.get_by_role("button", name="Publish the programme").click()
    expect(page.get_by_text("The programme is public")).to_be_visible()
    assert OutgoingMail.objects.filter(kind="programme_slot", to=world.authors[0].email).exists()

    # The presenter of the first paper confirms and uploads slides.
    sign_in(page, base, world.authors[0].email)
    page.goto(f"{base}/programme/{slug}/paper/{first.number}/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Orals")).to_be_visible()
    main.get_by_role("button", name=re.compile("I confirm")).click()
    expect(main.get_by_text("Confirmed", exact=True)).to_be_visible()
    slides = tmp_path / "slides.pdf"
    slides.write_bytes(make_pdf(pages=4))
    main.get_by_role("radio", name="Slides").check()
    main.get_by_label("PDF file").set_input_files(str(slides))
    main.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Slides uploaded (4 pages)")).to_be_visible()
    assert Placement.objects.get(submission=first).material_pages == 4

    # Anyone, on a phone: the public programme with the viewer's own times.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{base}/programme/{slug}/")
    session = page.locator(f"#session-{world.orals.pk}")
    expect(session.locator("time").first).to_have_attribute("datetime", "2026-10-24T08:00:00+00:00")
    expect(session.locator(".local-time")).to_contain_text("your time")
    expect(session.get_by_text(first.title, exact=True)).to_be_visible()
    expect(session.get_by_role("link", name=re.compile("Slides"))).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the programme scrolls sideways on a phone ({width}px)"
    page.goto(f"{base}/submissions/accepted/{slug}/")
    expect(page.get_by_role("link", name=re.compile("Programme: Orals"))).to_have_count(2)
    assert not broken and not errors, (broken, errors)


def test_the_chairs_programme_pages_pass_axe(live_server, page):
    """The chair's pages, left signed in so the fixture's axe pass sees them, not a login."""
    world = build_world()
    base = live_server.url
    slug = world.workshop.slug
    paper_place(actor=world.chair, submission=world.accepted[0], session=world.orals)
    sign_in(page, base, world.chair.email)
    for path in ("edit/", "paper/1/", "edit/settings/", "edit/session/new/", "edit/person/new/",
                 f"edit/session/{world.orals.pk}/"):  # fmt: skip
        response = page.goto(f"{base}/programme/{slug}/{path}")
        assert response is not None and response.status == 200, path
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{base}/programme/{slug}/edit/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the editor scrolls sideways on a phone ({width}px)"
