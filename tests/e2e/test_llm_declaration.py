"""The LLM-use declaration in a real browser (issue 26, item 2): under the policy "Allowed,
with a statement of how", the reviewer reads the policy on the form, her answer is autosaved
with the draft, a "yes" without a statement is refused with the answer kept, and with one
the review is submitted; the chairs read the answer on the paper's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from reviews.models import Review
from tests.e2e.helpers import sign_in
from tests.e2e.helpers import watch as _watch
from workshop.models import ReviewLlmPolicy, Workshop

from .review_world import RITA_EMAIL

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STATEMENT = "Asked a local model to shorten my summary; it never saw the paper."


def _review(assignment) -> Review | None:
    return Review.objects.filter(assignment=assignment).first()


def test_a_reviewer_declares_her_llm_use_and_the_chair_reads_it(
    live_server, page, artifacts_dir, review_setup
):
    base = live_server.url
    workshop = review_setup["workshop"]
    Workshop.objects.filter(pk=workshop.pk).update(review_llm_policy=ReviewLlmPolicy.WITH_STATEMENT)
    assignment = review_setup["assignment"]
    broken, errors = _watch(page)
    sign_in(page, base, RITA_EMAIL)
    paper_url = f"{base}/reviewing/{workshop.slug}/papers/{review_setup['paper'].number}/"
    page.goto(paper_url)
    page.wait_for_function("() => window.reviewEditor !== undefined")
    main = page.get_by_role("main")
    question = main.get_by_role("group", name=re.compile("^Did you use an LLM for this review"))
    expect(question).to_contain_text("provided you say how you used one")

    # The answer is autosaved with the draft (no click on a save button).
    # Waits for the event (the autosave's answer), not for a clock.
    with page.expect_response(
        lambda r: r.url.endswith("/autosave/") and r.request.method == "POST" and r.ok,
        timeout=15_000,
    ):
        question.get_by_role("radio", name="Yes, beyond language editing").check()
    assert _review(assignment).llm_use == "yes"

    main.get_by_role("textbox", name=re.compile("^Summary")).fill("A careful audit.")
    main.get_by_role("textbox", name=re.compile("^Strengths")).fill("Twelve suites.")
    main.get_by_role("textbox", name=re.compile("^Weaknesses")).fill("English only.")
    main.get_by_role("group", name=re.compile("^Overall recommendation")).get_by_role(
        "radio", name="4 — Accept"
    ).check()
    main.get_by_role("group", name=re.compile("^Confidence")).get_by_role(
        "radio", name="3 — Fairly confident"
    ).check()
    main.get_by_role("button", name="Submit the review").click()
    expect(page.locator("ul.messages")).to_contain_text("Please say how you used a language model")
    expect(question.get_by_role("radio", name="Yes, beyond language editing")).to_be_checked()
    assert _review(assignment).status == "draft"
    page.screenshot(path=artifacts_dir / "llm-1-refused.png", full_page=True)

    main.get_by_role("textbox", name=re.compile("^How did you use it")).fill(STATEMENT)
    main.get_by_role("button", name="Submit the review").click()
    expect(page.locator("ul.messages")).to_contain_text("Review submitted.")
    review = _review(assignment)
    assert (review.status, review.llm_use, review.llm_statement) == (
        "submitted", "yes", STATEMENT
    )  # fmt: skip

    sign_in(page, base, "ada@chairs.example.com")
    page.goto(paper_url)
    rita = page.get_by_role("main").locator("article.review#review-A")
    expect(rita).to_contain_text("LLM use declared: Yes, beyond language editing")
    expect(rita).to_contain_text(STATEMENT)
    page.screenshot(path=artifacts_dir / "llm-2-chair.png", full_page=True)

    assert not broken, broken
    unexpected = [e for e in errors if not re.match(r"htmx:(afterRequest|sendAbort), ", e)]
    assert not unexpected, unexpected
