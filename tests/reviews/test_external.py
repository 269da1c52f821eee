"""External reviewers (issue 28, part 1): the services against the reviewing world (P under
review, R1 submitted, R2 draft, the area chair of P, the chair; Q another paper).

Requests by the chairs' policy, conflicts holding a request for a chair, the single-use
links, the external reviewer's one paper (not Q, not the discussion unless the chairs allow
it), the requester's approval that makes the review count, and one activity entry per
change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import TestCase
from django.urls import reverse

from reviews.models import (
    EXTERNAL,
    Assignment,
    ExternalCounting,
    ExternalPolicy,
    ExternalReviewRequest,
    ExternalReviewSettings,
    ExternalStatus,
)
from reviews.reminders import planned_reminders
from reviews.selectors.reviewing import area_chair_console, paper_page
from reviews.selectors.scores import review_counts
from reviews.services import external as services
from reviews.services.reviewing import comment_post, comment_readers, review_submit
from submissions.models import Submission
from tests.factories import UserFactory
from workshop.errors import NotAllowed, NotFound, ServiceError
from workshop.models import Activity, OutgoingMail
from workshop.policy import can

from .conftest import AUTHOR_P, COMMENT, World

EXPERT = "eve@eve-institute.org"


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def fresh(submission: Submission) -> Submission:
    """A new instance: the policy caches a paper's facts on it."""
    return Submission.objects.select_related("workshop").get(pk=submission.pk)


def _links(request: ExternalReviewRequest) -> tuple[str, str]:
    mail = OutgoingMail.objects.filter(kind="external_invitation", to=request.email).latest("pk")
    found = re.findall(r"/invitations/external/([^/\s]+)/", mail.body_text)
    assert len(found) == 2, mail.body_text
    return found[0], found[1]


def _ask(world: World, who: str = "R1-submitted", email: str = EXPERT, **kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.external_request_create(
            submission=fresh(world.p), requester=world.users[who], email=email, **kw
        )


def _entries(action: str) -> int:
    return Activity.objects.filter(action=action).count()


def test_a_reviewer_asks_the_mail_carries_two_single_use_links(world):
    made = _ask(world, name="Eve Expert")
    assert made.status == ExternalStatus.PENDING and made.hold_reasons == []
    assert _entries("external.request") == 1
    with pytest.raises(ServiceError, match="already been asked"):
        _ask(world, who="R2-draft")
    mail = OutgoingMail.objects.get(kind="external_invitation", to=EXPERT)
    assert "ZQAUTHORNAME" not in mail.body_text and "ZQREVIEWER1NAME" not in mail.body_text
    accept, decline = _links(made)
    eve = UserFactory(email=EXPERT)
    with pytest.raises(services.ExternalLinkError, match="link to decline"):
        services.external_request_accept(token=decline, user=eve)
    done = services.external_request_accept(token=accept, user=eve)
    assert done.status == ExternalStatus.ACCEPTED and _entries("external.accept") == 1
    assert done.assignment.role == EXTERNAL and done.assignment.reviewer == eve
    assert done.assignment.display_name == "External reviewer A"
    with pytest.raises(services.ExternalLinkError, match="already been accepted; the link works"):
        services.external_request_accept(token=accept, user=eve)
    with pytest.raises(services.ExternalLinkError, match="already been accepted"):
        services.external_request_decline(token=decline)
    with pytest.raises(ServiceError, match="already reviews this paper"):
        _ask(world, who="R2-draft")


def test_decline_needs_no_account_and_the_link_then_stops(world):
    made = _ask(world)
    _, decline = _links(made)
    services.external_request_decline(token=decline, reason="Too busy")
    assert ExternalReviewRequest.objects.get(pk=made.pk).status == ExternalStatus.DECLINED
    assert Activity.objects.get(action="external.decline").reason == "Too busy"
    with pytest.raises(services.ExternalLinkError, match="declined"):
        services.external_request_decline(token=decline)


def test_an_address_in_conflict_is_held_then_released_or_refused_by_a_chair(world):
    held = _ask(world, email=AUTHOR_P[4])  # the co-author's address
    assert held.status == ExternalStatus.HELD and "authorship" in held.hold_reasons
    assert not OutgoingMail.objects.filter(kind="external_invitation").exists()
    with pytest.raises(NotAllowed):
        services.external_request_release(request=held, chair=world.users["R1-submitted"])
    same_domain = _ask(world, who="R2-draft", email="dora@markers.example.org")
    assert same_domain.status == ExternalStatus.PENDING  # example.org is no institution
    services.external_request_refuse(request=held, chair=world.users["chair-A"], reason="Author")
    assert ExternalReviewRequest.objects.get(pk=held.pk).status == ExternalStatus.REFUSED
    second = _ask(world, who="AC-of-P", email="zqauthor@markers.example.net")
    assert second.status == ExternalStatus.HELD
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.external_request_release(request=second, chair=world.users["chair-A"])
    assert ExternalReviewRequest.objects.get(pk=second.pk).status == ExternalStatus.PENDING
    assert OutgoingMail.objects.filter(kind="external_invitation", to=second.email).exists()
    assert [_entries(a) for a in ("external.refuse", "external.release")] == [1, 1]


def test_the_chairs_policy_decides_who_may_ask(world):
    settings = ExternalReviewSettings.objects.create(
        workshop=world.workshop, policy=ExternalPolicy.CHAIRS
    )
    with pytest.raises(NotAllowed):
        _ask(world)
    assert _ask(world, who="AC-of-P").status == ExternalStatus.PENDING
    settings.policy = ExternalPolicy.APPROVAL
    settings.save()
    held = _ask(world, email="someone@elsewhere-lab.org")
    assert held.status == ExternalStatus.HELD and held.hold_reasons == ["approval"]
    with pytest.raises(NotAllowed, match="emergency"):
        _ask(world, email="fast@elsewhere-lab.org", emergency=True)
    with pytest.raises(NotFound):  # Q is not R1's paper: as if it did not exist
        services.external_request_create(
            submission=fresh(world.q), requester=world.users["R1-submitted"], email=EXPERT
        )


def test_an_emergency_reviewer_has_the_short_deadline(world):
    made = _ask(world, who="AC-of-P", emergency=True)
    days = (made.due_at - made.created_at).days
    assert made.emergency and days in (2, 3)  # three days less the instant between the two


def _accepted(world: World) -> tuple[ExternalReviewRequest, Assignment]:
    made = _ask(world)
    accept, _ = _links(made)
    eve = UserFactory(email=EXPERT)
    done = services.external_request_accept(token=accept, user=eve)
    return done, Assignment.objects.select_related("reviewer").get(pk=done.assignment_id)


def test_the_external_reviewer_sees_that_paper_only_and_not_the_discussion(world):
    _, assignment = _accepted(world)
    eve = assignment.reviewer
    assert can(eve, "reviews.view_paper", fresh(world.p))
    assert not can(eve, "reviews.view_paper", fresh(world.q))
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(assignment=assignment, user=eve, answers=world.full_answers(Overall=2))
    p = fresh(world.p)
    assert not can(eve, "reviews.discuss", p)
    assert not can(eve, "reviews.see_other_reviews", p)
    page = paper_page(eve, world.workshop, world.p.number)
    assert page.own == assignment and not page.may_discuss and not page.comments
    assert [r.own for r in page.reviews] == [True]
    readers = comment_readers(p, "committee", None, list(p.assignments.all()))
    assert eve.pk not in readers
    ExternalReviewSettings.objects.create(workshop=world.workshop, sees_discussion=True)
    p = fresh(world.p)
    assert can(eve, "reviews.discuss", p)
    page = paper_page(eve, world.workshop, world.p.number)
    assert any(COMMENT in c.body for c in page.comments)
    with TestCase.captureOnCommitCallbacks(execute=True):
        comment_post(submission=p, user=eve, body="An outside view.")


def test_the_review_counts_once_the_requester_approves_it(world):
    request, assignment = _accepted(world)
    before = review_counts([world.p.pk])[world.p.pk]
    with pytest.raises(ServiceError, match="not been submitted"):
        services.external_review_approve(request=request, actor=world.users["R1-submitted"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(assignment=assignment, user=assignment.reviewer,
                      answers=world.full_answers(Overall=2))  # fmt: skip
    assert review_counts([world.p.pk])[world.p.pk] == before
    with pytest.raises(NotAllowed):  # not the requester
        services.external_review_approve(request=request, actor=world.users["R2-draft"])
    services.external_review_approve(request=request, actor=world.users["R1-submitted"])
    assigned, done = before
    assert review_counts([world.p.pk])[world.p.pk] == (assigned + 1, done + 1)
    assert _entries("external.approve") == 1
    services.external_review_approve(request=request, actor=world.users["chair-A"])
    assert _entries("external.approve") == 1  # nothing changed, nothing logged


def test_counted_at_once_when_the_chairs_choose_so(world):
    ExternalReviewSettings.objects.create(
        workshop=world.workshop, counting=ExternalCounting.AT_ONCE
    )
    request, _ = _accepted(world)
    assert request.counts


def test_another_account_cannot_take_the_invitation(world):
    made = _ask(world)
    UserFactory(email=EXPERT)
    accept, _ = _links(made)
    with pytest.raises(NotAllowed, match="belongs to another account"):
        services.external_request_accept(token=accept, user=UserFactory())
    with pytest.raises(services.ExternalLinkError, match="not valid"):
        services.external_request_accept(token="nonsense", user=UserFactory())


def test_reminders_follow_the_external_reviewers_own_due_date(world):
    request, assignment = _accepted(world)
    eve = assignment.reviewer
    due = request.due_at

    def to_eve(now) -> list[tuple[str, str]]:
        return [(p.kind, p.step) for p in planned_reminders(fresh(world.p).workshop, now)
                if any(email == eve.email for email, _, _ in p.recipients)]  # fmt: skip

    assert to_eve(due - dt.timedelta(days=10)) == []
    assert to_eve(due - dt.timedelta(hours=20)) == [("review_due", f"ext{request.pk}-1d")]
    late = due + world.workshop.grace + dt.timedelta(hours=1)
    assert to_eve(late) == [("review_overdue", f"ext{request.pk}-day1")]
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(assignment=assignment, user=eve, answers=world.full_answers())
    assert to_eve(late) == []


def test_the_external_reviewers_dashboard_and_pages(world, client):
    _, assignment = _accepted(world)
    client.force_login(assignment.reviewer)
    page = client.get(reverse("reviews:dashboard")).content.decode()
    assert "External reviewer A" in page and "ZQPTITLE" in page and "ZQQTITLE" not in page
    paper = client.get(reverse("reviews:paper", args=[world.workshop.slug, world.p.number]))
    text = paper.content.decode()
    assert paper.status_code == 200 and "you are <strong>External reviewer A</strong>" in text
    assert COMMENT not in text and "ZQAUTHORNAME" not in text
    assert "your review is due" in text and "reviews submitted" not in text  # the committee's
    assert "Request an external reviewer" not in text  # an expert does not recruit
    other = client.get(reverse("reviews:paper", args=[world.workshop.slug, world.q.number]))
    assert other.status_code == 404
    bids = client.get(reverse("reviews:bids", args=[world.workshop.slug]))
    assert bids.status_code == 404  # not on the committee: no bidding list


def test_the_requesters_page_lists_the_request_and_the_chairs_see_why_it_is_held(world, client):
    held = _ask(world, email=AUTHOR_P[4])
    url = reverse("reviews:paper", args=[world.workshop.slug, world.p.number])
    client.force_login(world.users["R1-submitted"])
    text = client.get(url).content.decode()
    assert held.email in text and "Held for a chair" in text and "authorship" not in text
    client.force_login(world.users["chair-A"])
    text = client.get(url).content.decode()
    assert "possible conflict: authorship" in text
    client.force_login(world.users["R2-draft"])
    assert held.email not in client.get(url).content.decode()  # not R2's request


def test_the_area_chairs_console_names_external_reviews_until_they_count(world):
    request, assignment = _accepted(world)
    ac = world.users["AC-of-P"]

    def pending() -> list[tuple[str, bool, bool]]:
        (group,) = area_chair_console(ac)
        (row,) = [r for r in group.rows if r.submission.pk == world.p.pk]
        return [(p.name, p.started, p.awaiting_approval) for p in row.pending if p.name]

    assert pending() == [("External reviewer A", False, False)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(assignment=assignment, user=assignment.reviewer,
                      answers=world.full_answers())  # fmt: skip
    assert pending() == [("External reviewer A", True, True)]
    services.external_review_approve(request=request, actor=world.users["R1-submitted"])
    assert pending() == []


def test_the_requester_withdraws_a_request_and_its_links_stop(world, client):
    made = _ask(world)
    accept, _ = _links(made)
    with pytest.raises(NotAllowed):
        services.external_request_withdraw(request=made, actor=world.users["AC-of-P"])
    client.force_login(world.users["R1-submitted"])
    url = reverse("reviews:external_withdraw",
                  args=[world.workshop.slug, world.p.number, made.pk])  # fmt: skip
    assert client.post(url).status_code == 302
    assert ExternalReviewRequest.objects.get(pk=made.pk).status == ExternalStatus.REVOKED
    assert _entries("external.withdraw") == 1
    with pytest.raises(services.ExternalLinkError, match="withdrawn"):
        services.external_request_accept(token=accept, user=UserFactory(email=EXPERT))
    with pytest.raises(ServiceError, match="withdrawn"):
        services.external_request_withdraw(request=made, actor=world.users["chair-A"])
