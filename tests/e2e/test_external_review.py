"""External reviewers in a real browser (issue 28): Rita, Reviewer A of the paper, asks an
outside expert by e-mail; the invitation's accept link works once (a second use is refused,
saying why); the expert signs in, sees that paper only (not the other paper, not the
committee's discussion), submits a review on the committee's form; Rita approves it and the
desk counts it. A request to an address in conflict is held for the
chairs, who find it in their tools (here: the author's own address, which the requester
cannot know on a double-blind workshop)."""

from __future__ import annotations

import re

import pytest
from django.test import TestCase
from playwright.sync_api import expect

from reviews.models import ExternalReviewRequest, Review
from reviews.services.assignment import assignment_add
from reviews.services.reviewing import comment_post
from submissions.models import Submission
from tests.e2e.helpers import sign_in
from tests.factories import UserFactory
from workshop.models import OutgoingMail

from .review_world import RITA_EMAIL, TITLE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EXPERT = "eve@eve-institute.org"
OTHER_TITLE = "ZQOTHERPAPER tokenizer drift"
DISCUSSION = "ZQDISCUSSION the committee doubts the audit"


def _accept_link(base: str) -> str:
    mail = OutgoingMail.objects.get(kind="external_invitation", to=EXPERT)
    assert "ZQAUTHORNAME" not in mail.body_text and "Rita" not in mail.body_text
    match = re.search(r"Accept[^\n]*\n\s*\S*?(/invitations/external/[^/\s]+/)", mail.body_text)
    assert match, mail.body_text
    return base + match.group(1)


def test_external_review_requested_accepted_once_submitted_approved_counted(
    live_server, page, review_setup
):
    base = live_server.url
    w, paper = review_setup["workshop"], review_setup["paper"]
    bob = next(a.reviewer for a in paper.assignments.all() if a.pseudonym == "B")
    chair = w.memberships.get(role="chair").user
    other_author = UserFactory()
    other = Submission.objects.create(
        workshop=w, number=2, title=OTHER_TITLE, abstract="Another abstract.",
        status="submitted", created_by=other_author, submitted_at=paper.submitted_at,
        submission_type=paper.submission_type, primary_topic=paper.primary_topic,
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_add(submission=other, reviewer=bob, chair=chair)
        fresh = Submission.objects.select_related("workshop").get(pk=paper.pk)
        comment_post(submission=fresh, user=bob, body=DISCUSSION, notify=False)
    UserFactory(name="Eve Expert", email=EXPERT)
    main = page.get_by_role("main")
    messages = page.locator("ul.messages")

    # --- Rita asks the expert. ------------------------------------------------------------
    sign_in(page, base, RITA_EMAIL)
    paper_url = f"{base}/reviewing/osllm/papers/1/"
    page.goto(paper_url)
    main.get_by_role("button", name="Request an external reviewer").click()
    main.get_by_label("E-mail").fill(EXPERT)
    main.get_by_label("Name", exact=True).fill("Eve Expert")
    main.get_by_role("button", name="Send the request").click()
    expect(messages).to_contain_text(f"Invitation sent to {EXPERT}.")
    expect(main.locator(".external-reviewers")).to_contain_text("Invitation sent")
    accept = _accept_link(base)

    # --- The expert accepts with the link, once. ----------------------------------------------
    sign_in(page, base, EXPERT)
    page.goto(accept)
    expect(main).to_contain_text("external reviewer")
    main.get_by_role("button", name="Accept and open the paper").click()
    expect(page).to_have_url(paper_url)
    expect(main.get_by_role("heading", level=1)).to_have_text(f"#1 {TITLE}")
    expect(main).to_contain_text("you are External reviewer A")
    response = page.goto(accept)
    assert response is not None and response.status == 410
    expect(main.get_by_role("alert")).to_have_text(
        "This invitation has already been accepted; the link works once."
    )

    # --- The expert sees that paper only, and not the discussion. ------------------------------
    response = page.goto(f"{base}/reviewing/osllm/papers/{other.number}/")
    assert response is not None and response.status == 404
    page.goto(paper_url)
    page.wait_for_function("() => window.reviewEditor !== undefined")
    expect(main).not_to_contain_text("ZQDISCUSSION")
    expect(main).not_to_contain_text("ZQBOBTEXT")
    expect(main).not_to_contain_text("ZQAUTHORNAME")
    main.get_by_role("textbox", name=re.compile("^Summary")).fill("ZQEXTERNALTEXT An expert view.")
    main.get_by_role("textbox", name=re.compile("^Strengths")).fill("Careful sampling.")
    main.get_by_role("textbox", name=re.compile("^Weaknesses")).fill("One language.")
    main.get_by_role("group", name=re.compile("^Overall recommendation")).get_by_role(
        "radio", name="2 — Reject"
    ).check()
    main.get_by_role("group", name=re.compile("^Confidence")).get_by_role(
        "radio", name="3 — Fairly confident"
    ).check()
    main.get_by_role("button", name="Submit the review").click()
    expect(messages).to_contain_text("Review submitted")
    expect(main).not_to_contain_text("ZQDISCUSSION")
    request = ExternalReviewRequest.objects.get(email=EXPERT)
    assert Review.objects.get(assignment=request.assignment).status == "submitted"
    assert not request.counts

    # --- The desk does not count it yet; Rita approves; now it counts. ----------------------
    desk = f"{base}/admin/reviews/decisionboard/"
    sign_in(page, base, chair.email)
    page.goto(desk)
    row = page.locator("#result_list tbody tr").filter(has_text=TITLE)
    expect(row.locator("td.field-reviews")).to_have_text(f"1/{w.reviews_per_paper}")
    sign_in(page, base, RITA_EMAIL)
    page.goto(paper_url)
    panel = main.locator(".external-reviewers")
    expect(panel).to_contain_text("awaiting approval")
    panel.get_by_role("button", name="Approve: count this review").click()
    expect(messages).to_contain_text("The external review is approved: it now counts.")
    expect(main.locator(".external-reviewers")).to_contain_text("counts")
    sign_in(page, base, chair.email)
    page.goto(desk)
    row = page.locator("#result_list tbody tr").filter(has_text=TITLE)
    expect(row.locator("td.field-reviews")).to_have_text(f"2/{w.reviews_per_paper}")

    # --- A request to an address in conflict (the author's) is held for the chairs. ---------
    sign_in(page, base, RITA_EMAIL)
    page.goto(paper_url)
    main.get_by_role("button", name="Request an external reviewer").click()
    main.get_by_label("E-mail").fill("zed@zq-author.example.net")
    main.get_by_role("button", name="Send the request").click()
    expect(messages).to_contain_text("is held for the chairs, who check it first.")
    expect(messages).not_to_contain_text("authorship")  # the reason is the chairs' only
    expect(main.locator(".external-reviewers")).to_contain_text("Held for a chair")
    expect(main.locator(".external-reviewers")).not_to_contain_text("authorship")
    assert not OutgoingMail.objects.filter(to="zed@zq-author.example.net").exists()
    sign_in(page, base, chair.email)
    page.goto(f"{base}/admin/reviews/externalreviewrequest/?status__exact=held")
    held = page.locator("#result_list tbody tr")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("zed@zq-author.example.net")
    expect(held).to_contain_text("possible conflict: authorship")
