"""Tags, votes and review ratings from the paper's page in a real browser (issue 28), at a
desktop's width and at a phone's: Bob tags the paper (#order#3), votes in the chairs' vote
#best (3 votes each): a fourth vote is refused with a clear message and nothing changes; the
chair rates Bob's review, and Bob reads the rating without the chair's name."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reviews.models import PaperTag, PaperVote, ReviewRating
from reviews.services.tags import vote_open
from tests.e2e.helpers import sign_in
from tests.e2e.helpers import watch as _watch
from tests.e2e.phone import overflow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BOB_EMAIL = "bob@bob-lab.org"
CHAIR_EMAIL = "ada@chairs.example.com"


@pytest.mark.parametrize("width", [1280, 375])
def test_tagging_voting_and_rating_from_the_paper_page(
    live_server, page, artifacts_dir, review_setup, width
):
    base = live_server.url
    workshop, paper = review_setup["workshop"], review_setup["paper"]
    chair = workshop.memberships.get(role="chair").user
    vote = vote_open(actor=chair, workshop=workshop, name="best", allowance=3)
    page.set_viewport_size({"width": width, "height": 900})
    broken, errors = _watch(page)
    paper_url = f"{base}/reviewing/{workshop.slug}/papers/{paper.number}/"

    sign_in(page, base, BOB_EMAIL)
    page.goto(paper_url)
    panel = page.get_by_role("region", name=re.compile("^Tags and votes"))
    panel.get_by_role("textbox", name=re.compile("^Tag")).fill("#order#3")
    panel.get_by_role("button", name="Add tag").click()
    expect(page.locator("ul.messages")).to_contain_text("Tagged #order#3.")
    expect(panel.get_by_role("list", name="Tags on this paper")).to_contain_text("#order#3")
    assert PaperTag.objects.get(submission=paper).name == "order"

    votes = panel.get_by_role("spinbutton", name="Your votes for this paper")
    votes.fill("4")
    panel.get_by_role("button", name="Save my vote").click()
    expect(page.locator("ul.messages")).to_contain_text("at most 3 can go to this paper")
    assert not PaperVote.objects.filter(vote=vote).exists()
    votes = page.get_by_role("spinbutton", name="Your votes for this paper")
    votes.fill("3")
    page.get_by_role("button", name="Save my vote").click()
    expect(page.locator("ul.messages")).to_contain_text("Your vote in #best is saved.")
    expect(page.locator("#vote-best")).to_contain_text("used 3 of your 3 votes (0 left)")
    assert PaperVote.objects.get(vote=vote).count == 3
    assert overflow(page) is None, overflow(page)
    page.screenshot(path=artifacts_dir / f"tags-votes-{width}.png", full_page=True)

    sign_in(page, base, CHAIR_EMAIL)
    page.goto(paper_url)
    bob = page.get_by_role("main").locator("article.review#review-B")
    rate = bob.get_by_role("group", name="Rate this review")
    rate.get_by_role("textbox", name="Reason (optional)").fill("Specific and actionable.")
    rate.get_by_role("button", name="Helpful", exact=True).click()
    expect(page.locator("ul.messages")).to_contain_text("Your rating is saved.")
    assert ReviewRating.objects.get().helpful is True
    assert overflow(page) is None, overflow(page)

    sign_in(page, base, BOB_EMAIL)
    page.goto(paper_url)
    own = page.locator(".review-rating").first
    expect(own).to_contain_text("1 helpful")
    expect(own).to_contain_text("Specific and actionable.")
    expect(own).not_to_contain_text("Ada")
    assert overflow(page) is None, overflow(page)
    assert not broken and not errors, (broken, errors)
