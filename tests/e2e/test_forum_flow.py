"""The paper's forum in a real browser: a reviewer writes a review with math, watches it
autosave (the badge turns to Draft at the first save), submits, reads the other review and
the score summary, replies in a thread mentioning the area chair, who receives exactly one
mail and finds the paper in the area chairs' console. axe-core (the `page` fixture) checks
every page visited: the forum, the review form, the bidding page and the console.
Screenshots at 1280 and 390 px go to /tmp/shots/forum/ (and test-artifacts/)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import TestCase
from playwright.sync_api import expect

from reviews.models import Assignment, Review
from reviews.services.assignment import assignment_add
from reviews.services.reviewing import comment_post
from tests.e2e.helpers import watch
from tests.e2e.review_world import BOB_TEXT, RITA_EMAIL, TITLE
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from workshop.models import OutgoingMail, Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/forum")
AC_EMAIL = "carla@ac-lab.org"


@pytest.fixture
def forum_setup(review_setup) -> dict:
    from submissions.models import Submission

    w = review_setup["workshop"]
    paper = Submission.objects.select_related("workshop").get(pk=review_setup["paper"].pk)
    ac = UserFactory(name="Carla ZQACNAME", email=AC_EMAIL)
    MembershipFactory(workshop=w, user=ac, role=Role.AREA_CHAIR)
    chair = w.memberships.get(role=Role.CHAIR).user
    bob = Assignment.objects.get(submission=paper, pseudonym="B").reviewer
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_add(submission=paper, reviewer=ac, chair=chair, role=Role.AREA_CHAIR)
        comment_post(submission=paper, user=bob, body="Is the $n$-gram threshold justified?",
                     notify=False)  # fmt: skip
    return {**review_setup, "ac": ac}


def sign_in(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    main = page.get_by_role("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(f"{base}/")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def assert_axe_clean(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    bad = [(v["id"], v["impact"]) for v in Axe().run(page).response.get("violations", [])
           if v.get("impact") in ("critical", "serious")]  # fmt: skip
    assert not bad, bad


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide at 390px"


def test_a_reviewer_reviews_discusses_and_mentions_the_area_chair(live_server, page, forum_setup):
    base = live_server.url
    broken, errors = watch(page)
    main = page.get_by_role("main")
    paper_url = f"{base}/reviewing/osllm/papers/1/"
    sign_in(page, base, RITA_EMAIL)
    page.goto(paper_url)
    badge = page.locator("#review-badge")
    expect(badge).to_have_text("Not started")
    expect(main).to_contain_text("Keyboard shortcuts")

    summary = main.get_by_role("textbox", name=re.compile("^Summary"))
    summary.fill("We check the bound $\\sum_i x_i^2 \\le n$ on twelve suites.")
    state = page.locator("#save-state")
    expect(state).to_contain_text("Draft saved at", timeout=12_000)
    expect(badge).to_have_text("Draft")  # right from the first save
    main.get_by_role("textbox", name=re.compile("^Strengths")).fill("Careful **audit**.")
    main.get_by_role("textbox", name=re.compile("^Weaknesses")).fill("English only.")
    main.get_by_role("group", name=re.compile("^Overall recommendation")).get_by_role(
        "radio", name="2 — Reject"
    ).check()
    main.get_by_role("group", name=re.compile("^Confidence")).get_by_role(
        "radio", name="4 — Confident"
    ).check()  # its autosave may still be in flight: the submit waits for it
    assert_axe_clean(page)  # the review form, as its reviewer sees it
    page.set_viewport_size({"width": 390, "height": 844})
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    no_sideways_scroll(page)
    bar = page.locator(".editor-bar")
    box = bar.bounding_box()
    assert box and box["height"] < 70, box  # the sticky submit bar stays on one line
    page.screenshot(path=SHOTS / "review-form-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    main.get_by_role("button", name="Submit the review").click()
    expect(page.locator("ul.messages")).to_contain_text("Review submitted.")
    review = Review.objects.get(assignment=forum_setup["assignment"])
    assert (review.status, review.version) == ("submitted", 1)

    # Her review, rendered (math typeset by KaTeX), with an Edit toggle; the other review.
    own = main.locator("article#own-review")
    expect(own.locator(".katex").first).to_be_visible()
    expect(main.locator("#edit-review")).not_to_have_attribute("open", "")
    expect(main.locator("article.review#review-B")).to_contain_text(BOB_TEXT)
    expect(main.locator("figure.score-summary").first).to_contain_text("spread 2")
    expect(main).not_to_contain_text("ZQBOBNAME")
    expect(main).not_to_contain_text("ZQACNAME")

    # Reply in Bob's thread, mentioning the area chair with the picker.
    thread = main.locator("article.comment").filter(has_text="threshold justified")
    thread.locator("summary", has_text="Reply").click()
    reply = thread.get_by_role("textbox", name=re.compile("^Your reply"))
    reply.fill("Agreed, it needs a justification.")
    reply.focus()
    main.get_by_role("button", name="@Area chair").click()
    expect(reply).to_have_value(re.compile(r"justification\. @Area chair $"))
    thread.get_by_role("button", name="Post reply").click()
    expect(page.locator("ul.messages")).to_contain_text("Comment posted")
    expect(thread.locator("ol.replies")).to_contain_text("Reviewer A")
    shot(page, "forum-reviewer-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(paper_url)
    no_sideways_scroll(page)
    shot(page, "forum-reviewer-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    mails = OutgoingMail.objects.filter(to=AC_EMAIL, kind="discussion_comment")
    assert mails.count() == 1, list(mails.values_list("subject", flat=True))
    assert "You were mentioned" in mails.get().subject
    assert "ZQBOBNAME" not in mails.get().body_text and "Rita" not in mails.get().body_text

    # The bidding page (closed now) still opens for her.
    page.goto(f"{base}/reviewing/osllm/bids/")
    expect(main.get_by_role("heading", level=1)).to_have_text("Bid on papers")

    # The area chair: the console, then the forum (keyboard: j/k, c).
    sign_in(page, base, AC_EMAIL)
    page.goto(f"{base}/reviewing/area-chair/")
    row = main.locator("tbody tr").filter(has_text=TITLE)
    expect(row).to_contain_text("2 of 2")
    expect(row).to_have_class("disagreement")  # 4 and 2
    shot(page, "console-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    no_sideways_scroll(page)
    shot(page, "console-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    row.get_by_role("link").click()
    expect(main).to_contain_text("you are the area chair")
    expect(main).to_contain_text("@Area chair")
    page.keyboard.press("c")
    expect(page.locator("#comment-body")).to_be_focused()
    shot(page, "forum-area-chair-1280")

    assert not broken, broken
    assert not errors, errors
