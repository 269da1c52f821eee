"""The programme committee in a real browser: a chair invites a reviewer from the admin, she
signs up through the invitation link, confirms her address, accepts, fills her profile and
bids (htmx, mouse and keyboard); the chair then sees her on the committee overview."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Bid, Invitation, InvitationStatus
from submissions.models import Submission, SubmissionType
from tests.e2e.helpers import watch as _watch
from tests.factories import PASSWORD, TopicFactory, UserFactory, WorkshopFactory, make_chair
from tests.submissions.conftest import new_submission
from workshop.demo import bidding_dates
from workshop.models import MailStatus, OutgoingMail, Role, User, Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RITA_EMAIL = "rita@newlab.example.org"
RITA_PASSWORD = "lantern-quietly-orbit-73"
# Zed's address deliberately is NOT on example.org: organisation_domain() reduces both
# zzmarker.example.org and newlab.example.org to "example.org", so the conflict rules would
# hide Zed's paper from Rita altogether and the double-blind check would prove nothing.
ZED_EMAIL = "zed@zzmarker.example.net"

# (title, primary topic, keywords); the fourth is the one Rita's own papers match.
PAPERS = [
    ("Tokenizer drift in multilingual open models", "Data", "tokenizers, multilinguality"),
    ("Quantised inference on commodity laptops", "Scale", "quantisation, inference"),
    ("Red-teaming refusal behaviour of open chat models", "Safety", "red-teaming, refusal"),
    ("Contamination audits for open benchmark suites", "Evaluation", "contamination, benchmarks"),
    ("Reproducible seeds for LLM-as-a-judge harnesses", "Evaluation", "judges, seeds"),
    ("Deduplication at web scale for pretraining corpora", "Data", "deduplication, corpora"),
]
MATCH = PAPERS[3][0]
ZED_PAPER = PAPERS[2][0]
RITA_PAPERS = (
    "Detecting benchmark contamination in open model evaluations.\n"
    "Contamination audits: how leaked benchmark suites inflate open leaderboard scores.\n"
    "Auditing benchmark suites for train-test overlap and contamination at scale."
)


@pytest.fixture
def workshop() -> Workshop:
    w = WorkshopFactory(name="Open-Source LLM Workshop", short_name="OSLLM", slug="osllm")
    for name in ("Evaluation", "Data", "Scale", "Safety"):
        TopicFactory(workshop=w, name=name, description=f"Everything about {name.lower()}.")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    for i, (title, topic, keywords) in enumerate(PAPERS):
        if title == ZED_PAPER:
            author = UserFactory(name="Zed ZZMARKER", email=ZED_EMAIL, affiliation="ZZMARKER Lab")
        else:
            author = UserFactory(name=f"Author {i}", email=f"author{i}@uni{i}.example.edu")
        new_submission(
            w,
            author,
            title=title,
            abstract=f"We study {keywords} in open large language models.",
            keywords=keywords,
            primary_topic=w.topics.get(name=topic),
        )
    Submission.objects.filter(workshop=w).update(status="submitted", submitted_at=timezone.now())
    Workshop.objects.filter(pk=w.pk).update(**bidding_dates(timezone.now()))
    w.refresh_from_db()
    return w


@pytest.fixture
def chair(workshop) -> User:
    return make_chair(workshop, name="Ada Chair", email="ada@chairs.example.com")


def _mail(kind: str, to: str) -> OutgoingMail:
    mails = list(OutgoingMail.objects.filter(kind=kind, to=to).order_by("created_at", "pk"))
    assert len(mails) == 1, [(m.kind, m.to) for m in mails]
    assert mails[0].status == MailStatus.SENT, mails[0].last_error
    return mails[0]


def test_chair_invites_reviewer_who_signs_up_profiles_and_bids(
    live_server, browser, page, artifacts_dir, workshop, chair
):
    base = live_server.url
    broken, errors = _watch(page)

    # --- The chair signs in and invites Rita from the admin. ---------------------------------
    page.goto(base)
    nav = page.get_by_role("navigation", name="Main")
    main = page.get_by_role("main")
    nav.get_by_role("link", name="Sign in").click()
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(chair.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(f"{base}/")
    nav.get_by_role("link", name="Chair tools").click()
    expect(page).to_have_url(f"{base}/admin/")
    content = page.locator("#content-main")
    content.get_by_role("link", name="Invitations", exact=True).click()
    expect(page).to_have_url(f"{base}/admin/reviews/invitation/")
    page.get_by_role("link", name="Invite people").click()
    expect(page).to_have_url(f"{base}/admin/reviews/invitation/invite/")
    expect(page.get_by_label("Workshop:")).to_have_value(str(workshop.pk))
    page.get_by_label("People:").fill("Rita Reviewer, rita@newlab.example.org, reviewer")
    page.screenshot(path=artifacts_dir / "committee-1-invite.png", full_page=True)
    page.get_by_role("button", name="Send invitations").click()

    expect(page).to_have_url(f"{base}/admin/reviews/invitation/")
    expect(page.locator("ul.messagelist")).to_contain_text("1 invitation sent.")
    row = page.locator("#result_list tbody tr").filter(has_text=RITA_EMAIL)
    expect(row).to_have_count(1)
    expect(row.locator("td.field-name")).to_have_text("Rita Reviewer")
    expect(row.locator("td.field-status_label")).to_have_text("Pending")
    page.screenshot(path=artifacts_dir / "committee-1b-invited.png", full_page=True)

    invitation = Invitation.objects.get(workshop=workshop, email=RITA_EMAIL)
    assert (invitation.role, invitation.invited_by) == (Role.REVIEWER, chair)
    mail = _mail("committee_invitation", RITA_EMAIL)
    assert "Dear Rita Reviewer" in mail.body_text, mail.body_text
    links = re.findall(r"https?://[^\s/]+(/invitations/[^/\s]+/)", mail.body_text)
    assert len(links) == 2, mail.body_text  # accept, then decline
    accept_url = f"{base}{links[0]}"

    # --- Rita, in her own browser context, signs up from the invitation link. ----------------
    rita_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    rita_context.set_default_timeout(10_000)
    rita = rita_context.new_page()
    rita_broken, rita_errors = _watch(rita)
    try:
        _rita_joins_and_bids(rita, base, accept_url, artifacts_dir, workshop)
        assert not rita_broken, rita_broken
        assert not rita_errors, rita_errors
    except Exception:
        rita.screenshot(path=artifacts_dir / "FAILED-committee-rita.png", full_page=True)
        raise
    finally:
        rita_context.close()

    user = User.objects.get(email=RITA_EMAIL)
    assert sorted(Bid.objects.filter(user=user).values_list("value", flat=True)) == [
        "eager",
        "willing",
    ]

    # --- The chair sees her on the committee, with two bids, and the invitation accepted. ----
    page.goto(f"{base}/admin/reviews/invitation/")
    row = page.locator("#result_list tbody tr").filter(has_text=RITA_EMAIL)
    expect(row.locator("td.field-status_label")).to_have_text("Accepted")
    page.get_by_role("link", name="Committee of OSLLM").click()
    expect(page).to_have_url(f"{base}/admin/reviews/invitation/committee/{workshop.pk}/")
    member = page.locator("#content table").first.locator("tbody tr").filter(has_text=RITA_EMAIL)
    expect(member).to_have_count(1)
    cells = member.locator("td")
    expect(cells.nth(0)).to_contain_text("Rita Reviewer")
    expect(cells.nth(1)).to_have_text("New Lab")
    expect(cells.nth(2)).to_have_text("Reviewer")
    expect(cells.nth(3)).to_contain_text("4 topics")
    expect(cells.nth(5)).to_have_text("2 of 12 (2 positive)")
    page.screenshot(path=artifacts_dir / "committee-5-overview.png", full_page=True)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ACCEPTED
    assert invitation.accepted_by == user

    page.get_by_role("link", name="Bid coverage").click()
    expect(page).to_have_url(f"{base}/admin/reviews/invitation/coverage/{workshop.pk}/")
    coverage = page.locator("#content table tbody tr")
    expect(coverage).to_have_count(len(PAPERS))
    for title, *_ in PAPERS:
        expect(coverage.filter(has_text=title)).to_have_count(1)
    numbers = dict(Submission.objects.filter(workshop=workshop).values_list("title", "number"))
    eager_row = coverage.filter(has_text=MATCH)
    expect(eager_row.locator("td").nth(1)).to_have_text("1")
    expect(eager_row.locator("td").nth(0)).to_have_text(f"#{numbers[MATCH]} {MATCH}")
    page.screenshot(path=artifacts_dir / "committee-6-coverage.png", full_page=True)

    assert not broken, broken
    assert not errors, errors


def _rita_joins_and_bids(rita, base, accept_url, artifacts_dir, workshop) -> None:
    main = rita.get_by_role("main")
    nav = rita.get_by_role("navigation", name="Main")
    messages = rita.locator("ul.messages")

    # The accept link asks a stranger to sign in or sign up.
    rita.goto(accept_url)
    expect(main.get_by_role("heading", level=1)).to_have_text(
        f"Join the programme committee of {workshop.name}"
    )
    expect(main).to_contain_text("You are invited as reviewer.")
    expect(main.get_by_role("button", name="Accept the invitation")).to_have_count(0)
    expect(main.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    rita.screenshot(path=artifacts_dir / "committee-2a-invitation.png", full_page=True)
    main.get_by_role("button", name="Sign up", exact=True).click()
    expect(rita).to_have_url(re.compile(r"/accounts/signup/\?next="))
    rita.get_by_label("Email:", exact=True).fill(RITA_EMAIL)
    rita.get_by_label("Full name:", exact=True).fill("Rita Reviewer")
    rita.get_by_label("Affiliation:", exact=True).fill("New Lab")
    rita.get_by_label("Password:", exact=True).fill(RITA_PASSWORD)
    rita.get_by_label("Password (again):", exact=True).fill(RITA_PASSWORD)
    main.get_by_role("button", name="Sign Up").click()
    expect(rita).to_have_url(f"{base}/accounts/confirm-email/")

    # Confirm the address through the link in the mail.
    confirmation = _mail("account/email_confirmation_signup", RITA_EMAIL)
    match = re.search(r"https?://[^\s/]+(/accounts/confirm-email/\S+/)", confirmation.body_text)
    assert match, confirmation.body_text
    rita.goto(f"{base}{match.group(1)}")
    main.get_by_role("button", name="Confirm").click()
    expect(nav.locator("details.dropdown summary")).to_have_text("Rita")
    # The signup kept ?next=: confirming signs her in and brings her back to the invitation.
    expect(rita).to_have_url(accept_url)
    rita.screenshot(path=artifacts_dir / "committee-2b-confirmed.png", full_page=True)

    # The accept link again, now signed in: accept.
    rita.goto(accept_url)
    expect(main).to_contain_text(f"Accept as Rita Reviewer ({RITA_EMAIL})")
    rita.screenshot(path=artifacts_dir / "committee-2-accept.png", full_page=True)
    main.get_by_role("button", name="Accept the invitation").click()
    expect(rita).to_have_url(f"{base}/reviewing/{workshop.slug}/profile/")
    expect(messages).to_contain_text(
        f"Welcome to the committee of {workshop.name}. Please fill in your profile."
    )
    expect(nav.get_by_role("link", name="Reviewing")).to_be_visible()

    # The profile: expertise per topic, her own papers.
    expect(main.get_by_role("heading", level=1)).to_have_text("Your reviewer profile")
    levels = {"Evaluation": "Expert", "Data": "Knowledgeable", "Scale": "Not my area"}
    levels["Safety"] = "Not my area"
    for topic, level in levels.items():
        main.get_by_role("radio", name=f"{topic}: {level}", exact=True).check()
    main.get_by_label("Your own papers").fill(RITA_PAPERS)
    rita.screenshot(path=artifacts_dir / "committee-3-profile.png", full_page=True)
    main.get_by_role("button", name="Save profile").click()

    # Saved, still on the profile; bidding is open: the page leads on to it.
    expect(messages).to_contain_text("Profile saved.")
    expect(rita).to_have_url(f"{base}/reviewing/{workshop.slug}/profile/")
    main.get_by_role("link", name="Next: bid on papers →").click()
    # The bidding page: best fit first, authors never shown.
    bids_url = f"{base}/reviewing/{workshop.slug}/bids/"
    expect(rita).to_have_url(bids_url)
    papers = main.locator("article.paper")
    expect(papers).to_have_count(len(PAPERS))
    first = papers.first
    expect(first.get_by_role("heading", level=2)).to_contain_text(MATCH)
    expect(papers.filter(has_text=ZED_PAPER)).to_have_count(1)
    assert "zzmarker" not in rita.content().lower()
    counter = rita.locator("#bid-counter")
    expect(counter).to_have_text("0 of 6 bids placed · 6 papers you can review")

    # Eager on the first paper, saved by htmx without reloading the page.
    rita.evaluate("window.__noReload = 'still here'")
    eager = first.get_by_role("button", name="Eager", exact=True)
    expect(eager).to_have_attribute("aria-pressed", "false")
    eager.click()
    expect(first.get_by_role("button", name="Eager", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(first.locator(".bid-state")).to_have_text("Saved")
    expect(counter).to_contain_text("1 of 6 bids placed")
    assert rita.url == bids_url
    assert rita.evaluate("window.__noReload") == "still here"

    # Keyboard: focus another paper and press 2 ("Willing").
    second = papers.filter(has_text=PAPERS[4][0])
    second.focus()
    expect(second).to_be_focused()
    rita.keyboard.press("2")
    expect(second.get_by_role("button", name="Willing", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(second.locator(".bid-state")).to_have_text("Saved")
    expect(counter).to_contain_text("2 of 6 bids placed")
    assert rita.evaluate("window.__noReload") == "still here"
    rita.screenshot(path=artifacts_dir / "committee-4-bidding.png", full_page=True)

    # Phone width.
    rita.set_viewport_size({"width": 390, "height": 844})
    rita.screenshot(path=artifacts_dir / "committee-phone-bidding.png", full_page=True)
    rita.set_viewport_size({"width": 1280, "height": 900})

    # Search by a title word, then filter by a topic: the list narrows.
    search = main.get_by_role("search")
    search.get_by_label("Search").fill("quantised")
    search.get_by_role("button", name="Filter").click()
    expect(papers).to_have_count(1)
    expect(papers.first).to_contain_text(PAPERS[1][0])
    expect(search.get_by_label("Search")).to_have_value("quantised")
    search.get_by_label("Search").fill("")
    search.get_by_label("Topic").select_option(label="Data")
    search.get_by_role("button", name="Filter").click()
    expect(papers).to_have_count(2)
    for title in (PAPERS[0][0], PAPERS[5][0]):  # the two Data papers, in order of fit
        expect(papers.filter(has_text=title)).to_have_count(1)
    expect(counter).to_contain_text("2 of 6 bids placed")  # the counter ignores the filter

    # Reload: both bids are still chosen.
    rita.goto(bids_url)
    expect(papers).to_have_count(len(PAPERS))
    for title, label in ((MATCH, "Eager"), (PAPERS[4][0], "Willing")):
        chosen = papers.filter(has_text=title).locator("button[aria-pressed='true']")
        expect(chosen).to_have_count(1)
        expect(chosen).to_have_text(label)
    expect(counter).to_have_text("2 of 6 bids placed · 6 papers you can review")
