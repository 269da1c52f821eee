"""An author in a real browser: sign in → My submissions → new draft → PDF → submit →
receipt mail → replace the PDF → withdraw, with screenshots of every main step."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from submissions.models import Submission, SubmissionType
from tests.e2e.helpers import watch as _watch
from tests.factories import PASSWORD, TopicFactory, UserFactory, WorkshopFactory
from tests.pdfs import make_pdf
from workshop.models import MailStatus, OutgoingMail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Marker losses for open models"
ABSTRACT = "We minimise the loss $\\mathcal{L}$ over *open* weights and report $x^2$ gains."
TLDR = "A new loss for open models."
KEYWORDS = "open models, losses"


@pytest.fixture
def workshop():
    w = WorkshopFactory(name="Open-Source LLM Workshop", short_name="OSLLM", slug="osllm")
    TopicFactory(workshop=w, name="Evaluation")
    TopicFactory(workshop=w, name="Data")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    SubmissionType.objects.create(workshop=w, name="Short paper", page_limit=4)
    return w


@pytest.fixture
def author():
    return UserFactory(name="Alice Marker", email="alice@uni-a.example.edu")


def _receipts(author) -> list[OutgoingMail]:
    return list(
        OutgoingMail.objects.filter(to=author.email, kind="submission_receipt").order_by(
            "created_at", "pk"
        )
    )


def _shown_sha_prefix(page) -> str:
    """The (truncated) SHA-256 of the current PDF as the "Paper PDF" section shows it."""
    files = page.get_by_role("region", name="Paper PDF")
    shown = files.locator("p code").first.inner_text()
    prefix = shown.rstrip("…").strip()
    assert re.fullmatch(r"[0-9a-f]{8,}", prefix), shown
    return prefix


def test_author_submits_replaces_and_withdraws(
    live_server, page, artifacts_dir, workshop, author, tmp_path
):
    broken, errors = _watch(page)
    base = live_server.url
    nav = page.get_by_role("navigation", name="Main")
    main = page.get_by_role("main")

    # Sign in through the login form.
    page.goto(base)
    nav.get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(author.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    page.screenshot(path=artifacts_dir / "author-0-signin.png", full_page=True)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(f"{base}/")
    expect(nav.locator("details.dropdown summary")).to_have_text("Alice")

    # My submissions (empty) → "Submit a new paper" → the form.
    nav.get_by_role("link", name="My submissions").click()
    expect(page).to_have_url(f"{base}/submissions/")
    expect(main.get_by_text("You have no submissions yet.")).to_be_visible()
    expect(main.get_by_role("heading", name="Submit a new paper")).to_be_visible()
    main.get_by_role("link", name=workshop.name).click()
    expect(page).to_have_url(f"{base}/submissions/new/{workshop.slug}/")
    expect(main.get_by_role("heading", name="New submission to OSLLM")).to_be_visible()

    # The workshop page's "Submit a paper" button leads to the same form.
    page.goto(f"{base}/w/{workshop.slug}/")
    page.screenshot(path=artifacts_dir / "author-0-workshop.png", full_page=True)
    main.get_by_role("button", name="Submit a paper").click()
    expect(page).to_have_url(f"{base}/submissions/new/{workshop.slug}/")

    main.get_by_label("Title").fill(TITLE)
    main.get_by_label("Abstract").fill(ABSTRACT)
    main.get_by_label("TL;DR", exact=False).fill(TLDR)
    main.get_by_label("Keywords").fill(KEYWORDS)
    main.get_by_label("Submission type").select_option(label="Full paper (≤ 8 pages)")
    main.get_by_label("Primary topic").select_option(label="Evaluation")
    main.get_by_role("group", name="Secondary topics").get_by_label("Data").check()
    main.get_by_role("radio", name="Editing help (grammar, wording)").check()
    main.get_by_label("How were LLMs used?").fill("Grammar suggestions on the introduction.")
    page.screenshot(path=artifacts_dir / "author-1-form.png", full_page=True)
    main.get_by_role("button", name="Save draft").click()

    # The draft page: details rendered, KaTeX ran on the abstract.
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/submissions/\d+/$"))
    submission = Submission.objects.get(workshop=workshop, title=TITLE)
    detail_url = f"{base}/submissions/{submission.pk}/"
    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("status")).to_contain_text(f"Draft #{submission.number} saved.")
    expect(main.get_by_role("heading", level=1)).to_have_text(f"#{submission.number} {TITLE}")
    expect(main.locator("hgroup .badge")).to_have_text("Draft")
    todo = main.locator("article.todo")
    # The to-do list (submissions.todo): each item links to its place, with its deadline.
    items = todo.locator("li[data-todo]")
    expect(items).to_have_count(3)
    expect(items.nth(0)).to_contain_text("Upload the paper PDF")
    expect(items.nth(1)).to_contain_text("Submit the paper for review")
    expect(items.nth(2)).to_contain_text("Declare conflicts of interest")
    expect(items.nth(0).locator("time.deadline")).to_contain_text("AoE")
    submit = main.get_by_role("button", name="Submit the paper for review")
    expect(submit).to_be_disabled()
    abstract = main.locator("dt:text-is('Abstract') + dd")
    expect(abstract.locator(".katex").first).to_be_visible()
    expect(abstract.locator(".katex")).to_have_count(2)
    expect(abstract.locator("em")).to_have_text("open")
    expect(main.locator("dt:text-is('TL;DR') + dd")).to_have_text(TLDR)
    expect(main.locator("dt:text-is('Topics') + dd")).to_have_text("Evaluation, Data")
    expect(main.locator("dt:text-is('Type') + dd")).to_contain_text("Full paper")
    expect(main.locator("dt:text-is('Use of LLMs') + dd")).to_contain_text("Editing help")
    page.screenshot(path=artifacts_dir / "author-2-draft.png", full_page=True)

    # Upload a 3-page PDF.
    pdf3 = tmp_path / "paper-v1.pdf"
    pdf3.write_bytes(make_pdf(pages=3))
    main.get_by_label("Upload the PDF").set_input_files(pdf3)
    main.get_by_role("button", name="Upload PDF").click()
    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("status")).to_contain_text("Paper uploaded (")
    expect(page.get_by_role("status")).to_contain_text("3 pages")
    expect(todo).not_to_contain_text("Upload the paper PDF")
    expect(todo.locator("li[data-todo]").first).to_contain_text("Submit the paper for review")
    expect(submit).to_be_enabled()
    assert _receipts(author) == []  # no receipt for a draft's upload
    page.screenshot(path=artifacts_dir / "author-2b-uploaded.png", full_page=True)

    # Submit.
    submit.click()
    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("status")).to_contain_text("Submitted. A receipt is on its way")
    expect(main.locator("hgroup .badge")).to_have_text("Submitted")
    expect(submit).to_have_count(0)
    page.screenshot(path=artifacts_dir / "author-3-submitted.png", full_page=True)

    receipts = _receipts(author)
    assert len(receipts) == 1, receipts
    receipt = receipts[0]
    assert receipt.status == MailStatus.SENT, receipt.last_error
    assert receipt.recipient == author
    assert f"#{submission.number} {TITLE}" in receipt.body_text
    assert "Status:    Submitted" in receipt.body_text
    assert "PDF:       3 pages" in receipt.body_text
    assert f"/submissions/{submission.pk}/" in receipt.body_text
    sha_v1 = re.search(r"SHA-256:\s+([0-9a-f]{64})", receipt.body_text)
    assert sha_v1, receipt.body_text
    assert sha_v1.group(1).startswith(_shown_sha_prefix(page))

    # My submissions lists it as Submitted; only the optional conflicts are left to do.
    # (The paper is the row header; the cells are workshop, status, topic, ..., to do.)
    nav.get_by_role("link", name="My submissions").click()
    row = main.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(1)).to_have_text("Submitted")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Evaluation")
    expect(row.get_by_role("cell").nth(5)).to_contain_text("Declare conflicts of interest")
    expect(row.get_by_role("cell").nth(5)).to_contain_text("(optional)")
    page.screenshot(path=artifacts_dir / "author-4-dashboard.png", full_page=True)

    # Replace the PDF with a 4-page one: two versions, a second receipt.
    row.get_by_role("link", name=f"#{submission.number} {TITLE}").click()
    expect(page).to_have_url(detail_url)
    pdf4 = tmp_path / "paper-v2.pdf"
    pdf4.write_bytes(make_pdf(pages=4))
    main.get_by_label("Replace the PDF").set_input_files(pdf4)
    main.get_by_role("button", name="Upload PDF").click()
    expect(page.get_by_role("status")).to_contain_text("4 pages")
    files = main.get_by_role("region", name="Paper PDF")
    expect(files.locator("p").first).to_contain_text("(4 pages,")
    versions = files.locator("details")
    versions.locator("summary").click()
    expect(versions.locator("summary")).to_have_text("All versions (2)")
    version_rows = versions.locator("tbody tr")
    expect(version_rows).to_have_count(2)
    expect(version_rows.filter(has_text="current")).to_have_count(1)
    expect(version_rows.filter(has_text="current").locator("td").nth(1)).to_have_text("4")

    receipts = _receipts(author)
    assert len(receipts) == 2, receipts
    assert all(r.status == MailStatus.SENT for r in receipts), [r.last_error for r in receipts]
    sha_v2 = re.search(r"SHA-256:\s+([0-9a-f]{64})", receipts[1].body_text)
    assert sha_v2, receipts[1].body_text
    assert sha_v2.group(1) != sha_v1.group(1)
    assert sha_v2.group(1).startswith(_shown_sha_prefix(page))
    current = version_rows.filter(has_text="current").locator("code")
    expect(current).to_have_attribute("title", sha_v2.group(1))
    assert "PDF:       4 pages" in receipts[1].body_text
    page.screenshot(path=artifacts_dir / "author-4b-replaced.png", full_page=True)

    # Phone width: the paper page must stay readable.
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artifacts_dir / "author-phone-paper.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Withdraw.
    main.get_by_role("navigation", name="Paper actions").get_by_role(
        "link", name="Withdraw…"
    ).click()
    expect(page).to_have_url(f"{detail_url}withdraw/")
    main.get_by_role("checkbox", name="Yes, withdraw this paper").check()
    page.screenshot(path=artifacts_dir / "author-4c-withdraw-confirm.png", full_page=True)
    main.get_by_role("button", name="Withdraw the paper").click()
    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("status")).to_contain_text("The paper has been withdrawn.")
    expect(main.locator("hgroup .badge")).to_have_text("Withdrawn")
    expect(main.get_by_role("link", name="Withdraw…")).to_have_count(0)
    # The withdraw ladder: while the call is open the authors restore it themselves.
    expect(main.get_by_role("button", name="Restore the paper")).to_be_visible()
    page.screenshot(path=artifacts_dir / "author-5-withdrawn.png", full_page=True)

    submission.refresh_from_db()
    assert submission.status == "withdrawn"
    assert len(_receipts(author)) == 3

    assert not [b for b in broken if not b.endswith("/favicon.ico")], broken
    assert not errors, errors
