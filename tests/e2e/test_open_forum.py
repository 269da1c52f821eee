"""The public forum of open reviewing on a phone (375 px): an anonymous visitor reads the
index and a forum (reviews, the signed reviewer's name, the meta-review, approved comments)
without sideways scrolling, and a signed-in reader posts a comment that is held for the
chairs. axe-core checks every page visited (here and in the `page` fixture at teardown).
Screenshots go to /tmp/shots/open-forum/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reviews.models import PublicComment, PublicCommentStatus
from tests.e2e.helpers import watch
from tests.factories import PASSWORD
from tests.reviews.open_world import build_world
from workshop.models import Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/open-forum")
PHONE = {"width": 375, "height": 812}


def assert_axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response.get("violations", [])
    bad = [
        (v["id"], v["impact"], [n.get("html") for n in v["nodes"]][:3])
        for v in violations
        if v.get("impact") in ("critical", "serious")
    ]
    assert not bad, bad


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide at {PHONE['width']}px"


def test_the_open_forum_reads_well_on_a_phone(live_server, page):
    world = build_world()
    Workshop.objects.filter(pk=world.workshop.pk).update(
        openness="all", reviews_released=True, decisions_released=True
    )
    base = live_server.url
    broken, errors = watch(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    main = page.get_by_role("main")

    page.goto(f"{base}/w/{world.workshop.slug}/forum/")
    expect(main.get_by_role("heading", level=1)).to_have_text("Open reviews")
    expect(main).to_contain_text("ZQACCTITLE")
    expect(main).to_contain_text("ZQREJTITLE")
    no_sideways_scroll(page)
    assert_axe_clean(page)

    main.get_by_role("link", name=re.compile("ZQACCTITLE")).click()
    expect(main.get_by_role("heading", level=1)).to_contain_text("ZQACCTITLE")
    expect(main.get_by_role("heading", name="Reviewer A")).to_be_visible()
    expect(main).to_contain_text("ZQR2NAME")  # signed
    expect(main).to_contain_text("ZQMETATEXT")
    expect(main).to_contain_text("ZQAPPROVEDCOMMENT")
    assert "ZQHELDCOMMENT" not in main.inner_text()
    assert "ZQR1NAME" not in page.content()
    no_sideways_scroll(page)
    page.screenshot(path=SHOTS / "forum-375.png", full_page=True)
    assert_axe_clean(page)

    page.goto(f"{base}/w/{world.workshop.slug}/forum/2/")
    expect(main).to_contain_text("Anonymous authors")
    no_sideways_scroll(page)
    assert_axe_clean(page)

    # A signed-in reader comments; the comment waits for the chairs.
    page.goto(f"{base}/accounts/login/?next=/w/{world.workshop.slug}/forum/1/")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill("zqstranger@people.example.org")
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/forum/1/$"))
    main.get_by_label(re.compile("^Your comment")).fill("ZQPHONECOMMENT from a phone")
    no_sideways_scroll(page)
    assert_axe_clean(page)
    main.get_by_role("button", name="Post the comment").click()
    expect(page.locator("ul.messages")).to_contain_text("held for the chairs' moderation")
    assert "ZQPHONECOMMENT" not in main.inner_text()
    posted = PublicComment.objects.get(body__startswith="ZQPHONECOMMENT")
    assert posted.status == PublicCommentStatus.HELD
    page.screenshot(path=SHOTS / "forum-375-signed-in.png", full_page=True)
    assert not errors, errors
    assert not [b for b in broken if "/forum/" in b], broken
