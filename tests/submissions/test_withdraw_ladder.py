"""The withdraw ladder (HotCRP's scenario, issue 13).

Stages of a paper: unstarted (a draft without a PDF), drafted (a draft with one),
submitted and its reviews not seen by the authors, seen (an author opened the released
reviews), decided. Contact authors withdraw on the first three; on "seen" and "decided"
only the chairs do, unless the workshop lets authors withdraw anytime. Authors restore
their own withdrawal while the call is open; a chair's withdrawal only the chairs undo.
Every step is one activity entry.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from submissions.models import SubmissionStatus
from submissions.services import submission_restore, submission_submit, submission_withdraw
from submissions.services.lifecycle import submission_reviews_seen, submission_set_outcome
from tests.factories import make_chair
from workshop.errors import DeadlinePassed, NotAllowed
from workshop.models import Activity
from workshop.policy import can

from .conftest import new_submission

pytestmark = pytest.mark.django_db

STAGES = ["unstarted", "drafted", "submitted_unseen", "seen", "decided"]
AUTHORS_MAY = {"unstarted", "drafted", "submitted_unseen"}


def paper_at(stage: str, workshop, author, chair):
    paper = new_submission(workshop, author, with_pdf=stage != "unstarted")
    if stage in ("submitted_unseen", "seen", "decided"):
        paper = submission_submit(submission=paper, user=author, notify=False)
    if stage == "seen":
        type(workshop).objects.filter(pk=workshop.pk).update(reviews_released=True)
        paper.workshop.reviews_released = True
        submission_reviews_seen(submission=paper, user=author)
        paper.refresh_from_db()
        assert paper.reviews_seen_at is not None
    if stage == "decided":
        submission_set_outcome(submission=paper, outcome="accept", chair=chair)
        paper.refresh_from_db()
    return paper


def entries(paper, action: str) -> list[Activity]:
    return list(Activity.objects.filter(submission_id=paper.pk, action=action))


@pytest.mark.parametrize("anytime", [False, True], ids=["default", "anytime"])
@pytest.mark.parametrize("stage", STAGES)
def test_the_ladder(stage, anytime, workshop, author):
    chair = make_chair(workshop)
    if anytime:
        type(workshop).objects.filter(pk=workshop.pk).update(authors_withdraw_anytime=True)
        workshop.refresh_from_db()
    paper = paper_at(stage, workshop, author, chair)
    before = paper.status
    allowed = stage in AUTHORS_MAY or anytime
    assert can(author, "submissions.withdraw", paper) is allowed
    assert can(chair, "submissions.withdraw", paper)
    if allowed:
        submission_withdraw(submission=paper, user=author, notify=False)
        paper.refresh_from_db()
        assert paper.is_withdrawn and not paper.withdrawn_by_chair
        assert paper.status_before_withdrawal == before
        (entry,) = entries(paper, "submission.withdraw")
        assert entry.actor == author and entry.authors_see
    else:
        with pytest.raises(NotAllowed, match="only the chairs can withdraw it now"):
            submission_withdraw(submission=paper, user=author, notify=False)
        paper.refresh_from_db()
        assert paper.status == before and not entries(paper, "submission.withdraw")
        # The chairs can.
        submission_withdraw(submission=paper, user=chair, notify=False)
        paper.refresh_from_db()
        assert paper.is_withdrawn and paper.withdrawn_by_chair
        (entry,) = entries(paper, "submission.withdraw")
        assert entry.actor == chair and entry.summary == "Withdrawn by a chair"


def test_authors_restore_their_withdrawal_while_the_call_is_open(workshop, author):
    paper = paper_at("submitted_unseen", workshop, author, make_chair(workshop))
    submission_withdraw(submission=paper, user=author, notify=False)
    paper.refresh_from_db()
    assert can(author, "submissions.restore", paper)
    submission_restore(submission=paper, user=author, notify=False)
    paper.refresh_from_db()
    assert paper.status == SubmissionStatus.SUBMITTED
    (entry,) = entries(paper, "submission.restore")
    assert entry.actor == author and entry.summary == "Restored by the authors"
    assert entry.before == {"status": "withdrawn"} and entry.after == {"status": "submitted"}


def test_after_the_call_closes_only_the_chairs_restore(workshop, author, frozen_now):
    chair = make_chair(workshop)
    paper = paper_at("submitted_unseen", workshop, author, chair)
    submission_withdraw(submission=paper, user=author, notify=False)
    paper.refresh_from_db()
    frozen_now(workshop.paper_deadline + (workshop.review_deadline - workshop.paper_deadline) / 2)
    assert not can(author, "submissions.restore", paper)
    with pytest.raises(DeadlinePassed, match="only the chairs can restore"):
        submission_restore(submission=paper, user=author, notify=False)
    submission_restore(submission=paper, user=chair, notify=False)
    paper.refresh_from_db()
    assert paper.is_submitted
    (entry,) = entries(paper, "submission.restore")
    assert entry.summary == "Restored by a chair"


def test_a_chairs_withdrawal_is_not_undone_by_the_authors(workshop, author):
    chair = make_chair(workshop)
    paper = paper_at("submitted_unseen", workshop, author, chair)
    submission_withdraw(submission=paper, user=chair, notify=False)
    paper.refresh_from_db()
    assert not can(author, "submissions.restore", paper)
    with pytest.raises(NotAllowed, match="A chair withdrew this paper"):
        submission_restore(submission=paper, user=author, notify=False)


def test_the_pages_follow_the_ladder(client, workshop, author):
    chair = make_chair(workshop)
    paper = paper_at("seen", workshop, author, chair)
    client.force_login(author)
    detail = client.get(reverse("submissions:detail", args=[paper.pk])).content.decode()
    assert "Withdraw…" not in detail
    assert "Only the chairs can withdraw this paper now" in detail
    page = client.get(reverse("submissions:withdraw", args=[paper.pk]))
    assert page.status_code == 403
    assert "only the chairs can withdraw it now" in page.content.decode()

    fresh = paper_at("drafted", workshop, author, chair)
    client.post(reverse("submissions:withdraw", args=[fresh.pk]), {"confirm": "yes"})
    fresh.refresh_from_db()
    assert fresh.is_withdrawn
    detail = client.get(reverse("submissions:detail", args=[fresh.pk])).content.decode()
    assert "Restore the paper" in detail
    response = client.post(reverse("submissions:restore", args=[fresh.pk]))
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert fresh.is_draft


def test_reading_released_reviews_is_what_marks_them_seen(workshop, author):
    chair = make_chair(workshop)
    paper = paper_at("submitted_unseen", workshop, author, chair)
    # Not released: nothing is recorded.
    submission_reviews_seen(submission=paper, user=author)
    paper.refresh_from_db()
    assert paper.reviews_seen_at is None
    # A chair reading them changes nothing either.
    type(workshop).objects.filter(pk=workshop.pk).update(reviews_released=True)
    paper.refresh_from_db()
    submission_reviews_seen(submission=paper, user=chair)
    paper.refresh_from_db()
    assert paper.reviews_seen_at is None
    submission_reviews_seen(submission=paper, user=author)
    paper.refresh_from_db()
    assert paper.reviews_seen_at is not None
