"""Custom submission fields in the browser (issue 27): a chair adds a required "link to
code" URL field and a chairs-only "GPU hours" number in the chair tools; an author cannot
save the paper without the link (a clear message, nothing typed lost), then can; a reviewer
sees the link but not the GPU hours; the desk finds `field:gpu-hours:>100`; the answer is in
the desk's CSV, the API and the archive. The author form and the forum are checked at 1,280
and 375 px (no sideways scroll, no serious axe violation)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from playwright.sync_api import expect

from reviews.services.assignment import assignment_add
from submissions.models import Submission, SubmissionType
from submissions.services import submission_file_upload, submission_submit
from tests.e2e.helpers import sign_in, watch
from tests.e2e.phone import WIDTHS, PhoneCheck
from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.pdfs import make_pdf
from transfer.archive import archive_rows
from workshop.models import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Sparse adapters for open models"


def test_custom_fields_from_the_chair_tools_to_the_desk(live_server, browser):
    workshop = WorkshopFactory(name="Open LLM Workshop", short_name="OLW", slug="olw")
    TopicFactory(workshop=workshop, name="Evaluation")
    SubmissionType.objects.create(workshop=workshop, name="Full paper", page_limit=8)
    chair = make_chair(workshop, name="Ada Chair", email="ada@chairs.example.com", is_staff=True)
    author = UserFactory(name="Alice Author", email="alice@uni-a.example.edu")
    reviewer = UserFactory(name="Rita Reviewer", email="rita@rita-lab.example.org")
    MembershipFactory(workshop=workshop, user=reviewer, role=Role.REVIEWER)

    base = live_server.url
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    broken, errors = watch(page)
    checks = PhoneCheck("custom-fields", broken, errors)

    # The chair adds the two fields in the chair tools.
    sign_in(page, base, chair.email)
    add = f"{base}{reverse('admin:submissions_submissionfield_add')}"
    for label, code, kind, required, visibility in [
        ("Link to code", "code-link", "URL", True, "Reviewers (and chairs)"),
        ("GPU hours", "gpu-hours", "Number", False, "Chairs only"),
    ]:
        page.goto(add)
        page.get_by_label("Workshop").select_option(label=str(workshop))
        page.get_by_label("Label").fill(label)
        page.get_by_label("Label").press("Tab")  # the admin's script proposes a code
        page.get_by_label("Code").fill(code)
        page.get_by_label("Code").press("Tab")
        expect(page.get_by_label("Code")).to_have_value(code)
        page.get_by_label("Kind").select_option(label=kind)
        if required:
            page.get_by_label("Required").check()
        page.get_by_label("Visibility").select_option(label=visibility)
        with page.expect_navigation():
            page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text(label)
    assert sorted(workshop.submission_fields.values_list("code", flat=True)) == [
        "code-link",
        "gpu-hours",
    ]

    # The author fills the form without the link: refused, with everything kept.
    sign_in(page, base, author.email)
    page.goto(f"{base}{reverse('submissions:new', args=[workshop.slug])}")
    main = page.get_by_role("main")
    main.get_by_label("Title").fill(TITLE)
    main.get_by_label("Abstract").fill("We fine-tune sparse adapters on open weights.")
    main.get_by_label("Submission type").select_option(label="Full paper (≤ 8 pages)")
    main.get_by_label("Primary topic").select_option(label="Evaluation")
    main.get_by_label("GPU hours").fill("250")
    with page.expect_navigation():
        main.get_by_role("button", name="Save draft").click()
    expect(main.locator("#cf-code-link")).to_contain_text("“Link to code” is required.")
    expect(main.get_by_label("Title")).to_have_value(TITLE)
    expect(main.get_by_label("GPU hours")).to_have_value("250")
    assert not Submission.objects.filter(workshop=workshop).exists()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        checks.check(page, f"author-form-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    main.get_by_label("Link to code").fill("not a link")
    with page.expect_navigation():
        main.get_by_role("button", name="Save draft").click()
    expect(main.locator("#cf-code-link")).to_contain_text("enter a full web address")
    main.get_by_label("Link to code").fill("https://git.example.org/sparse-adapters")
    with page.expect_navigation():
        main.get_by_role("button", name="Save draft").click()
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("https://git.example.org/sparse-adapters")
    expect(details).to_contain_text("GPU hours")
    paper = Submission.objects.get(workshop=workshop)

    with TestCase.captureOnCommitCallbacks(execute=True):
        upload = SimpleUploadedFile("p.pdf", make_pdf(pages=2), "application/pdf")
        submission_file_upload(submission=paper, user=author, kind="paper", upload=upload)
        submission_submit(submission=paper, user=author)
        assignment_add(submission=paper, reviewer=reviewer, chair=chair)

    # The reviewer sees the link, not the GPU hours.
    sign_in(page, base, reviewer.email)
    forum = f"{base}{reverse('reviews:paper', args=[workshop.slug, paper.number])}"
    page.goto(forum)
    facts = page.locator(".paper-facts")
    expect(facts).to_contain_text("Link to code")
    expect(
        facts.get_by_role("link", name="https://git.example.org/sparse-adapters")
    ).to_be_visible()
    expect(page.get_by_text("GPU hours")).to_have_count(0)
    expect(page.get_by_text("250")).to_have_count(0)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        checks.check(page, f"forum-reviewer-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})

    # The chair's desk finds the paper by its GPU hours, and not by a higher bound.
    sign_in(page, base, chair.email)
    desk = f"{base}{reverse('admin:reviews_decisionboard_changelist')}?workshop={workshop.pk}"
    page.goto(f"{desk}&q=field%3Agpu-hours%3A%3E100")
    expect(page.get_by_role("cell", name=TITLE, exact=True)).to_be_visible()
    expect(page.locator("td.field-custom").first).to_contain_text("GPU hours: 250")
    page.goto(f"{desk}&q=field%3Agpu-hours%3A%3E1000")
    expect(page.get_by_role("cell", name=TITLE, exact=True)).to_have_count(0)

    # The CSV of the desk and the API carry it (the chair's session).
    export = page.request.get(
        f"{base}{reverse('admin:reviews_decisions_export')}?workshop={workshop.pk}"
    )
    rows = list(csv.DictReader(io.StringIO(export.text().lstrip("\ufeff"))))
    assert [(r["field:code-link"], r["field:gpu-hours"]) for r in rows] == [
        ("https://git.example.org/sparse-adapters", "250")
    ]
    api = page.request.get(f"{base}{reverse('api:submission-fields', args=[paper.pk])}")
    assert api.ok, api.text()
    assert api.json()["answers"] == {
        "code-link": "https://git.example.org/sparse-adapters",
        "gpu-hours": 250.0,
    }
    # And the archive.
    archived = archive_rows(workshop)
    assert {r["code"] for r in archived["submissions.SubmissionField"]} == {
        "code-link",
        "gpu-hours",
    }
    assert "250.0000" in [r["number"] for r in archived["submissions.SubmissionFieldValue"]]

    assert not broken and not errors, (broken, errors)
    problems = checks.report()
    context.close()
    assert not problems, problems
