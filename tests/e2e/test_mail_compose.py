"""A chair mails the authors of "accepted papers without a camera-ready" in a real browser:
the desk's search fills the mail page, a preview shows one recipient's mail with its merge
fields filled, "Hold for release" stores the mails held (nothing sent), "Release" sends
each exactly once through the outbox; the page fits a 375 px phone (no sideways scroll)
and axe finds nothing critical or serious (the `page` fixture)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reviews.services.decisions import decision_record, default_categories_create
from submissions.models import Authorship, FileKind, Submission, SubmissionFile, SubmissionType
from tests.e2e.helpers import watch as _watch
from tests.factories import PASSWORD, TopicFactory, UserFactory, WorkshopFactory, make_chair
from tests.submissions.conftest import new_submission
from workshop.models import MailStatus, OutgoingMail, User, Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWING = "Sparse probes for open-weight interpretability"
DONE = "A census of open instruction datasets"
REJECTED = "Yet another leaderboard"


@pytest.fixture
def workshop() -> Workshop:
    w = WorkshopFactory(name="Open-Source LLM Workshop", short_name="OSLLM", slug="osllm")
    TopicFactory(workshop=w, name="Evaluation")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    return w


@pytest.fixture
def chair(workshop) -> User:
    return make_chair(workshop, name="Ada Chair", email="ada@chairs.example.com")


@pytest.fixture
def papers(workshop, chair) -> dict[str, Submission]:
    made = {}
    for i, title in enumerate((OWING, DONE, REJECTED)):
        author = UserFactory(name=f"Author {i}", email=f"author{i}@uni{i}.example.edu")
        made[title] = new_submission(workshop, author, title=title)
    Submission.objects.filter(workshop=workshop).update(
        status="submitted", submitted_at=timezone.now()
    )
    Authorship.objects.create(submission=made[OWING], position=2, name="Bo Coauthor",
                              email="bo@uni9.example.edu")  # fmt: skip
    categories = {c.name: c for c in default_categories_create(workshop)}
    for title, category in ((OWING, "Accept (poster)"), (DONE, "Accept (oral)"),
                            (REJECTED, "Reject")):  # fmt: skip
        decision_record(submission=made[title], category=categories[category], chair=chair)
    final = SubmissionFile.objects.create(
        submission=made[DONE], kind=FileKind.CAMERA_READY, file="final.pdf", sha256="0" * 64,
        size=10, uploaded_by=chair,
    )  # fmt: skip
    Submission.objects.filter(pk=made[DONE].pk).update(camera_ready=final)
    return made


def _axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page)
    return [
        f"{v['impact']} {v['id']}: {v.get('help')}"
        for v in result.response.get("violations", [])
        if v.get("impact") in ("critical", "serious")
    ]


def test_chair_mails_accepted_papers_without_a_camera_ready(
    live_server, page, artifacts_dir, workshop, chair, papers
):
    base = live_server.url
    broken, errors = _watch(page)
    nav = page.get_by_role("navigation", name="Main")
    main = page.get_by_role("main")
    page.goto(base)
    nav.get_by_role("link", name="Sign in").click()
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(chair.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(f"{base}/")

    # The desk's link carries its search (`?q=`): the page opens with it filled in.
    compose = reverse("admin:reviews_mail_compose", args=[workshop.pk])
    query = urlencode({"workshop": workshop.pk, "q": "decision:accept camera:no"})
    page.goto(f"{base}{compose}?{query}")
    expect(page.get_by_label("Papers (the desk's search)")).to_have_value(
        "decision:accept camera:no"
    )
    page.get_by_label("Send to").select_option("authors")
    page.get_by_label("Subject").fill("[{workshop}] Camera-ready of #{paper_number}")
    page.get_by_label("Text", exact=True).fill(
        "Dear {name},\n\nplease upload the final version of “{paper_title}” by {deadline}:\n"
        "{camera_ready_url}"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".mail-count")).to_contain_text("2 mails to 2 people")
    recipients = page.locator(".mail-recipients li")
    expect(recipients).to_have_count(2)
    expect(recipients.nth(1)).to_contain_text("bo@uni9.example.edu")
    expect(page.locator(".mail-recipients")).not_to_contain_text(DONE)

    # Preview the second recipient's mail.
    page.get_by_label("Preview the mail of").select_option(index=1)
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    number = papers[OWING].number
    expect(preview).to_contain_text(f"[OSLLM] Camera-ready of #{number}")
    expect(preview).to_contain_text("Dear Bo Coauthor,")
    expect(preview).to_contain_text(f"“{OWING}”")
    expect(preview).to_contain_text(f"/submissions/{papers[OWING].pk}/camera-ready/")
    page.screenshot(path=artifacts_dir / "mail-1-preview.png", full_page=True)
    # The preview is the answer to a POST, which the fixture's revisit (a GET) cannot see.
    assert _axe_serious(page) == []

    # Hold: stored, held, nothing sent.
    mail.outbox.clear()
    page.get_by_role("button", name="Hold for release").click()
    expect(page.locator(".messagelist")).to_contain_text("2 mails held for release")
    held = OutgoingMail.objects.filter(workshop=workshop, kind="chair_mail")
    assert sorted(held.values_list("to", "status")) == [
        ("author0@uni0.example.edu", MailStatus.HELD),
        ("bo@uni9.example.edu", MailStatus.HELD),
    ]
    assert mail.outbox == []

    # A phone: nothing is wider than the screen, and the release button can be clicked.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0, f"the mail page scrolls sideways by {overflow}px at 375 px"
    assert _axe_serious(page) == []
    page.screenshot(path=artifacts_dir / "mail-2-held-375.png", full_page=True)

    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Release 2 mails").click()
    expect(page.locator(".messagelist")).to_contain_text("2 mails released for delivery")
    assert sorted(held.values_list("to", "status")) == [
        ("author0@uni0.example.edu", MailStatus.SENT),
        ("bo@uni9.example.edu", MailStatus.SENT),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "author0@uni0.example.edu",
        "bo@uni9.example.edu",
    ]
    expect(page.get_by_role("button", name=re.compile("^Release"))).to_have_count(0)
    assert asked == ["Send 2 mails now? This cannot be undone."]
    assert broken == [] and errors == [], (broken, errors)
