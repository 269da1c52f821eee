"""The action layer of the reviews app: every action asks the policy itself, writes exactly
one activity entry when it changes something (none when it does not), and its mails are
keyed by that event and found through the objects they concern, never through their keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    Assignment,
    BidValue,
    Decision,
    Invitation,
    MatchMode,
    Outcome,
    Review,
    ReviewerProfile,
    ReviewStatus,
)
from reviews.services.assignment import (
    assignment_add,
    assignment_lock,
    assignment_remove,
    matching_run_cancel,
    matching_run_create,
)
from reviews.services.committee import (
    bid_place,
    conflict_override_set,
    load_request_approve,
    profile_update,
)
from reviews.services.decisions import (
    category_for,
    decision_mails_compose,
    decision_record,
    decisions_release,
    reviews_release,
)
from reviews.services.invitations import (
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from reviews.services.responses import response_save
from reviews.services.reviewing import (
    assignment_decline,
    comment_post,
    late_reviewers_remind,
    meta_review_save,
    review_save_draft,
    review_submit,
)
from workshop.errors import DeadlinePassed, NotAllowed, NotFound, ServiceError
from workshop.models import Activity, MailStatus, Role, User, Workshop

from .conftest import World, mails_about

pytestmark = pytest.mark.django_db

R1, R2, R3 = "R1-submitted", "R2-draft", "R3-not-started"


@contextlib.contextmanager
def one_entry(
    action: str, actor: User | None, submission_id: int | None = None, *, execute: bool = True
) -> Iterator[None]:
    """Exactly one new activity entry, with this name, actor and paper (`execute`: run the
    on-commit callbacks, i.e. deliver mail and run tasks)."""
    last = Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with TestCase.captureOnCommitCallbacks(execute=execute):
        yield
    new = list(Activity.objects.filter(pk__gt=last))
    assert [(e.action, e.actor_id, e.submission_id) for e in new] == [
        (action, actor.pk if actor else None, submission_id)
    ]


@contextlib.contextmanager
def no_entry() -> Iterator[None]:
    count = Activity.objects.count()
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield
    assert Activity.objects.count() == count


def test_each_reviews_action_writes_exactly_one_activity_entry(world: World):
    w, p, q, u = world.workshop, world.p, world.q, world.users
    chair = u["chair-A"]

    # Reviewing: submit, update, decline, discuss, meta-review.
    with one_entry("review.submit", u[R3], p.pk):
        review_submit(assignment=world.assignments[R3], user=u[R3], answers=world.full_answers())
    with one_entry("review.update", u[R1], p.pk):
        review_submit(
            assignment=world.assignments[R1], user=u[R1], answers=world.full_answers(Overall=5)
        )
    with one_entry("comment.post", u[R1], p.pk):
        comment_post(submission=p, user=u[R1], body="A second thought.")
    with one_entry("meta_review.save", u["AC-of-P"], p.pk):
        meta_review_save(submission=p, user=u["AC-of-P"], recommendation="accept", text="Yes.")
    with no_entry():  # the same meta-review again changes nothing
        meta_review_save(submission=p, user=u["AC-of-P"], recommendation="accept", text="Yes.")
    with no_entry():  # autosaves of drafts are not logged
        review_save_draft(
            assignment=world.assignments[R2], user=u[R2], answers={world.q_id("Summary"): "x"}
        )

    # Assignment by hand: add, double-click, lock, decline, remove.
    with one_entry("assignment.add", chair, q.pk):
        added, _ = assignment_add(submission=q, reviewer=u["unassigned"], chair=chair)
    with no_entry():
        assignment_add(submission=q, reviewer=u["unassigned"], chair=chair)
    with one_entry("assignment.lock", chair, q.pk):
        assignment_lock(assignment=added, chair=chair, locked=True)
    with no_entry():
        assignment_lock(assignment=added, chair=chair, locked=True)
    with one_entry("assignment.decline", u["unassigned"], q.pk):
        assignment_decline(assignment=added, user=u["unassigned"], reason="No time.")
    with one_entry("assignment.remove", chair, q.pk):
        assignment_remove(assignment=added, chair=chair)
    with no_entry():  # a retried removal finds nothing to do
        assignment_remove(assignment=added, chair=chair)
    with pytest.raises(NotFound), no_entry():  # the row is gone: 404, not a crash
        assignment_lock(assignment=added, chair=chair, locked=False)
    for role in ("garbage", Role.CHAIR):  # the committee's roles only: a message, not a 500
        with pytest.raises(ServiceError), no_entry():
            assignment_add(submission=q, reviewer=chair, chair=chair, role=role)
        with pytest.raises(ServiceError), no_entry():
            invitation_create(workshop=w, email="someone@lab.org", role=role, invited_by=chair)

    # Matching runs (the worker is not run: queued, then cancelled).
    with one_entry("matching.run", chair, execute=False):  # no worker: it stays queued
        run = matching_run_create(workshop=w, chair=chair, mode=MatchMode.MAX_TOTAL, parameters={})
    with one_entry("matching.cancel", chair):
        matching_run_cancel(run=run, chair=chair)
    with no_entry():
        matching_run_cancel(run=run, chair=chair)

    # Committee: profile, load request, conflicts, invitations.
    with one_entry("profile.update", u["unassigned"]):
        profile_update(
            workshop=w, user=u["unassigned"], expertise_text="LLMs", requested_max_load=1
        )
    profile = ReviewerProfile.objects.get(workshop=w, user=u["unassigned"])
    with one_entry("profile.load_approve", chair):
        load_request_approve(profile=profile, chair=chair)
    with one_entry("conflict.set", chair, q.pk):
        conflict_override_set(
            submission=q, user=u["unassigned"], conflicted=True, reason="Same lab.", chair=chair
        )
    with one_entry("invitation.create", chair):
        invitation = invitation_create(
            workshop=w, email="new@lab.example.org", role=Role.REVIEWER, invited_by=chair
        )
    with one_entry("invitation.resend", chair):
        invitation_resend(invitation=invitation, chair=chair)
    with one_entry("invitation.revoke", chair):
        invitation_revoke(invitation=invitation, chair=chair)
    assert mails_about(invitation).filter(kind="committee_invitation").count() == 2

    # Reminders: a second click the same day queues nothing and logs nothing.
    with one_entry("reminders.send", chair):
        assert late_reviewers_remind(workshop=w, chair=chair) >= 1
    with no_entry():
        assert late_reviewers_remind(workshop=w, chair=chair) == 0

    # Decisions and the release switches, audited with before/after.
    with one_entry("decision.record", chair, p.pk):
        decision_record(submission=p, category=category_for(w, Outcome.ACCEPT), chair=chair)
    with no_entry():
        decision_record(submission=p, category=category_for(w, Outcome.ACCEPT), chair=chair)
    with one_entry("decision.mails_compose", chair):
        assert decision_mails_compose(workshop=w, chair=chair, include_reviews=False) == 2
    with one_entry("reviews.release", chair):
        reviews_release(workshop=w, chair=chair)
    entry = Activity.objects.get(action="reviews.release")
    assert (entry.before, entry.after) == ({"reviews_released": False}, {"reviews_released": True})
    with no_entry():
        reviews_release(workshop=w, chair=chair)

    # The author response, in its window (part of the authors' history).
    now = timezone.now()
    Workshop.objects.filter(pk=w.pk).update(
        rebuttal_opens=now - dt.timedelta(hours=1), rebuttal_closes=now + dt.timedelta(days=2)
    )
    p.refresh_from_db()
    with one_entry("response.save", u["author-P"], p.pk):
        response_save(submission=p, user=u["author-P"], text="We ran more seeds.")
    assert Activity.objects.get(action="response.save").authors_see
    with no_entry():  # a retried request
        response_save(submission=p, user=u["author-P"], text="We ran more seeds.")

    with one_entry("decisions.release", chair):
        assert decisions_release(workshop=w, chair=chair) == 2
    entry = Activity.objects.get(action="decisions.release")
    assert entry.before == {"decisions_released": False}
    assert entry.after["decisions_released"] is True


def test_bids_are_not_logged(world: World, frozen_now):
    w = world.workshop
    frozen_now(w.paper_deadline + dt.timedelta(hours=1))  # bidding is open
    with no_entry():
        bid_place(user=world.users["unassigned"], submission=world.q, value=BidValue.EAGER)


def notices(assignment: Assignment):
    return mails_about(assignment).filter(kind="assignment_notice")


def test_reassignment_after_a_decline_sends_exactly_one_new_notice_and_a_double_click_none(
    world: World,
):
    chair, reviewer = world.users["chair-A"], world.users["unassigned"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment, _ = assignment_add(submission=world.q, reviewer=reviewer, chair=chair)
    assert notices(assignment).count() == 1
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_add(submission=world.q, reviewer=reviewer, chair=chair)  # double-click
    assert notices(assignment).count() == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_decline(assignment=assignment, user=reviewer, reason="Travelling.")
    chairs_told = mails_about(assignment).filter(kind="assignment_declined")
    assert chairs_told.count() == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        again, _ = assignment_add(submission=world.q, reviewer=reviewer, chair=chair)
    assert again.pk == assignment.pk and again.declined_at is None
    assert notices(assignment).count() == 2  # exactly one new notice
    newest = notices(assignment).order_by("-pk").first()
    assert newest.to == reviewer.email and newest.status != MailStatus.HELD
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_add(submission=world.q, reviewer=reviewer, chair=chair)  # double-click
    assert notices(assignment).count() == 2

    # Declining again is a new event: the chairs are told again, once.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_decline(assignment=again, user=reviewer, reason="Still travelling.")
        assignment_decline(assignment=again, user=reviewer, reason="Still travelling.")
    assert chairs_told.count() == 2


def test_decision_mails_are_found_by_relation_and_a_change_cancels_only_that_decisions(
    world: World,
):
    w, chair = world.workshop, world.users["chair-A"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        decision_record(submission=world.p, category=category_for(w, Outcome.ACCEPT), chair=chair)
        decision_record(submission=world.q, category=category_for(w, Outcome.REJECT), chair=chair)
        assert decision_mails_compose(workshop=w, chair=chair, include_reviews=False) == 3
    p_decision, q_decision = Decision.objects.get(submission=world.p), world.q.decision
    p_mails, q_mails = mails_about(p_decision), mails_about(q_decision)
    assert p_mails.filter(status=MailStatus.HELD).count() == 2  # author and co-author
    assert set(p_mails.values_list("submission_id", flat=True)) == {world.p.pk}
    link = settings.SITE_URL + reverse("author_reviews", args=[world.p.pk])
    assert all(link in m.body_text for m in p_mails)
    held_q = set(q_mails.filter(status=MailStatus.HELD).values_list("pk", flat=True))
    assert len(held_q) == 1

    with TestCase.captureOnCommitCallbacks(execute=True):
        decision_record(submission=world.p, category=category_for(w, Outcome.REJECT), chair=chair)
    assert p_mails.filter(status=MailStatus.CANCELLED).count() == 2
    recomposed = p_mails.filter(status=MailStatus.HELD)
    assert recomposed.count() == 2
    assert all("Reject" in m.body_text for m in recomposed)
    assert set(q_mails.filter(status=MailStatus.HELD).values_list("pk", flat=True)) == held_q

    # Released and sent, a decision is never mailed twice; a changed one is mailed again.
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert decisions_release(workshop=w, chair=chair) == 3
        assert decision_mails_compose(workshop=w, chair=chair, include_reviews=False) == 0
        decision_record(submission=world.q, category=category_for(w, Outcome.ACCEPT), chair=chair)
        assert decision_mails_compose(workshop=w, chair=chair, include_reviews=False) == 1


def test_the_services_refuse_callers_without_the_permission(world: World, frozen_now):
    w, p, q, u = world.workshop, world.p, world.q, world.users
    a = world.assignments

    # The discussion: a reviewer with a draft may see the paper but not discuss (403);
    # a conflicted reviewer and another workshop's chair may not know it (404).
    with pytest.raises(NotAllowed):
        comment_post(submission=p, user=u[R2], body="Hello")
    for stranger in ("conflicted", "chair-B", "AC-of-Q"):
        with pytest.raises(NotFound):
            comment_post(submission=p, user=u[stranger], body="Hello")
    # Meta-reviews: the paper's area chair and the chairs only.
    with pytest.raises(NotAllowed):
        meta_review_save(submission=p, user=u[R1], recommendation="accept", text="")
    with pytest.raises(NotFound):
        meta_review_save(submission=p, user=u["AC-of-Q"], recommendation="accept", text="")
    # Reviews: one's own, in the window.
    with pytest.raises(NotAllowed):
        review_submit(assignment=a[R2], user=u[R1], answers=world.full_answers())
    with pytest.raises(NotFound):
        review_submit(assignment=a[R2], user=u["AC-of-Q"], answers=world.full_answers())
    with pytest.raises(NotAllowed):
        assignment_decline(assignment=a[R1], user=u[R1], reason="Too late.")
    # Chairs' tools.
    with pytest.raises(NotAllowed):
        assignment_add(submission=q, reviewer=u["unassigned"], chair=u[R1])
    with pytest.raises(NotFound):
        assignment_add(submission=q, reviewer=u["unassigned"], chair=u["chair-B"])
    with pytest.raises(NotFound):
        decision_record(submission=p, category=category_for(w, Outcome.ACCEPT), chair=u["chair-B"])
    for refused in (
        lambda who: decisions_release(workshop=w, chair=who),
        lambda who: reviews_release(workshop=w, chair=who),
        lambda who: decision_mails_compose(workshop=w, chair=who, include_reviews=True),
        lambda who: late_reviewers_remind(workshop=w, chair=who),
        lambda who: invitation_create(workshop=w, email="x@y.org", role=Role.REVIEWER,
                                      invited_by=who),
    ):  # fmt: skip
        for who in (u[R1], u["chair-B"], u["author-P"]):
            with pytest.raises(NotAllowed):
                refused(who)
    assert not Decision.objects.exists() and not Invitation.objects.exists()
    # Author responses: strangers do not know the paper; authors wait for the window.
    with pytest.raises(NotFound):
        response_save(submission=p, user=u["author-Q"], text="Hi")
    with pytest.raises(DeadlinePassed):
        response_save(submission=p, user=u["author-P"], text="Hi")
    # Bids: a conflicted paper does not exist for the reviewer; a closed window is 403.
    conflict_override_set(submission=p, user=u["conflicted"], conflicted=True,
                          reason="Former student", chair=u["chair-A"])  # fmt: skip
    with pytest.raises(NotFound):
        bid_place(user=u["conflicted"], submission=p, value=BidValue.EAGER)
    with pytest.raises(DeadlinePassed):
        bid_place(user=u["unassigned"], submission=q, value=BidValue.EAGER)
    # After the review deadline, reviewers may no longer write (chairs still may).
    frozen_now(w.review_deadline + w.grace + dt.timedelta(minutes=1))
    with pytest.raises(DeadlinePassed):
        review_submit(assignment=a[R3], user=u[R3], answers=world.full_answers())
    review_submit(assignment=a[R3], user=u["chair-A"], answers=world.full_answers())
    assert Review.objects.get(assignment=a[R3]).status == ReviewStatus.SUBMITTED
    assert not Activity.objects.filter(actor__in=[u["chair-B"], u["conflicted"]]).exists()
