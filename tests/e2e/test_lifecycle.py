"""The whole life of one paper, in real browsers, with a real Celery worker and a real SMTP
server: the chair configures the workshop, an author submits, reviewers bid, the chair runs
and commits the assignment, two reviewers review and discuss, the chair decides, releases the
reviews and the decision mail, the author responds and uploads the camera-ready version, and
the paper appears on the public accepted-papers page; finally the chair builds the
proceedings.

The lifecycle test is marked `services`: Celery is not eager there. Every task (mail
delivery, the deep PDF check, the matching run, the proceedings) goes through Redis to a
`celery worker` subprocess using the test database, and every mail reaches an aiosmtpd
server on localhost. Each person has a browser context of their own and signs in through
the login form. Phase changes are DB updates of the milestones between steps (they stand
for time passing).

The second test pins that the decision board's save button and bulk actions belong to a
form (nested forms once broke both).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from email.header import decode_header, make_header
from email.message import Message

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from reviews.models import Assignment, AuthorResponse, Bid, Comment, Decision, Review, RunStatus
from reviews.services.committee import profile_update
from reviews.services.reviewing import default_form_create
from submissions.models import CheckStatus, Submission, SubmissionStatus, SubmissionType
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import watch as _watch
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from tests.pdfs import make_pdf
from tests.smtp import Inbox, smtp_server
from tests.submissions.conftest import new_submission
from tests.workers import celery_worker, require_services, wait_for
from workshop.demo import bidding_dates, reviewing_dates
from workshop.models import MailStatus, OutgoingMail, Role, User, Workshop
from workshop.outbox import message_id_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = dt.timedelta(days=1)
TITLE = "Contamination audits for open benchmark suites"
ABSTRACT = "We audit $n$ open benchmark suites for *contamination* and report leaks."
NEW_CONTACT = "programme@osllm.example.org"
AUTHOR = {"name": "Alice Author", "email": "alice@alice-uni.edu", "affiliation": "Alice Uni"}
# Two eager reviewers and one who does not want the paper: the assignment is predictable.
REVIEWERS = {
    "grace": {"name": "Grace Hopper", "email": "grace@hopper-lab.org"},
    "edsger": {"name": "Edsger Dijkstra", "email": "edsger@dijkstra-lab.nl"},
    "barbara": {"name": "Barbara Liskov", "email": "barbara@liskov-lab.net"},
}
OWN_PAPERS = (
    "Auditing open benchmark suites for contamination and train-test overlap.\n"
    "Leaked evaluation data inflates open leaderboards: a measurement study.\n"
)
RESPONSE = "Thank you, Reviewer A. We added the $n$-gram threshold study to the appendix."
MAIL_TIMEOUT = 45


# --- Helpers ---------------------------------------------------------------------------------


class Person:
    """One person at one browser: a context of their own, signed in through the login form."""

    def __init__(self, stack: ExitStack, browser, base: str, who: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        stack.callback(self.context.close)
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.base = base
        self.who = who
        self.broken, self.errors = _watch(self.page)
        self.main = self.page.get_by_role("main")
        self.nav = self.page.get_by_role("navigation", name="Main")
        self.messages = self.page.locator("ul.messages")
        self.admin_messages = self.page.locator("ul.messagelist")
        self.known_errors: list[re.Pattern] = []  # symptoms of a bug reported elsewhere

    def sign_in(self, email: str) -> None:
        self.page.goto(self.base)
        self.nav.get_by_role("link", name="Sign in").click()
        expect(self.page).to_have_url(re.compile(r"/accounts/login/"))
        self.main.get_by_label(re.compile("^E-?mail", re.I)).fill(email)
        self.main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
        self.main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
        expect(self.page).to_have_url(f"{self.base}/")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=ARTIFACTS / f"lifecycle-{name}.png", full_page=True)

    def unexpected_errors(self) -> list[str]:
        # Submitting right after typing aborts the autosave it triggered; htmx logs that abort
        # (harmless: the submitted form carries every answer).
        known = [re.compile(r"htmx:(afterRequest|sendAbort), "), *self.known_errors]
        return [e for e in self.errors if not any(k.match(e) for k in known)]


def _subject(msg: Message) -> str:
    """The decoded, unfolded subject (long subjects arrive folded over two lines)."""
    return re.sub(r"\r?\n(?=[ \t])", "", str(make_header(decode_header(msg["Subject"] or ""))))


def _text(msg: Message) -> str:
    part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), msg)
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _received(inbox: Inbox, to: str, subject: str) -> list[Message]:
    return [m for m in list(inbox.messages) if to in m["To"] and subject in _subject(m)]


def _await_mail(inbox: Inbox, to: str, subject: str) -> Message:
    """The one message to `to` whose subject contains `subject`, once it has arrived."""
    arrived = wait_for(lambda: _received(inbox, to, subject), timeout=MAIL_TIMEOUT)
    assert arrived, (
        f"no mail to {to} about {subject!r}; received: "
        f"{[(m['To'], _subject(m)) for m in inbox.messages]}; outbox: "
        f"{list(OutgoingMail.objects.values_list('to', 'subject', 'status', 'last_error'))}"
    )
    found = _received(inbox, to, subject)
    assert len(found) == 1, [(m["To"], _subject(m)) for m in found]
    return found[0]


def _link(msg: Message, base: str, path: str) -> str:
    """The link to `path` (a regex) in a mail, pointed at the live server instead of SITE_URL."""
    body = _text(msg)
    match = re.search(rf"{re.escape(settings.SITE_URL)}({path})", body)
    assert match, body
    return f"{base}{match.group(1)}"


class Clock:
    """Wall time per step, printed at the end."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()
        self.steps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.steps.append((name, now - self.last))
        self.last = now

    def report(self) -> str:
        lines = [f"  {name:<34} {seconds:6.1f} s" for name, seconds in self.steps]
        lines.append(f"  {'total':<34} {time.monotonic() - self.start:6.1f} s")
        return "\n".join(lines)


def _world() -> dict:
    """The workshop with its call open, its committee (profiles filled) and the author."""
    w = WorkshopFactory(
        name="Open-Source LLM Workshop",
        short_name="OSLLM",
        slug="osllm",
        reviews_per_paper=2,
        contact_email="chairs@example.org",
    )
    TopicFactory(workshop=w, name="Evaluation", description="Benchmarks and methodology.")
    TopicFactory(workshop=w, name="Data", description="Open datasets.")
    SubmissionType.objects.create(workshop=w, name="Full paper", page_limit=8)
    SubmissionType.objects.create(workshop=w, name="Short paper", page_limit=4)
    default_form_create(w)
    chair = make_chair(w, name="Ada Chair", email="ada@chairs.example.com")
    author = UserFactory(**AUTHOR)
    reviewers = {}
    for key, person in REVIEWERS.items():
        user = UserFactory(**person, affiliation=f"{person['name'].split()[1]} Lab")
        MembershipFactory(workshop=w, user=user, role=Role.REVIEWER)
        level = "none" if key == "barbara" else "expert"
        text = OWN_PAPERS if key != "barbara" else "Abstract data types.\n" * 8
        profile_update(
            workshop=w,
            user=user,
            expertise_text=text,
            topic_levels={t.pk: level for t in w.topics.all()},
        )
        reviewers[key] = user
    return {"workshop": w, "chair": chair, "author": author, "reviewers": reviewers}


def _move_milestones(workshop: Workshop, **dates) -> None:
    Workshop.objects.filter(pk=workshop.pk).update(**dates)
    workshop.refresh_from_db()


# --- The test --------------------------------------------------------------------------------


@pytest.mark.services
def test_a_paper_from_the_call_to_the_proceedings(live_server, browser, artifacts_dir, tmp_path):
    require_services()
    from workshop.celery import app as celery_app

    celery_app.control.purge()  # no stale task of an earlier run may reach our worker
    base = live_server.url
    clock = Clock()
    with ExitStack() as stack:
        inbox = stack.enter_context(smtp_server())
        stack.enter_context(
            celery_worker(inbox.url, extra_env={"MEDIA_ROOT": str(settings.MEDIA_ROOT)})
        )
        world = _world()
        people: dict[str, Person] = {}

        def person(who: str) -> Person:
            if who not in people:
                people[who] = Person(stack, browser, base, who)
            return people[who]

        try:
            _story(world, person, inbox, base, tmp_path, clock)
        except BaseException:
            for who, p in people.items():
                p.page.screenshot(
                    path=artifacts_dir / f"FAILED-lifecycle-{who}.png", full_page=True
                )
            raise

        for who, p in people.items():
            assert not p.broken, (who, p.broken)
            assert not p.unexpected_errors(), (who, p.errors)

        # Every mail row has been delivered (or has failed for good) before the count.
        settled = wait_for(
            lambda: (
                not OutgoingMail.objects.filter(
                    status__in=[MailStatus.QUEUED, MailStatus.SENDING]
                ).exists()
            ),
            timeout=MAIL_TIMEOUT,
        )
        time.sleep(1)  # a message in flight after its row was marked sent
        figures = _mail_figures(inbox)
        clock.lap("mail settled")
    print("\nLifecycle timing:\n" + clock.report())
    print("Mail figures: " + ", ".join(f"{k}={v}" for k, v in figures.items() if k != "detail"))
    for line in figures["detail"]:
        print("  " + line)
    assert settled, "the outbox still has queued or sending rows"
    assert figures["duplicates"] == 0, figures["detail"]
    assert figures["lost"] == 0, figures["detail"]
    decision_mails = [m["To"] for m in inbox.messages if "Decision on paper" in _subject(m)]
    assert decision_mails == [AUTHOR["email"]], decision_mails


def _decide(chair: Person, board_row, number: int, category: str) -> None:
    """Choose `category` for paper #`number` in the decision board's list and save it."""
    board_row.get_by_label(f"Decision on #{number}").select_option(label=category)
    chair.shot("6-chair-decision-board")
    save = chair.page.get_by_role("button", name="Save the decisions chosen in the list")
    assert save.evaluate("button => button.form !== null"), "the save button has no form"
    save.click()
    expect(chair.admin_messages).to_contain_text("1 paper changed: #")


def _mail_figures(inbox: Inbox) -> dict:
    received = list(inbox.messages)
    rows = list(OutgoingMail.objects.order_by("created_at", "pk"))
    sent = [r for r in rows if r.status == MailStatus.SENT]
    pairs = Counter((m["To"], _subject(m)) for m in received)
    duplicates = sum(n - 1 for n in pairs.values() if n > 1)
    ids = Counter(m["Message-ID"] for m in received)
    lost_sent = [r for r in sent if ids[message_id_for(r)] == 0]
    not_sent = [r for r in rows if r.status != MailStatus.SENT]
    detail = [f"{n}x {to} | {subject}" for (to, subject), n in sorted(pairs.items())]
    detail += [f"LOST (marked sent, never received): {r.to} | {r.subject}" for r in lost_sent]
    detail += [f"NOT SENT ({r.status}): {r.to} | {r.subject} {r.last_error}" for r in not_sent]
    return {
        "received": len(received),
        "rows": len(rows),
        "rows_sent": len(sent),
        "duplicates": duplicates,
        "lost": len(lost_sent) + len(not_sent),
        "detail": detail,
    }


def _story(
    world: dict, person: Callable[[str], Person], inbox: Inbox, base: str, tmp_path, clock: Clock
) -> None:
    w: Workshop = world["workshop"]
    chair_user: User = world["chair"]
    author_user: User = world["author"]
    reviewers: dict[str, User] = world["reviewers"]

    # --- 1. The chair configures the workshop in the admin. ----------------------------------
    chair = person("chair")
    chair.sign_in(chair_user.email)
    chair.nav.get_by_role("link", name="Chair tools").click()
    expect(chair.page).to_have_url(f"{base}/admin/")
    # The "Workshops" app heading is a link too: take the model's row.
    chair.page.locator("#workshop-workshop").get_by_role("link", name="Workshops").click()
    expect(chair.page).to_have_url(f"{base}/admin/workshop/workshop/")
    chair.page.locator("#result_list").get_by_role("link", name="OSLLM").click()
    expect(chair.page).to_have_url(f"{base}/admin/workshop/workshop/{w.pk}/change/")
    chair.page.get_by_label("Contact email:").fill(NEW_CONTACT)
    chair.page.get_by_label("Page limit:").fill("9")
    chair.shot("1-chair-workshop")
    chair.page.get_by_role("button", name="Save", exact=True).click()
    expect(chair.admin_messages).to_contain_text("was changed successfully")
    w.refresh_from_db()
    assert (w.contact_email, w.page_limit, w.reviews_per_paper) == (NEW_CONTACT, 9, 2)
    clock.lap("1 chair configures")

    # --- 2. The author submits a paper with a PDF; the receipt arrives. ----------------------
    author = person("author")
    author.sign_in(author_user.email)
    author.nav.get_by_role("link", name="My submissions").click()
    author.main.get_by_role("link", name=w.name).click()
    expect(author.page).to_have_url(f"{base}/submissions/new/{w.slug}/")
    main = author.main
    main.get_by_label("Title").fill(TITLE)
    main.get_by_label("Abstract").fill(ABSTRACT)
    main.get_by_label("TL;DR", exact=False).fill("Open benchmarks leak into training data.")
    main.get_by_label("Keywords").fill("contamination, benchmarks")
    main.get_by_label("Submission type").select_option(label="Full paper (≤ 8 pages)")
    main.get_by_label("Primary topic").select_option(label="Evaluation")
    main.get_by_role("radio", name="Editing help (grammar, wording)").check()
    main.get_by_label("How were LLMs used?").fill("Grammar suggestions on the introduction.")
    main.get_by_role("button", name="Save draft").click()
    expect(author.page).to_have_url(re.compile(rf"^{re.escape(base)}/submissions/\d+/$"))
    paper = Submission.objects.get(workshop=w, title=TITLE)
    detail_url = f"{base}/submissions/{paper.pk}/"
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(make_pdf(pages=3))
    main.get_by_label("Upload the PDF").set_input_files(pdf)
    main.get_by_role("button", name="Upload PDF").click()
    expect(author.messages).to_contain_text("3 pages")
    main.get_by_role("button", name="Submit the paper for review").click()
    expect(author.messages).to_contain_text("Submitted. A receipt is on its way")
    expect(main.locator("hgroup .badge")).to_have_text("Submitted")

    receipt = _await_mail(inbox, AUTHOR["email"], f"[OSLLM] #{paper.number} submitted: {TITLE}")
    body = _text(receipt)
    assert "Status:    Submitted" in body and "PDF:       3 pages" in body, body
    assert NEW_CONTACT in body and receipt["Reply-To"] == NEW_CONTACT, (body, receipt["Reply-To"])
    # The deep check ran on the worker; the receipt's link (rewritten) shows it passed.
    paper.refresh_from_db()
    assert wait_for(
        lambda: Submission.objects.get(pk=paper.pk).paper.check_status == CheckStatus.DONE,
        timeout=MAIL_TIMEOUT,
    ), Submission.objects.get(pk=paper.pk).paper.check_status
    author.page.goto(_link(receipt, base, rf"/submissions/{paper.pk}/"))
    expect(author.page).to_have_url(detail_url)
    expect(main.get_by_role("region", name="Paper PDF")).to_contain_text("automatic check: passed")
    author.shot("2-author-submitted")
    clock.lap("2 author submits")

    # --- 3. Bidding: two reviewers are eager, the third is not willing. ----------------------
    _move_milestones(w, **bidding_dates(timezone.now()))
    for key, label in (("grace", "Eager"), ("edsger", "Eager"), ("barbara", "Not willing")):
        r = person(key)
        r.sign_in(reviewers[key].email)
        r.nav.get_by_role("link", name="Reviewing").click()
        expect(r.page).to_have_url(f"{base}/reviewing/")
        expect(r.main).to_contain_text("is complete")  # the profile made in the setup
        r.main.get_by_role("button", name="Bid on papers").click()
        expect(r.page).to_have_url(f"{base}/reviewing/{w.slug}/bids/")
        card = r.main.locator("article.paper").filter(has_text=TITLE)
        expect(card).to_have_count(1)
        assert "Alice" not in r.page.content()  # double-blind: no author names
        card.get_by_role("button", name=label, exact=True).click()
        expect(card.get_by_role("button", name=label, exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(card.locator(".bid-state")).to_have_text("Saved")
        if key == "grace":
            r.shot("3-reviewer-bid")
    bids = dict(Bid.objects.filter(submission=paper).values_list("user__email", "value"))
    assert bids == {
        REVIEWERS["grace"]["email"]: "eager",
        REVIEWERS["edsger"]["email"]: "eager",
        REVIEWERS["barbara"]["email"]: "not_willing",
    }, bids
    clock.lap("3 bidding")

    # --- 4. Reviewing: the chair runs the assignment on the worker and commits it. -----------
    _move_milestones(w, **reviewing_dates(timezone.now()))
    chair.page.goto(f"{base}/admin/")
    chair.page.locator("#reviews-matchingrun").get_by_role("link", name="Assignment runs").click()
    chair.page.get_by_role("link", name=re.compile("^Add assignment run", re.I)).click()
    expect(chair.page).to_have_url(f"{base}/admin/reviews/matchingrun/add/")
    expect(chair.page.get_by_label("Reviews per paper:")).to_have_value("2")
    chair.page.get_by_label("Best total fit (exact optimum)").check()
    chair.page.get_by_role("button", name="Run").click()
    expect(chair.page).to_have_url(re.compile(r"/admin/reviews/matchingrun/\d+/change/$"))
    # The page polls with htmx until the worker is done, then HX-Refresh shows the preview.
    expect(chair.page.get_by_role("heading", name="Worst-served papers")).to_be_visible(
        timeout=60_000
    )
    expect(chair.page.locator("#run-progress")).to_contain_text("Ready for review")
    chair.shot("4-chair-assignment-preview")
    chair.page.get_by_role("button", name="Commit this assignment and notify reviewers").click()
    expect(chair.admin_messages).to_contain_text("Assignment committed")
    run_status = paper.workshop.matching_runs.get().status
    assert run_status == RunStatus.COMMITTED, run_status
    assigned = set(
        Assignment.objects.filter(submission=paper).values_list("reviewer__email", flat=True)
    )
    assert assigned == {REVIEWERS["grace"]["email"], REVIEWERS["edsger"]["email"]}, assigned
    notices = {
        key: _await_mail(inbox, REVIEWERS[key]["email"], "[OSLLM] Your papers to review")
        for key in ("grace", "edsger")
    }
    for notice in notices.values():
        assert f"#{paper.number}  {TITLE}" in _text(notice), _text(notice)
        assert "Alice" not in _text(notice)
    clock.lap("4 assignment")

    # --- 5. Two reviewers review (from the link in their notice); one comments. -------------
    paper_url = f"{base}/reviewing/{w.slug}/papers/{paper.number}/"
    pseudonyms = {}
    for key, score, confidence in (("grace", "4 — Accept", "3 — Fairly confident"),
                                   ("edsger", "5 — Strong accept", "4 — Confident")):  # fmt: skip
        r = person(key)
        r.page.goto(_link(notices[key], base, r"/reviewing/"))
        row = r.main.locator("tbody tr").filter(has_text=TITLE)
        expect(row).to_contain_text("Not started")
        row.get_by_role("link", name=f"#{paper.number} {TITLE}").click()
        expect(r.page).to_have_url(paper_url)
        r.page.wait_for_function("() => window.reviewEditor !== undefined")  # reached by a click
        pseudonyms[key] = (
            r.main.locator("hgroup p strong").first.inner_text().removeprefix("Reviewer ")
        )
        name = REVIEWERS[key]["name"]
        r.main.get_by_role("textbox", name=re.compile("^Summary")).fill(
            f"The paper audits open benchmark suites ({name.split()[0].upper()}SUMMARY)."
        )
        r.main.get_by_role("textbox", name=re.compile("^Strengths")).fill("Twelve suites.")
        r.main.get_by_role("textbox", name=re.compile("^Weaknesses")).fill("English only.")
        r.main.get_by_role("textbox", name=re.compile("^Confidential comment")).fill(
            "ZQCONFIDENTIAL for the chairs only."
        )
        r.main.get_by_role("group", name=re.compile("^Overall recommendation")).get_by_role(
            "radio", name=score
        ).check()
        r.main.get_by_role("group", name=re.compile("^Confidence")).get_by_role(
            "radio", name=confidence
        ).check()
        r.main.get_by_role("button", name="Submit the review").click()
        expect(r.page).to_have_url(paper_url)
        expect(r.messages).to_contain_text("Review submitted.")
        expect(r.main.get_by_role("heading", name=re.compile("^Your review"))).to_contain_text(
            "Submitted (version 1)"
        )
    assert sorted(pseudonyms.values()) == ["A", "B"], pseudonyms
    assert Review.objects.filter(assignment__submission=paper, status="submitted").count() == 2
    edsger = person("edsger")
    other = pseudonyms["grace"]
    expect(edsger.main.locator(f"article.review#review-{other}")).to_contain_text("GRACESUMMARY")
    comment = f"I agree with Reviewer {other}; the threshold needs a justification."
    edsger.main.get_by_role("textbox", name=re.compile("^Your comment")).fill(comment)
    edsger.main.get_by_role("button", name="Post comment").click()
    expect(edsger.messages).to_contain_text("Comment posted")
    posted = edsger.main.locator("article.comment").filter(has_text="needs a justification")
    expect(posted.locator("header strong")).to_have_text(f"Reviewer {pseudonyms['edsger']}")
    assert Comment.objects.get(submission=paper).signature == f"Reviewer {pseudonyms['edsger']}"
    assert "Hopper" not in edsger.page.content()  # the other reviewer only by pseudonym
    edsger.shot("5-reviewer-discussion")
    discussion = f"the discussion of #{paper.number}"
    _await_mail(inbox, REVIEWERS["grace"]["email"], discussion)
    _await_mail(inbox, chair_user.email, discussion)
    clock.lap("5 reviews and discussion")

    # --- 6. Decision time: decide, release the reviews, compose and release the mail. --------
    now = timezone.now()
    _move_milestones(
        w,
        **{
            **reviewing_dates(now),
            "review_deadline": now - DAY,
            "rebuttal_opens": now - DAY / 2,
            "rebuttal_closes": now + 3 * DAY,
            "discussion_ends": now + 5 * DAY,
            "notification_date": now + 7 * DAY,
            "camera_ready_deadline": now + 20 * DAY,
        },
    )
    chair.page.goto(f"{base}/admin/")
    chair.page.locator("#reviews-decisionboard").get_by_role("link", name="Decision board").click()
    expect(chair.page).to_have_url(f"{base}/admin/reviews/decisionboard/")
    board_row = chair.page.locator("#result_list tbody tr").filter(has_text=TITLE)
    expect(board_row).to_have_count(1)
    expect(board_row.locator("td.field-reviews")).to_have_text("2/2")
    _decide(chair, board_row, paper.number, "Accept (poster)")
    decision = Decision.objects.select_related("category").get(submission=paper)
    assert decision.category.name == "Accept (poster)", decision.category.name
    expect(board_row.get_by_label(f"Decision on #{paper.number}")).to_have_value(
        str(decision.category_id)
    )
    chair.page.get_by_role("link", name="Decision mails & release · OSLLM").click()
    expect(chair.page).to_have_url(f"{base}/admin/reviews/decisionboard/mails/{w.pk}/")
    chair.page.get_by_role("button", name=re.compile("^Release the reviews to authors")).click()
    expect(chair.admin_messages).to_contain_text("Reviews are now visible to authors.")
    chair.page.get_by_role("button", name="Compose decision mails").click()
    expect(chair.admin_messages).to_contain_text("1 decision mail composed and held.")
    preview = chair.page.locator("#content pre")
    expect(preview).to_contain_text("Accept (poster)")
    expect(preview).to_contain_text("--- Reviewer A ---")
    expect(preview).not_to_contain_text("ZQCONFIDENTIAL")
    chair.shot("6b-chair-decision-mails")
    assert not _received(inbox, AUTHOR["email"], "Decision")  # held: nothing sent yet
    dialogs: list[str] = []
    chair.page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    chair.page.get_by_role(
        "button", name="Release 1 decision mail and show decisions to authors"
    ).click()
    expect(chair.admin_messages).to_contain_text("1 decision mail released")
    assert dialogs == ["Send 1 decision mail now? This cannot be undone."]
    decision_subject = f"[OSLLM] Decision on paper #{paper.number}: Accept (poster)"
    decision_mail = _await_mail(inbox, AUTHOR["email"], decision_subject)
    # Composing again after the release holds nothing: a decision is mailed once.
    chair.page.get_by_role("button", name="Compose decision mails").click()
    expect(chair.admin_messages).to_contain_text("0 decision mails composed and held.")
    expect(chair.page.locator("#content")).to_contain_text("1 decision mail sent so far")
    expect(chair.page.get_by_role("button", name=re.compile("^Release 0 decision"))).to_be_visible()
    assert "ZQCONFIDENTIAL" not in _text(decision_mail)
    for reviewer in REVIEWERS.values():
        assert reviewer["name"] not in _text(decision_mail)
    clock.lap("6 decision")

    # --- 7. The author reads the reviews and responds; the reviewers are told. --------------
    author.page.goto(detail_url)
    author.main.get_by_role("link", name=re.compile("^Read them and respond")).click()
    expect(author.page).to_have_url(f"{base}/submissions/{paper.pk}/reviews/")
    expect(
        author.main.get_by_role("heading", level=2, name="Decision: Accept (poster)")
    ).to_be_visible()
    reviews = author.main.locator("article.review")
    expect(reviews).to_have_count(2)
    expect(reviews.locator("header")).to_have_text(["Reviewer A", "Reviewer B"])
    content = author.page.content()
    for reviewer in REVIEWERS.values():
        for part in reviewer["name"].split():
            assert part not in content, part
    assert "ZQCONFIDENTIAL" not in content
    expect(author.main).to_contain_text("GRACESUMMARY")
    expect(author.main).to_contain_text("The author response window is open until")
    first = reviews.filter(has=author.page.get_by_text("Reviewer A", exact=True))
    first.locator("summary").click()
    box = first.get_by_role("textbox", name=re.compile("^Response"))
    box.fill(RESPONSE)
    expect(first.locator(".word-count")).to_have_text(f"{len(RESPONSE.split())} of 600 words")
    author.shot("7-author-response")
    first.get_by_role("button", name="Save the response").click()
    expect(author.messages).to_contain_text("Response saved; the reviewers have been told.")
    expect(first.locator("footer")).to_contain_text("Your response")
    expect(first.locator("footer")).to_contain_text("added the")
    assert AuthorResponse.objects.get(submission=paper).text == RESPONSE
    responded = f"The authors of #{paper.number} responded"
    response_notices = {
        key: _await_mail(inbox, REVIEWERS[key]["email"], responded) for key in ("grace", "edsger")
    }
    grace = person("grace")
    grace.page.goto(_link(response_notices["grace"], base, rf"/reviewing/{w.slug}/papers/\d+/"))
    expect(grace.page).to_have_url(paper_url)
    responses = grace.main.get_by_role("region", name="Author response")
    expect(responses).to_contain_text("threshold study to the appendix")
    clock.lap("7 reviews and response")

    # --- 8. The camera-ready version, with a licence. ---------------------------------------
    author.page.goto(detail_url)
    author.main.get_by_role("link", name="Prepare the camera-ready version →").click()
    expect(author.page).to_have_url(f"{base}/submissions/{paper.pk}/camera-ready/")
    final = tmp_path / "final.pdf"
    final.write_bytes(make_pdf(pages=4, text="Final version. Alice Author, Alice Uni."))
    author.main.get_by_label("Upload the camera-ready PDF").set_input_files(final)
    author.main.get_by_role("button", name="Upload", exact=True).click()
    expect(author.messages).to_contain_text("Camera-ready PDF uploaded (4 pages).")
    author.main.get_by_role("radio", name="CC BY 4.0").check()
    author.main.get_by_role("checkbox", name=re.compile("^I confirm that all authors")).check()
    author.main.get_by_role("button", name="Save final details").click()
    expect(author.messages).to_contain_text("Final details and licence saved.")
    expect(author.main.locator("ol.checklist li")).to_have_text(
        [re.compile("^✔ Upload the final PDF"), re.compile("^✔ Check the title")]
    )
    author.shot("8-author-camera-ready")
    paper.refresh_from_db()
    assert paper.status == SubmissionStatus.ACCEPTED and paper.licence == "CC-BY-4.0"
    assert paper.camera_ready is not None and paper.camera_ready.pages == 4
    # a receipt for each change, named for what changed
    for change in ("camera-ready version uploaded", "camera-ready details saved"):
        _await_mail(inbox, AUTHOR["email"], f"[OSLLM] #{paper.number} {change}: {TITLE}")
    clock.lap("8 camera-ready")

    # --- 9. The public accepted-papers page, for anyone. ------------------------------------
    visitor = person("visitor")
    visitor.page.goto(f"{base}/submissions/accepted/{w.slug}/")
    expect(visitor.main.get_by_role("heading", level=1)).to_have_text("Accepted papers")
    entry = visitor.main.locator(f"article#paper-{paper.number}")
    expect(entry.get_by_role("heading", level=2)).to_have_text(TITLE)
    expect(entry.locator("header p")).to_contain_text("Alice Author")
    expect(entry.locator("header")).to_contain_text("CC BY 4.0")
    link = entry.get_by_role("link", name="PDF", exact=True)
    href = link.get_attribute("href")
    assert href == f"/submissions/accepted/{w.slug}/{paper.number}.pdf", href
    visitor.shot("9-public-accepted")
    response = visitor.context.request.get(f"{base}{href}")
    assert response.status == 200, response.status
    assert response.headers["content-type"] == "application/pdf", response.headers
    assert response.body() == final.read_bytes()
    clock.lap("9 public page")

    # --- 10. The chair builds the proceedings on the worker and downloads them. -------------
    chair.page.goto(f"{base}/admin/")
    chair.page.locator("#submissions-proceedingsbundle").get_by_role(
        "link", name="Proceedings bundles"
    ).click()
    chair.page.get_by_role("link", name=re.compile("^Add proceedings bundle", re.I)).click()
    chair.page.get_by_role("button", name="Build the proceedings").click()
    expect(chair.admin_messages).to_contain_text("The proceedings are being built")
    # The list refreshes itself every 2 seconds while the bundle is being built.
    download = chair.page.locator("#result_list").get_by_role("link", name="download")
    expect(download).to_be_visible(timeout=60_000)
    chair.shot("10-chair-proceedings")
    bundle = chair.context.request.get(f"{base}{download.get_attribute('href')}")
    assert bundle.status == 200, bundle.status
    with zipfile.ZipFile(io.BytesIO(bundle.body())) as archive:
        pdf_name = f"papers/{w.slug}-{paper.number}.pdf"
        assert archive.read(pdf_name) == final.read_bytes(), archive.namelist()
        (record,) = json.loads(archive.read("papers.json"))
    assert (record["title"], record["licence"], record["pdf"]) == (TITLE, "CC-BY-4.0", pdf_name)
    assert [a["name"] for a in record["authors"]] == [AUTHOR["name"]], record
    clock.lap("10 proceedings")


def test_decision_board_save_button_submits_the_choices(live_server, browser):
    """The decision board's own save button (no worker needed: nothing is mailed)."""
    world = _world()
    paper = new_submission(world["workshop"], world["author"], title=TITLE, with_pdf=False)
    Submission.objects.filter(pk=paper.pk).update(status="submitted", submitted_at=timezone.now())
    with ExitStack() as stack:
        chair = Person(stack, browser, live_server.url, "chair")
        chair.sign_in(world["chair"].email)
        chair.page.goto(f"{live_server.url}/admin/reviews/decisionboard/")
        select = chair.page.get_by_label(f"Decision on #{paper.number}")
        select.select_option(label="Accept (poster)")
        chair.page.get_by_role("button", name="Save the decisions chosen in the list").click()
        expect(chair.admin_messages).to_contain_text("1 paper changed: #", timeout=3_000)
    decision = Decision.objects.select_related("category").get(submission=paper)
    assert decision.category.name == "Accept (poster)"
