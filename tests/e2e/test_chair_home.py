"""The chairs' home in a real browser, on the demo (issue 24, item 1): it opens on what needs
the chair and on each workshop's figures; at 1,280 px and on a 375 px phone nothing scrolls
sideways, and axe finds no critical or serious violation at either width (run here at
1,280 px, and by the `page` fixture at teardown at 375 px, the width the test ends on).
A figure's link opens the page that acts on it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import _axe_check
from tests.e2e.helpers import watch
from workshop.demo import DEMO_PASSWORD, IN_REVIEW

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHAIR_EMAIL = "chair@example.org"


class _Null:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass


def _no_sideways_scroll(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_the_chairs_home_opens_on_figures_at_both_widths(live_server, page, artifacts_dir):
    call_command("seed_demo", stdout=_Null())
    base = live_server.url
    broken, errors = watch(page)
    page.goto(f"{base}/accounts/login/?next=/admin/")
    main = page.get_by_role("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(CHAIR_EMAIL)
    main.get_by_label(re.compile("^Password", re.I)).fill(DEMO_PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    page.goto(f"{base}/admin/")

    expect(page.get_by_role("heading", name="What needs you now")).to_be_visible()
    review = page.locator(f'.chair-panel[data-workshop="{IN_REVIEW.slug}"]')
    expect(review.get_by_role("heading", name="4. Reviews")).to_be_visible()
    done = review.locator('[data-figure="reviews_done"]')
    expect(done).to_contain_text(re.compile(r"\d+ of \d+ reviews done"))
    expect(review.get_by_role("progressbar", name="Reviews done")).to_be_visible()
    for name in ("submitted", "drafts", "withdrawn", "flagged", "invited", "members",
                 "profiles_complete", "bidders", "short_of_reviewers", "load_spread",
                 "reviewers_owing", "disagreements", "decided", "undecided", "mails_held",
                 "camera_ready", "scheduled"):  # fmt: skip
        expect(review.locator(f'[data-figure="{name}"]')).to_have_count(1)
    width, inner = _no_sideways_scroll(page)
    assert width <= inner, f"the home is {width} px wide in a {inner} px window"
    page.screenshot(path=artifacts_dir / "chair-home-figures-1280.png", full_page=True)
    problems = _axe_check(page, [f"{base}/admin/"], "chair home at 1280 px")
    assert problems == [], problems

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/admin/")
    expect(done).to_be_visible()

    width, inner = _no_sideways_scroll(page)
    assert width <= inner, f"the home is {width} px wide in a {inner} px window"
    page.screenshot(path=artifacts_dir / "chair-home-figures-375.png", full_page=True)

    # A figure leads to the page that acts on it: the reviews done to the progress page.
    done.click()
    expect(page).to_have_url(re.compile(r"/admin/reviews/review/progress/\d+/$"))
    expect(page.get_by_text(re.compile(r"of \d+ reviews submitted"))).to_be_visible()
    page.goto(f"{base}/admin/")  # the page fixture's axe run at 375 px covers the home
    assert broken == [] and errors == [], (broken, errors)
