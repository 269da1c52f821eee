"""A new chair on the demo, in a real browser: issue 24's "Done when".

1. The home opens on what needs the chair and on each workshop's figures; each figure's
   link leads to the page that acts on it, which counts the same number.
2. A deadline typed as 23:59 AoE is stored as 11:59 UTC the next day and shown back as
   23:59 AoE (in the settings and on the home).
3. Committing an assignment while bidding is open asks first.
4. Bulk "Accept as poster" on the decision board records the poster category.
5. A mail to "accepted papers without a camera-ready" is composed, previewed for one
   recipient, held, released, and delivered once.

Every chair page of the test is checked at 1,280 and 375 px: no sideways scroll on the
phone, axe-core 0 critical and 0 serious at both widths (tests/e2e/phone.py). The world is
the demo plus held decision mails (tests/e2e/chair_world.py); Celery runs in-process, mail
goes to Django's memory outbox.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Assignment, Decision
from submissions.models import Authorship, Submission, SubmissionStatus
from tests.e2e.chair_world import CHAIR_EMAIL, build_chair_world
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import watch
from tests.e2e.phone import PhoneCheck
from workshop.demo import DEMO_PASSWORD, REVIEWING
from workshop.models import MailStatus, OutgoingMail, Workshop
from workshop.outbox import outbox_sweep

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Where each figure of the home is acted on, and how that page counts it.
FIGURE_PAGES = {
    "submitted": ("board", r"^/admin/reviews/decisionboard/$"),
    "short_of_reviewers": ("board", r"^/admin/reviews/decisionboard/$"),
    "disagreements": ("board", r"^/admin/reviews/decisionboard/$"),
    "decided": ("board", r"^/admin/reviews/decisionboard/$"),
    "undecided": ("board", r"^/admin/reviews/decisionboard/$"),
    "drafts": ("changelist", r"^/admin/submissions/submission/$"),
    "withdrawn": ("changelist", r"^/admin/submissions/submission/$"),
    "flagged": ("changelist", r"^/admin/submissions/submission/$"),
    "camera_ready": ("accepted", r"^/admin/submissions/submission/$"),  # "N of <accepted>"
    "camera_ready_missing": ("changelist", r"^/admin/submissions/submission/$"),
    "invited": ("changelist", r"^/admin/reviews/invitation/$"),
    "invitations_accepted": ("changelist", r"^/admin/reviews/invitation/$"),
    "mails_held": ("changelist", r"^/admin/workshop/outgoingmail/$"),
    "members": ("members", r"^/admin/reviews/invitation/committee/\d+/$"),
    "profiles_complete": (None, r"^/admin/reviews/invitation/committee/\d+/$"),
    "bidders": (None, r"^/admin/reviews/invitation/committee/\d+/$"),
    "load_spread": (None, r"^/admin/reviews/invitation/committee/\d+/$"),
    "reviews_done": ("progress", r"^/admin/reviews/review/progress/\d+/$"),
    "reviewers_owing": (None, r"^/admin/reviews/review/progress/\d+/$"),
    "scheduled": (None, r"^/programme/[\w-]+/edit/$"),
}


def counted_on(page, how: str) -> int:
    """The number the page itself shows for its list."""
    if how == "board":
        text = page.locator("#desk-caption").inner_text()
        return int(re.search(r"of (\d+)", text).group(1))
    if how in ("changelist", "accepted"):
        return int(re.match(r"\s*(\d+)", page.locator("#changelist .paginator").inner_text())[1])
    if how == "members":
        return page.locator("#content table").first.locator("tbody tr").count()
    if how == "progress":
        text = page.locator("#content").inner_text()
        return int(re.search(r"(\d+) of \d+ reviews submitted", text).group(1))
    raise ValueError(how)


def test_a_new_chair_on_the_demo(live_server, browser):
    world = build_chair_world()
    base = live_server.url
    bidding = Workshop.objects.get(slug=REVIEWING.slug)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    broken, _errors = watch(page)
    errors: list[str] = []  # JavaScript and CSP errors, with the page they came from
    page.on(
        "console",
        lambda m: m.type == "error" and errors.append(f"{m.text} (on {page.url}, {m.location})"),
    )
    page.on("pageerror", lambda exc: errors.append(f"{exc} (on {page.url})"))
    checks = PhoneCheck("new-chair", broken, errors)
    visited: dict[str, str] = {}  # path -> the first full address of it the chair opened

    def opened() -> None:
        parts = urlsplit(page.url)
        if parts.path.startswith(("/admin/", "/programme/")):
            visited.setdefault(parts.path, page.url.removeprefix(base))

    page.on("load", lambda _: opened())
    try:
        # --- Sign in; the chair tools open on what needs the chair. ---------------------
        page.goto(f"{base}/accounts/login/?next=/admin/")
        main = page.get_by_role("main")
        main.get_by_label(re.compile("^E-?mail", re.I)).fill(CHAIR_EMAIL)
        main.get_by_label(re.compile("^Password", re.I)).fill(DEMO_PASSWORD)
        main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        expect(page).to_have_url(f"{base}/admin/")
        needs = page.locator(".chair-needs")
        expect(needs.get_by_role("heading", name="What needs you now")).to_be_visible()
        held = OutgoingMail.objects.filter(workshop=world.in_review, status=MailStatus.HELD)
        expect(needs).to_contain_text(
            f"{world.in_review.short_name}: {held.count()} mails held for release"
        )

        # --- 1. Every figure of the workshop in review leads to its page, same number. ----
        panel = page.locator(f'.chair-panel[data-workshop="{world.in_review.slug}"]')
        figures = {}
        for link in panel.locator("a.chair-figure[data-figure]").all():
            name = link.get_attribute("data-figure")
            text = link.inner_text()
            if FIGURE_PAGES.get(name, ("",))[0] == "accepted":
                number = int(re.search(r"of (\d+)", text)[1])  # the papers it counts among
            else:
                number = int(found[1]) if (found := re.match(r"\s*(\d+)", text)) else None
            figures[name] = (number, link.get_attribute("href"))
        assert set(figures) == set(FIGURE_PAGES), set(figures) ^ set(FIGURE_PAGES)
        page.screenshot(path=ARTIFACTS / "new-chair-1-home.png", full_page=True)
        for name, (number, href) in figures.items():
            how, path = FIGURE_PAGES[name]
            response = page.goto(f"{base}{href}")
            assert response is not None and response.status == 200, (name, href)
            assert re.match(path, urlsplit(page.url).path), (name, page.url)
            if how:
                assert counted_on(page, how) == number, (name, href, number)

        # --- 2. A deadline typed as 23:59 AoE. --------------------------------------------
        # A day between now and the supplementary deadline of the workshop in its call.
        day = (timezone.now() + dt.timedelta(days=9)).date()
        page.goto(f"{base}/admin/")
        page.locator(f'.chair-panel[data-workshop="{world.main.slug}"]').get_by_role(
            "link", name="Settings and deadlines"
        ).click()
        expect(page).to_have_url(f"{base}/admin/workshop/workshop/{world.main.pk}/change/")
        deadline = page.get_by_label("Paper deadline (AoE):")
        deadline.fill(f"{day.isoformat()}T23:59")
        utc = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(11, 59), tzinfo=dt.UTC)
        preview = page.locator("#milestone-paper_deadline")
        expect(preview).to_contain_text(f"= {utc:%a} {utc.day} {utc:%b %Y}, 11:59 UTC")
        page.get_by_role("button", name="Save and continue editing").click()
        expect(page.locator("ul.messagelist")).to_contain_text("was changed successfully")
        world.main.refresh_from_db()
        assert world.main.paper_deadline == utc
        expect(page.get_by_label("Paper deadline (AoE):")).to_have_value(f"{day}T23:59")
        page.goto(f"{base}/admin/")
        expect(
            page.locator(f'.chair-panel[data-workshop="{world.main.slug}"] .chair-panel-next')
        ).to_contain_text(f"Paper deadline, {day:%a} {day.day} {day:%b %Y}, 23:59 AoE")

        # --- 3. An assignment committed while bidding is open asks first. ----------------
        page.locator(f'.chair-panel[data-workshop="{bidding.slug}"]').get_by_role(
            "link", name="Run the assignment"
        ).click()
        expect(page.get_by_label("Workshop:")).to_have_value(str(bidding.pk))
        page.get_by_label("Best total fit (exact optimum)").check()
        page.get_by_role("button", name="Run").click()
        expect(page).to_have_url(re.compile(r"/admin/reviews/matchingrun/\d+/change/$"))
        expect(page.locator(".run-bidding-open")).to_contain_text("Bidding is still open.")
        confirm = page.get_by_label(re.compile(r"^Bidding closes .* AoE; commit anyway$"))
        expect(confirm).not_to_be_checked()
        commit = page.get_by_role("button", name="Commit this assignment and notify reviewers")
        commit.click()  # not confirmed: the form is not sent, the page asks
        assert confirm.evaluate("box => box.validity.valueMissing")
        assert not Assignment.objects.filter(submission__workshop=bidding).exists()
        page.screenshot(path=ARTIFACTS / "new-chair-3-asks.png", full_page=True)
        confirm.check()
        commit.click()
        expect(page.locator("ul.messagelist")).to_contain_text("Assignment committed")
        assert Assignment.objects.filter(submission__workshop=bidding).exists()

        # --- 4. Bulk "Accept as poster" records the poster category. ----------------------
        undecided = (
            Submission.objects.filter(
                workshop=world.in_review, status=SubmissionStatus.SUBMITTED, decision__isnull=True
            )
            .order_by("number")
            .first()
        )
        page.goto(f"{base}/admin/")
        page.locator(f'.chair-panel[data-workshop="{world.in_review.slug}"]').locator(
            '[data-figure="undecided"]'
        ).click()
        page.get_by_label(f"Tick #{undecided.number}", exact=True).check()
        page.get_by_role("button", name="Accept as poster").click()
        expect(page.locator("ul.messagelist")).to_contain_text(f"#{undecided.number}")
        decision = Decision.objects.select_related("category").get(submission=undecided)
        assert decision.category.name == "Accept (poster)"

        # --- 5. A mail to the accepted papers without a camera-ready. --------------------
        decided = world.decided
        owing = Submission.objects.filter(
            workshop=decided, status=SubmissionStatus.ACCEPTED, camera_ready__isnull=True
        )
        people = sorted(set(Authorship.objects.filter(submission__in=owing)
                            .values_list("email", flat=True)))  # fmt: skip
        authorships = Authorship.objects.filter(submission__in=owing).count()
        assert owing.exists() and people
        page.goto(f"{base}{reverse('admin:reviews_decisionboard_changelist')}"
                  f"?workshop={decided.pk}&q=decision:accept+camera:no")  # fmt: skip
        expect(page.locator("#desk-caption")).to_contain_text(f"of {owing.count()} matching")
        page.get_by_role("link", name="Mail the authors of these papers").click()
        expect(page.get_by_label("Papers (the desk's search)")).to_have_value(
            "decision:accept camera:no"
        )
        page.get_by_label("Send to").select_option("authors")
        page.get_by_label("Subject").fill("[{workshop}] Camera-ready of #{paper_number}")
        page.get_by_label("Text", exact=True).fill(
            "Dear {name},\n\nplease upload the final version of “{paper_title}” by "
            "{deadline}:\n{camera_ready_url}"
        )
        page.get_by_role("button", name="Preview").click()
        expect(page.locator(".mail-count")).to_contain_text(
            f"{authorships} mail{'s' if authorships > 1 else ''} to {len(people)}"
        )
        choice = page.get_by_label("Preview the mail of")
        first = choice.locator("option").first.inner_text()
        choice.select_option(index=0)
        page.get_by_role("button", name="Preview").click()
        shown = page.get_by_role("region", name="Preview")
        expect(shown).to_contain_text(f"[{decided.short_name}] Camera-ready of #")
        expect(shown).to_contain_text("Dear ")
        expect(shown).to_contain_text("/camera-ready/")
        assert any(person in shown.inner_text() for person in people), first
        # The preview answers a POST, which a revisit cannot see: checked here, both widths.
        checks.check(page, "mail-preview")
        page.set_viewport_size({"width": 375, "height": 900})
        checks.check(page, "mail-preview")
        page.set_viewport_size({"width": 1280, "height": 900})

        mail.outbox.clear()
        page.get_by_role("button", name="Hold for release").click()
        expect(page.locator(".messagelist")).to_contain_text(f"{authorships} mail")
        chair_mails = OutgoingMail.objects.filter(workshop=decided, kind="chair_mail")
        assert set(chair_mails.values_list("status", flat=True)) == {MailStatus.HELD}
        assert chair_mails.count() == authorships and mail.outbox == []
        page.screenshot(path=ARTIFACTS / "new-chair-5-held.png", full_page=True)

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name=re.compile(rf"^Release {authorships} mail")).click()
        expect(page.locator(".messagelist")).to_contain_text("released for delivery")
        assert set(chair_mails.values_list("status", flat=True)) == {MailStatus.SENT}
        delivered = sorted(m.to[0] for m in mail.outbox)
        assert len(delivered) == authorships and sorted(set(delivered)) == people
        outbox_sweep()  # a sweep after delivery sends nothing again
        assert len(mail.outbox) == authorships

        # --- Every chair page the test opened, at both widths. ---------------------------
        checks.sweep(page, base, visited)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "FAILED-new-chair.png", full_page=True)
        raise
    finally:
        context.close()
    problems = checks.report()
    assert not problems, problems
    assert not broken and not errors, (broken, errors)
