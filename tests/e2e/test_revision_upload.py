"""An author in a real browser uploads the revised version of a paper sent to round 2
(issue 27, part 2): before the round's deadline the upload is taken and the page says so;
after it, the page says the deadline has passed and offers no upload (the server refuses
one anyway: tests/reviews/test_rounds.py). At 1,280 and 375 px."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import DecisionCategory, Outcome, ReviewRound
from reviews.services.rounds import paper_round_send, review_round_create
from submissions.models import Submission
from tests.e2e.helpers import sign_in
from tests.e2e.helpers import watch as _watch
from tests.factories import SubmissionFactory, UserFactory, WorkshopFactory, make_chair
from tests.pdfs import make_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sent_paper():
    workshop = WorkshopFactory(name="Open LLM Workshop", short_name="OLLM", slug="ollm-rr")
    author = UserFactory(name="Alice Revise", email="alice@uni-rr.example.edu")
    paper = SubmissionFactory(workshop=workshop, created_by=author, title="Open weights, revised")
    chair = make_chair(workshop)
    now = timezone.now()
    second = review_round_create(workshop=workshop, chair=chair, name="Second round",
                                 review_deadline=now + dt.timedelta(days=20),
                                 resubmission_deadline=now + dt.timedelta(days=7))  # fmt: skip
    category = DecisionCategory.objects.create(
        workshop=workshop, name="Revise and resubmit", outcome=Outcome.REJECT, revise_round=second
    )
    paper_round_send(submission=paper, category=category, chair=chair)
    return paper, author, second


@pytest.mark.parametrize("width", [1280, 375])
def test_the_author_uploads_the_revision_before_the_deadline_only(
    live_server, page, artifacts_dir, sent_paper, tmp_path, width
):
    paper, author, second = sent_paper
    page.set_viewport_size({"width": width, "height": 900})
    broken, errors = _watch(page)
    base = live_server.url
    sign_in(page, base, author.email)
    page.goto(f"{base}/submissions/{paper.pk}/revision/")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text(f"Revised version of #{paper.number}")
    expect(main).to_contain_text("Second round")
    expect(main.locator("#revision-state")).to_contain_text("Not uploaded yet")

    pdf = tmp_path / "revised.pdf"
    pdf.write_bytes(make_pdf(pages=2, text=["Revised introduction.", "New results."]))
    main.get_by_label(re.compile("Upload the revised PDF")).set_input_files(str(pdf))
    main.get_by_role("button", name="Upload the revised version").click()
    expect(page.locator("ul.messages")).to_contain_text("Revised PDF uploaded (2 pages)")
    expect(main.locator("#revision-state")).to_contain_text("Uploaded: 2 pages")
    assert Submission.objects.get(pk=paper.pk).paper.pages == 2
    page.screenshot(path=artifacts_dir / f"revision-1-uploaded-{width}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # The round's deadline passes: the page says so and offers no upload.
    ReviewRound.objects.filter(pk=second.pk).update(
        resubmission_deadline=timezone.now() - dt.timedelta(days=1)
    )
    page.reload()
    expect(main).to_contain_text("The deadline for revised versions has passed")
    expect(main.get_by_role("button", name="Upload the revised version")).to_have_count(0)
    page.screenshot(path=artifacts_dir / f"revision-2-closed-{width}.png", full_page=True)
    assert not errors, errors
    assert not broken, broken
