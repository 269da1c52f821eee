"""Review rounds and response rounds (issue 27, parts 2 and 3).

Runs on the world of tests/reviews/conftest.py: paper P (#1) reviewed by Reviewer A (R1,
submitted), B (R2, draft) and C (R3, not started), with its area chair; paper Q (#2). The
review deadline (round 1) is a week away. Round 2 ("Second round") is added here: reviews
due in three weeks, revised versions due in ten days. The chair sends P to it with a
"Revise and resubmit" decision category.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    Assignment,
    DecisionCategory,
    Outcome,
    PaperRound,
    ResponseRound,
    ReviewRound,
)
from reviews.reminders import planned_reminders, reminders_queue, upcoming
from reviews.search import round_q
from reviews.selectors.rounds import revision_diff
from reviews.services.decisions import decision_record
from reviews.services.rounds import (
    paper_revision_upload,
    paper_round_send,
    response_round_save,
    review_round_create,
    review_round_update,
    round_reviewers_assign,
)
from submissions.models import Submission
from tests.pdfs import make_pdf
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import Activity, OutgoingMail
from workshop.policy import can
from workshop.search import SearchContext, SearchError
from workshop.templatetags.workshop_tags import aoe

from .conftest import World

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
R1, R2, R3, AC = "R1-submitted", "R2-draft", "R3-not-started", "AC-of-P"
OLD_TEXT = "The method is evaluated on three benchmarks."
NEW_TEXT = "ZQREVISED The method is now evaluated on five benchmarks with ablations."


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def second_round(world: World) -> tuple[ReviewRound, DecisionCategory]:
    """Round 2 and its "Revise and resubmit" category, made by the chair."""
    chair = world.users["chair-A"]
    now = _now()
    rnd = review_round_create(
        workshop=world.workshop,
        chair=chair,
        name="Second round",
        review_deadline=now + 21 * DAY,
        resubmission_deadline=now + 10 * DAY,
    )
    category = DecisionCategory.objects.create(
        workshop=world.workshop, name="Revise and resubmit", outcome=Outcome.REJECT,
        revise_round=rnd, order=9,
    )  # fmt: skip
    return rnd, category


def sent_to_round_2(world: World) -> tuple[ReviewRound, PaperRound]:
    rnd, category = second_round(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = paper_round_send(submission=world.p, category=category, chair=world.users["chair-A"])
    return rnd, sent


def revised_pdf(text: str = NEW_TEXT) -> SimpleUploadedFile:
    data = make_pdf(pages=2, text=[OLD_TEXT, text])
    return SimpleUploadedFile("revised.pdf", data, "application/pdf")


def ids(world: World, query: str) -> set[int]:
    condition = round_q(query, SearchContext(frozenset({world.workshop.pk})))
    return set(
        Submission.objects.filter(workshop=world.workshop)
        .filter(condition)
        .values_list("number", flat=True)
    )


# --- rounds and the chair's configuration ---------------------------------------------------


def test_a_round_is_added_with_its_own_deadlines_and_one_activity_entry(world):
    rnd, _ = second_round(world)
    assert rnd.number == 2
    first = ReviewRound.objects.get(workshop=world.workshop, number=1)
    assert first.due() == world.workshop.review_deadline  # round 1: the workshop's deadline
    assert rnd.refused_after() == rnd.review_deadline + world.workshop.grace
    entries = Activity.objects.filter(action="round.create")
    assert entries.count() == 1 and "Second round" in entries.get().summary

    with pytest.raises(ServiceError, match="already a round"):
        review_round_create(workshop=world.workshop, chair=world.users["chair-A"],
                            name="second ROUND", review_deadline=_now())  # fmt: skip
    with pytest.raises(ServiceError, match="own review deadline"):
        review_round_create(workshop=world.workshop, chair=world.users["chair-A"], name="Three")
    with pytest.raises(ServiceError, match="cannot come before"):
        review_round_update(review_round=rnd, chair=world.users["chair-A"],
                            review_hard_deadline=rnd.review_deadline - DAY)  # fmt: skip
    with pytest.raises(NotAllowed):
        review_round_create(workshop=world.workshop, chair=world.users["chair-B"],
                            name="Not mine", review_deadline=_now())  # fmt: skip
    with pytest.raises(NotAllowed):
        review_round_create(workshop=world.workshop, chair=world.users[R1],
                            name="Not mine", review_deadline=_now())  # fmt: skip
    assert world.workshop.review_rounds.count() == 2


def test_revise_and_resubmit_is_not_a_decision(world):
    _, category = second_round(world)
    with pytest.raises(ServiceError, match="revise and resubmit"):
        decision_record(submission=world.p, category=category, chair=world.users["chair-A"])
    assert not hasattr(Submission.objects.get(pk=world.p.pk), "decision")


# --- the second round, end to end -------------------------------------------------------------


def test_the_chair_sends_a_paper_to_round_2_and_its_authors_are_told(world):
    rnd, sent = sent_to_round_2(world)
    assert sent.round == rnd and sent.previous_paper_id == world.p.paper_id
    p = Submission.objects.get(pk=world.p.pk)
    assert p.status == "submitted"  # still under review, not decided
    entry = Activity.objects.get(action="round.send")
    assert entry.authors_see and "Second round" in entry.summary
    mails = OutgoingMail.objects.filter(key__startswith="round-send:")
    assert {m.to for m in mails} == set(p.authors.values_list("email", flat=True))
    body = mails.first().body_text
    assert f"/submissions/{p.pk}/revision/" in body and "Second round" in body

    # Twice is refused, as is a decided paper.
    _, category = rnd, DecisionCategory.objects.get(revise_round=rnd)
    with pytest.raises(ServiceError, match="already in Second round"):
        paper_round_send(submission=p, category=category, chair=world.users["chair-A"])
    accept = DecisionCategory.objects.create(
        workshop=world.workshop, name="Accept", outcome=Outcome.ACCEPT
    )
    decision_record(submission=world.q, category=accept, chair=world.users["chair-A"])
    with pytest.raises(ServiceError, match="undo its decision"):
        paper_round_send(submission=world.q, category=category, chair=world.users["chair-A"])
    with pytest.raises(NotAllowed):
        paper_round_send(submission=world.q, category=category, chair=world.users[AC])


def test_the_desk_search_finds_papers_by_round(world):
    assert ids(world, "1") == {1, 2} and ids(world, "2") == set()
    sent_to_round_2(world)
    assert ids(world, "2") == {1}
    assert ids(world, "1") == {2}
    assert ids(world, "second round") == {1}
    with pytest.raises(SearchError, match="not a review round"):
        ids(world, "fifth")


def test_the_desk_shows_and_filters_the_round(client, world):
    sent_to_round_2(world)
    client.force_login(world.users["chair-A"])
    board = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={world.workshop.pk}"
    html = client.get(board + "&q=round%3A2").content.decode()
    assert 'scope="row"' in html
    assert world.p.title in html and world.q.title not in html
    assert '<td class="field-round num">2</td>' in html
    html = client.get(board + "&q=round%3A1").content.decode()
    assert world.q.title in html and world.p.title not in html


def test_the_desk_sends_a_paper_with_the_revise_and_resubmit_category(client, world):
    _, category = second_round(world)
    client.force_login(world.users["chair-A"])
    response = client.post(
        reverse("admin:reviews_decisions_save"),
        {"workshop": world.workshop.pk, f"decision-{world.p.pk}": str(category.pk)},
    )
    assert response.status_code == 302
    assert PaperRound.objects.filter(submission=world.p, round__number=2).exists()
    assert not hasattr(Submission.objects.get(pk=world.p.pk), "decision")


def test_the_authors_upload_a_revision_before_the_deadline_and_not_after(client, world, frozen_now):
    rnd, sent = sent_to_round_2(world)
    author, coauthor = world.users["author-P"], world.p.authors.exclude(is_contact=True)[0]
    page = reverse("author_revision", args=[world.p.pk])
    client.force_login(author)
    assert "Upload the revised version" in client.get(page).content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(page, {"file": revised_pdf()}, follow=True)
    assert "Revised PDF uploaded" in response.content.decode()
    p = Submission.objects.get(pk=world.p.pk)
    assert p.paper_id != sent.previous_paper_id
    assert p.files.filter(kind="paper").count() == 2  # the previous version is kept
    assert coauthor.email  # a co-author may read the page but not upload
    # After the deadline (grace included): refused with the deadline named; nothing changes.
    frozen_now(rnd.resubmission_deadline + world.workshop.grace + dt.timedelta(minutes=1))
    with pytest.raises(DeadlinePassed, match="deadline for revised versions in Second round"):
        paper_revision_upload(submission=p, user=author, upload=revised_pdf("Too late"))
    response = client.post(page, {"file": revised_pdf("Too late")}, follow=True)
    html = response.content.decode()
    assert "has passed" in html and "Upload the revised version" not in html
    assert Submission.objects.get(pk=world.p.pk).paper_id == p.paper_id


def test_a_paper_not_in_a_later_round_takes_no_revision(client, world):
    client.force_login(world.users["author-P"])
    assert client.get(reverse("author_revision", args=[world.p.pk])).status_code == 404
    with pytest.raises(ServiceError, match="not waiting for a revised version"):
        paper_revision_upload(submission=world.p, user=world.users["author-P"],
                              upload=revised_pdf())  # fmt: skip
    client.force_login(world.users["author-Q"])  # another paper's author: nothing exists
    assert client.get(reverse("author_revision", args=[world.p.pk])).status_code == 404


def test_the_same_reviewers_are_assigned_in_round_2_in_one_action(world):
    rnd, _ = sent_to_round_2(world)
    chair = world.users["chair-A"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        made = round_reviewers_assign(submission=world.p, chair=chair)
    round_1 = {
        (a.reviewer_id, a.role, a.pseudonym) for a in world.assignments.values()
        if a.submission_id == world.p.pk
    }  # fmt: skip
    assert {(a.reviewer_id, a.role, a.pseudonym) for a in made} == round_1
    assert all(a.round_id == rnd.pk for a in made)
    assert Activity.objects.filter(action="round.assign").count() == 1
    notices = OutgoingMail.objects.filter(key__startswith="round-assign:")
    assert notices.count() == 3 and "Second round" in notices.first().body_text
    # A second click assigns nobody again; the conflicted reviewer was never assigned.
    assert round_reviewers_assign(submission=world.p, chair=chair) == []
    assert not Assignment.objects.filter(reviewer=world.users["conflicted"]).exists()


def test_reviews_of_round_2_follow_round_2s_deadline(world, frozen_now):
    rnd, _ = sent_to_round_2(world)
    round_reviewers_assign(submission=world.p, chair=world.users["chair-A"], notify=False)
    r3 = world.users[R3]
    first = world.assignments[R3]
    second = Assignment.objects.get(reviewer=r3, round=rnd)
    frozen_now(world.workshop.review_deadline + 3 * DAY)  # round 1 is over
    assert not can(r3, "reviews.write_review", first)
    assert can(r3, "reviews.write_review", second)
    frozen_now(rnd.refused_after() + dt.timedelta(minutes=1))
    assert not can(r3, "reviews.write_review", second)


def test_reminders_use_round_2s_deadlines(world, frozen_now):
    rnd, _ = sent_to_round_2(world)
    round_reviewers_assign(submission=world.p, chair=world.users["chair-A"], notify=False)
    # A day before round 2's deadline (round 1's is two weeks past: no more overdue mail).
    at = rnd.review_deadline - DAY + dt.timedelta(hours=1)
    plans = {(p.kind, p.step): p for p in planned_reminders(world.workshop, at)}
    assert set(plans) == {("review_due", "r2-1d")}
    owed = {email for email, _, _ in plans[("review_due", "r2-1d")].recipients}
    assert owed == {world.users[k].email for k in (R1, R2, R3)}
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert reminders_queue(at) == 3
    mail = OutgoingMail.objects.filter(key__startswith="reminder:review_due:").first()
    assert aoe(rnd.review_deadline) in mail.body_text
    # Round 1 keeps its own steps, without round 2's reviews in them.
    early = world.workshop.review_deadline - DAY + dt.timedelta(hours=1)
    plans = {(p.kind, p.step): p for p in planned_reminders(world.workshop, early)}
    assert ("review_due", "1d") in plans and ("review_due", "r2-1d") not in plans
    papers = {s.number for _, _, c in plans[("review_due", "1d")].recipients for s in c["papers"]}
    assert papers == {1}
    listed = [r for r in upcoming(world.workshop, at - 8 * DAY, days=14)
              if "round 2" in r["label"]]  # fmt: skip
    assert {r["kind"] for r in listed} == {"review_due", "review_overdue"}


def test_the_reviewers_read_the_revision_page_by_page(client, world):
    sent_to_round_2(world)
    with TestCase.captureOnCommitCallbacks(execute=True):
        paper_revision_upload(submission=world.p, user=world.users["author-P"],
                              upload=revised_pdf())  # fmt: skip
    p = Submission.objects.get(pk=world.p.pk)
    sent = PaperRound.objects.get(submission=p)
    pages = revision_diff(sent.previous_paper, p.paper)
    assert len(pages) == 2
    assert any(mark == "+" and "ZQREVISED" in text for mark, text in pages[1].lines)
    url = reverse("reviews:revision", args=[world.workshop.slug, p.number])
    client.force_login(world.users[R1])
    forum = client.get(reverse("reviews:paper", args=[world.workshop.slug, p.number]))
    assert f'href="{url}" id="revision-link"' in forum.content.decode()
    for key in (R1, "chair-A", AC):
        client.force_login(world.users[key])
        html = client.get(url).content.decode()
        assert "ZQREVISED" in html and "Page 2" in html, key
    for key in ("conflicted", "author-P", "chair-B", "unassigned"):
        client.force_login(world.users[key])
        assert client.get(url).status_code == 404, key


# --- query counts --------------------------------------------------------------------------


def _counts(client, world: World) -> dict[str, int]:
    board = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={world.workshop.pk}"
    forum = reverse("reviews:paper", args=[world.workshop.slug, world.p.number])
    out = {}
    for name, user, url in (
        ("desk", "chair-A", board),
        ("desk round:1", "chair-A", board + "&q=round%3A1"),
        ("forum (chair)", "chair-A", forum),
        ("forum (reviewer)", R1, forum),
    ):
        client.force_login(world.users[user])
        assert client.get(url).status_code == 200, name
        runs = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200, name
            runs.append(len(ctx.captured_queries))
        out[name] = min(runs)
    return out


def test_the_desk_and_the_forum_run_the_same_queries_with_3_rounds(client, world):
    before = _counts(client, world)
    chair = world.users["chair-A"]
    sent_to_round_2(world)
    round_reviewers_assign(submission=world.p, chair=chair, notify=False)
    third = review_round_create(workshop=world.workshop, chair=chair, name="Third round",
                                review_deadline=_now() + 30 * DAY,
                                resubmission_deadline=_now() + 20 * DAY)  # fmt: skip
    category = DecisionCategory.objects.create(
        workshop=world.workshop, name="Revise again", outcome=Outcome.REJECT, revise_round=third
    )
    paper_round_send(submission=world.p, category=category, chair=chair)
    round_reviewers_assign(submission=world.p, chair=chair, notify=False)
    assert Assignment.objects.filter(submission=world.p, round__number=3).count() == 4
    after = _counts(client, world)
    print(f"\nqueries with 1 round: {before}; with 3 rounds: {after}")
    assert after == before


# --- response rounds ---------------------------------------------------------------------------


def test_response_rounds_are_named_windows_with_a_desk_search(world):
    chair = world.users["chair-A"]
    now = _now()
    found = response_round_save(workshop=world.workshop, chair=chair, name="Round 2 response",
                                opens=now, closes=now + 3 * DAY, words_soft=400,
                                words_hard=500, condition="round:2")  # fmt: skip
    assert found.condition == "round:2"
    assert Activity.objects.filter(action="response_round.save").count() == 1
    response_round_save(workshop=world.workshop, chair=chair, response_round=found,
                        words_hard=600)  # fmt: skip
    assert ResponseRound.objects.get(pk=found.pk).words_hard == 600
    assert Activity.objects.filter(action="response_round.save").count() == 2
    with pytest.raises(ServiceError, match="not a search the desk understands"):
        response_round_save(workshop=world.workshop, chair=chair, name="Bad", opens=now,
                            closes=now + DAY, condition="nosuchkeyword:3")  # fmt: skip
    with pytest.raises(ServiceError, match="after the opening"):
        response_round_save(workshop=world.workshop, chair=chair, name="Bad", opens=now,
                            closes=now)  # fmt: skip
    with pytest.raises(ServiceError, match="warned word limit"):
        response_round_save(workshop=world.workshop, chair=chair, name="Bad", opens=now,
                            closes=now + DAY, words_soft=600, words_hard=500)  # fmt: skip
    with pytest.raises(NotAllowed):
        response_round_save(workshop=world.workshop, chair=world.users[AC], name="Mine",
                            opens=now, closes=now + DAY)  # fmt: skip


def test_authors_respond_in_the_response_round_their_paper_matches(client, world, frozen_now):
    """Two rounds: one for every paper, closed; one for the papers in round 2, open, with
    word limits. P (sent to round 2) answers in the second; Q gets no window; the hard
    limit refuses, the soft one warns."""
    from reviews.models import AuthorResponse
    from reviews.services.decisions import reviews_release
    from reviews.services.responses import response_save

    chair = world.users["chair-A"]
    sent_to_round_2(world)
    reviews_release(workshop=world.workshop, chair=chair)
    now = _now()
    response_round_save(workshop=world.workshop, chair=chair, name="First response",
                        opens=now - 5 * DAY, closes=now - 2 * DAY)  # fmt: skip
    response_round_save(workshop=world.workshop, chair=chair, name="Second response",
                        opens=now - DAY, closes=now + 2 * DAY, words_soft=5, words_hard=8,
                        condition="round:2")  # fmt: skip
    p = Submission.objects.get(pk=world.p.pk)
    q = Submission.objects.get(pk=world.q.pk)
    assert can(world.users["author-P"], "reviews.respond", p)
    assert not can(world.users["author-Q"], "reviews.respond", q)
    with pytest.raises(ServiceError, match="the limit is 8"):
        response_save(submission=p, user=world.users["author-P"], text="one " * 9)
    page = reverse("author_reviews", args=[p.pk])
    client.force_login(world.users["author-P"])
    html = client.get(page).content.decode()
    assert "Second response is open" in html and "at most 8 words" in html
    response = client.post(page, {"review": "", "text": "we thank the reviewers kindly"},
                           follow=True)  # fmt: skip
    html = response.content.decode()
    assert "Response saved" in html and "more than the 5 this round asks for" not in html
    response = client.post(page, {"review": "", "text": "we thank all the reviewers very much"},
                           follow=True)  # fmt: skip
    assert "more than the 5 this round asks for" in response.content.decode()
    assert AuthorResponse.objects.filter(submission=p).count() == 1
    # After the round's deadline (grace included) nobody responds.
    frozen_now(now + 2 * DAY + world.workshop.grace + dt.timedelta(minutes=1))
    p = Submission.objects.get(pk=world.p.pk)
    assert not can(world.users["author-P"], "reviews.respond", p)


def test_the_migration_makes_round_1_and_a_response_round_of_each_window(world):
    """Migration 0022's data step, run again on this database: every workshop gets its round
    1 (kept if there), a workshop with a response window one response round with it."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("reviews.migrations.0022_review_rounds")
    ReviewRound.objects.all().delete()
    ResponseRound.objects.all().delete()
    w = world.workshop
    w.rebuttal_opens, w.rebuttal_closes = _now(), _now() + 3 * DAY
    w.save(update_fields=["rebuttal_opens", "rebuttal_closes"])
    migration.rounds_create(apps, None)
    assert set(ReviewRound.objects.values_list("workshop_id", "number", "name")) == {
        (w.pk, 1, "Round 1"),
        (world.other.pk, 1, "Round 1"),
    }
    made = ResponseRound.objects.get()
    assert (made.workshop_id, made.opens, made.closes) == (w.pk, w.rebuttal_opens,
                                                           w.rebuttal_closes)  # fmt: skip


def test_a_round_asks_its_own_questions(client, world):
    """A question of round 2 is asked (and required) in round 2's reviews only."""
    from reviews.models import ReviewQuestion
    from reviews.services.reviewing import review_submit

    rnd, _ = sent_to_round_2(world)
    round_reviewers_assign(submission=world.p, chair=world.users["chair-A"], notify=False)
    changed = ReviewQuestion.objects.create(
        workshop=world.workshop, label="What did the revision change?", kind="text",
        required=True, round=rnd, order=99,
    )  # fmt: skip
    r3 = world.users[R3]
    second = Assignment.objects.get(reviewer=r3, round=rnd)
    with pytest.raises(ServiceError, match="What did the revision change"):
        review_submit(assignment=second, user=r3, answers=world.full_answers())
    review_submit(assignment=second, user=r3,
                  answers={**world.full_answers(), changed.pk: "More baselines."})  # fmt: skip
    # Round 1's review never asks it (it is no question of that form).
    review_submit(assignment=world.assignments[R3], user=r3, answers=world.full_answers())
    first = world.review_of(R3)
    assert not first.answers.filter(question=changed).exists()
    client.force_login(world.users["R2-draft"])
    html = client.get(reverse("reviews:paper", args=[world.workshop.slug, 1])).content.decode()
    assert html.count("What did the revision change?") >= 1
