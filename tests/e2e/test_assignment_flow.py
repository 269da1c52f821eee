"""The assignment in a real browser: the chair signs in, opens Chair tools → Assignment runs →
Add, runs "Best total fit" (the page polls a progress bar until htmx's HX-Refresh brings the
preview), runs a fair one, compares the two, commits one and finds the pairs under
Assignments."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Assignment, Bid, BidValue, MatchingRun, RunStatus
from reviews.services import assignment as assignment_services
from submissions.models import Authorship, Submission, SubmissionStatus
from tests.e2e.helpers import watch as _watch
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.demo import bidding_dates
from workshop.models import MailStatus, OutgoingMail, Role, User, Workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MARK = "Qzxmarker"  # in the authors' names: never on the chair's assignment pages
PAPERS = [
    ("Contamination audits for open benchmark suites", "Evaluation"),
    ("Tokenizer drift in multilingual open models", "Data"),
    ("Quantised inference on commodity laptops", "Scale"),
    ("Reproducible seeds for LLM-as-a-judge harnesses", "Evaluation"),
]
REVIEWERS = ["Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]


@pytest.fixture
def workshop() -> Workshop:
    w = WorkshopFactory(
        name="Open-Source LLM Workshop",
        short_name="OSLLM",
        slug="osllm",
        reviews_per_paper=2,
        reviewer_max_load=3,
        **bidding_dates(timezone.now()),
    )
    for name in ("Evaluation", "Data", "Scale"):
        TopicFactory(workshop=w, name=name)
    owner = UserFactory(email="owner@owner-house.org", name="Owen Owner")
    for number, (title, topic) in enumerate(PAPERS, start=1):
        sub = Submission.objects.create(
            workshop=w,
            number=number,
            title=title,
            status=SubmissionStatus.SUBMITTED,
            created_by=owner,
            primary_topic=w.topics.get(name=topic),
            abstract=f"We study {title.lower()}.",
            submitted_at=timezone.now(),
        )
        Authorship.objects.create(
            submission=sub,
            position=1,
            name=f"Zed {MARK} {number}",
            email=f"zed{number}@{MARK.lower()}{number}.net",
        )
    subs = list(Submission.objects.filter(workshop=w).order_by("number"))
    for i, name in enumerate(REVIEWERS):
        key = name.split()[0].lower()
        user = UserFactory(email=f"{key}@{key}-lab.org", name=name)
        MembershipFactory(workshop=w, user=user, role=Role.REVIEWER)
        Bid.objects.create(submission=subs[i], user=user, value=BidValue.EAGER)
        Bid.objects.create(submission=subs[(i + 1) % 4], user=user, value=BidValue.WILLING)
    return w


@pytest.fixture
def chair(workshop) -> User:
    return make_chair(workshop, name="Ada Chair", email="ada@chairs.example.com")


def test_chair_runs_compares_and_commits_an_assignment(
    live_server, page, artifacts_dir, workshop, chair, monkeypatch
):
    base = live_server.url
    broken, errors = _watch(page)
    nav = page.get_by_role("navigation", name="Main")
    main = page.get_by_role("main")

    # --- Sign in, Chair tools → Assignment runs → Add. ---------------------------------------
    page.goto(base)
    nav.get_by_role("link", name="Sign in").click()
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(chair.email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(f"{base}/")
    nav.get_by_role("link", name="Chair tools").click()
    expect(page).to_have_url(f"{base}/admin/")
    page.locator("#content-main").get_by_role("link", name="Assignment runs", exact=True).click()
    expect(page).to_have_url(f"{base}/admin/reviews/matchingrun/")
    page.get_by_role("link", name=re.compile("^Add assignment run", re.I)).click()
    expect(page).to_have_url(f"{base}/admin/reviews/matchingrun/add/")
    expect(page.get_by_label("Workshop:")).to_have_value(str(workshop.pk))
    expect(page.get_by_label("Reviews per paper:")).to_have_value("2")
    page.get_by_label("Best total fit (exact optimum)").check()
    page.screenshot(path=artifacts_dir / "assign-1-form.png", full_page=True)

    # --- Run it with no worker: the page polls a progress bar. -------------------------------
    queued: list[int] = []
    monkeypatch.setattr(assignment_services, "_enqueue", queued.append)
    page.get_by_role("button", name="Run").click()
    expect(page).to_have_url(re.compile(r"/admin/reviews/matchingrun/\d+/change/$"))
    first = MatchingRun.objects.get()
    assert queued == [first.pk] and first.status == RunStatus.QUEUED
    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("Queued — Waiting for a worker")
    expect(progress.locator("progress")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel this run")).to_be_visible()
    page.screenshot(path=artifacts_dir / "assign-1b-progress.png", full_page=True)

    # A worker computes it: htmx sees the end and HX-Refresh reloads the page with the preview.
    monkeypatch.undo()
    assert assignment_services.matching_run_execute(first.pk) == "done"
    expect(page.get_by_role("heading", name="Worst-served papers")).to_be_visible(timeout=15_000)
    expect(progress).to_contain_text("Ready for review")
    expect(page.get_by_role("button", name="Cancel this run")).to_have_count(0)
    first.refresh_from_db()
    grid = page.locator(".run-grid")
    expect(grid).to_contain_text(f"Total fit{first.result['total']}")
    expect(grid).to_contain_text("+8 / \u22120")  # "+N / minus M": added, removed
    loads = page.locator("#content table").last
    for name in REVIEWERS:
        expect(loads).to_contain_text(name)
    assert MARK.lower() not in page.content().lower()
    assert not Assignment.objects.exists()
    page.screenshot(path=artifacts_dir / "assign-2-preview.png", full_page=True)

    # --- A second run, fair mode (a worker takes it at once). --------------------------------
    page.get_by_role("link", name="Assignment runs").first.click()
    page.get_by_role("link", name=re.compile("^Add assignment run", re.I)).click()
    page.get_by_label("Fair: raise the worst-served paper first").check()
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("heading", name="Worst-served papers")).to_be_visible()
    second = MatchingRun.objects.exclude(pk=first.pk).get()
    assert second.mode == "fair" and second.status == RunStatus.DONE
    expect(page.locator(".run-grid")).to_contain_text("Best possible worst paper (bound)")

    # --- Compare the two. ---------------------------------------------------------------------
    page.get_by_label("Compare with").select_option(str(first.pk))
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(rf"/compare/\?a={second.pk}&b={first.pk}$"))
    table = page.locator("#content table")
    expect(table.locator("thead")).to_contain_text(f"Run {second.pk}")
    expect(table.locator("thead")).to_contain_text(f"Run {first.pk}")
    mode_row = table.locator("tr").filter(has_text="Mode")
    expect(mode_row).to_contain_text("Fair")
    expect(mode_row).to_contain_text("Best total fit")
    expect(page.locator("#content")).to_contain_text("Pairs in both runs:")
    page.screenshot(path=artifacts_dir / "assign-3-compare.png", full_page=True)

    # --- Commit the first run. ----------------------------------------------------------------
    table.locator("thead").get_by_role("link", name=f"Run {first.pk}").click()
    expect(page).to_have_url(f"{base}/admin/reviews/matchingrun/{first.pk}/change/")
    # Bidding is still open: the commit asks first (issue 24), and the server refuses
    # without the confirmation.
    confirm = page.get_by_label(re.compile(r"^Bidding closes .* AoE; commit anyway$"))
    expect(confirm).not_to_be_checked()
    confirm.check()
    page.get_by_role("button", name="Commit this assignment and notify reviewers").click()
    expect(page.locator("ul.messagelist")).to_contain_text("Assignment committed")
    expect(page.get_by_role("button", name=re.compile("^Commit"))).to_have_count(0)
    expect(page.locator("#content")).to_contain_text("Committed")
    page.screenshot(path=artifacts_dir / "assign-4-committed.png", full_page=True)
    first.refresh_from_db()
    assert first.status == RunStatus.COMMITTED
    proposed = {(s, u) for s, u, _ in first.result["pairs"]}
    assert set(Assignment.objects.values_list("submission_id", "reviewer_id")) == proposed
    notices = OutgoingMail.objects.filter(kind="assignment_notice")
    assert notices.count() == len({u for _, u in proposed})
    assert set(notices.values_list("status", flat=True)) == {MailStatus.SENT}

    # --- The Assignments changelist lists the pairs. ------------------------------------------
    page.goto(f"{base}/admin/")
    page.locator("#content-main .app-reviews").get_by_role(
        "link", name="Assignments", exact=True
    ).click()
    expect(page).to_have_url(f"{base}/admin/reviews/assignment/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(len(proposed))
    for a in Assignment.objects.select_related("submission", "reviewer"):
        row = rows.filter(has_text=a.reviewer.name).filter(has_text=a.submission.title)
        expect(row).to_have_count(1)
    page.screenshot(path=artifacts_dir / "assign-5-assignments.png", full_page=True)

    assert not broken, broken
    assert not errors, errors
