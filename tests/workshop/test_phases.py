"""The clock: phase at one second either side of every milestone, deadlines, AoE display."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import WorkshopFactory
from workshop.phases import (
    Phase,
    accepts_until,
    call_is_open,
    current_phase,
    milestones,
    paper_upload_is_open,
)
from workshop.templatetags.workshop_tags import aoe, deadline

SECOND = dt.timedelta(seconds=1)
T0 = dt.datetime(2027, 3, 1, 11, 59, tzinfo=dt.UTC)  # 23:59 AoE on 28 Feb


def full_workshop(**overrides):
    day = dt.timedelta(days=1)
    values = {
        "submission_opens": T0 - 30 * day,
        "abstract_deadline": T0 - 7 * day,
        "paper_deadline": T0,
        "bidding_deadline": T0 + 7 * day,
        "review_deadline": T0 + 30 * day,
        "rebuttal_opens": T0 + 32 * day,
        "rebuttal_closes": T0 + 36 * day,
        "discussion_ends": T0 + 40 * day,
        "notification_date": T0 + 45 * day,
        "camera_ready_deadline": T0 + 60 * day,
    }
    values.update(overrides)
    return WorkshopFactory.build(**values)


# (milestone field, phase one second before, phase one second after)
TRANSITIONS = [
    ("submission_opens", Phase.ANNOUNCED, Phase.SUBMISSION),
    ("abstract_deadline", Phase.SUBMISSION, Phase.PAPER_UPLOAD),
    ("paper_deadline", Phase.PAPER_UPLOAD, Phase.BIDDING),
    ("bidding_deadline", Phase.BIDDING, Phase.REVIEWING),
    ("review_deadline", Phase.REVIEWING, Phase.DISCUSSION),
    ("rebuttal_opens", Phase.DISCUSSION, Phase.REBUTTAL),
    ("rebuttal_closes", Phase.REBUTTAL, Phase.DISCUSSION),
    ("discussion_ends", Phase.DISCUSSION, Phase.DECISION),
]


@pytest.mark.parametrize(("field", "before", "after"), TRANSITIONS)
def test_phase_one_second_around_each_milestone(field, before, after):
    w = full_workshop()
    at = getattr(w, field)
    assert current_phase(w, at - SECOND) == before
    assert current_phase(w, at + SECOND) == after


def test_decision_phase_waits_for_the_release_switch():
    w = full_workshop()
    long_after = w.camera_ready_deadline + dt.timedelta(days=100)
    assert current_phase(w, long_after) == Phase.DECISION
    w.decisions_released = True
    cr = w.camera_ready_deadline
    assert current_phase(w, cr - SECOND) == Phase.CAMERA_READY
    assert current_phase(w, cr + SECOND) == Phase.CONCLUDED


def test_single_deadline_without_optional_milestones():
    w = full_workshop(
        abstract_deadline=None,
        bidding_deadline=None,
        rebuttal_opens=None,
        rebuttal_closes=None,
        discussion_ends=None,
        camera_ready_deadline=None,
    )
    assert current_phase(w, T0 - SECOND) == Phase.SUBMISSION
    assert current_phase(w, T0 + SECOND) == Phase.REVIEWING
    assert current_phase(w, w.review_deadline + SECOND) == Phase.DECISION
    w.decisions_released = True
    assert current_phase(w, w.review_deadline + SECOND) == Phase.CONCLUDED


def test_grace_period_accepts_writes_but_is_not_advertised():
    w = full_workshop(abstract_deadline=None, grace_minutes=15)
    grace = dt.timedelta(minutes=15)
    assert accepts_until(w.paper_deadline, w, T0 + grace - SECOND)
    assert accepts_until(w.paper_deadline, w, T0 + grace)
    assert not accepts_until(w.paper_deadline, w, T0 + grace + SECOND)
    # The phase moves on at the advertised deadline, grace or not.
    assert current_phase(w, T0 + SECOND) == Phase.BIDDING
    assert paper_upload_is_open(w, T0 + grace - SECOND)
    assert not paper_upload_is_open(w, T0 + grace + SECOND)


def test_call_open_until_abstract_deadline_and_uploads_until_paper_deadline():
    w = full_workshop()
    ad = w.abstract_deadline
    assert call_is_open(w, ad - SECOND)
    assert not call_is_open(w, ad + SECOND)
    assert paper_upload_is_open(w, ad + SECOND)
    assert not paper_upload_is_open(w, T0 + SECOND)
    assert not call_is_open(w, w.submission_opens - SECOND)
    assert not accepts_until(None, w, T0)


def test_milestones_are_sorted_and_public_ones_hide_internal_dates():
    w = full_workshop()
    every = milestones(w)
    assert [m.at for m in every] == sorted(m.at for m in every)
    public = {m.key for m in milestones(w, public_only=True)}
    assert "paper_deadline" in public
    assert "bidding_deadline" not in public
    assert "review_deadline" not in public


def test_aoe_display_is_utc_minus_twelve():
    # 11:59 UTC on 1 March is 23:59 AoE on 28 February.
    assert aoe(T0) == "Sun 28 Feb 2027, 23:59 AoE"
    html = deadline(T0)
    assert 'datetime="2027-03-01T11:59:00+00:00"' in html
    assert "23:59 AoE" in html
    assert aoe(None) == ""
