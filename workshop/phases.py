"""The workshop clock: which phase a workshop is in, and whether a deadline still accepts.

Every deadline question is decided here, with the server's clock, at the moment of the
write. Milestones are aware UTC datetimes; they are *shown* in AoE (UTC-12).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from .deadlines import AOE
from .models import Workshop


class Phase(models.TextChoices):
    ANNOUNCED = "announced", "Call announced"
    SUBMISSION = "submission", "Submissions open"
    PAPER_UPLOAD = "paper_upload", "Abstracts closed, papers still open"
    BIDDING = "bidding", "Bidding"
    REVIEWING = "reviewing", "Reviewing"
    REBUTTAL = "rebuttal", "Author response"
    DISCUSSION = "discussion", "Discussion"
    DECISION = "decision", "Decisions being made"
    CAMERA_READY = "camera_ready", "Camera-ready"
    CONCLUDED = "concluded", "Concluded"


def current_phase(workshop: Workshop, now: dt.datetime | None = None) -> Phase:
    """The phase at `now`, from the milestones and the decisions-released switch.

    A milestone belongs to the phase it ends: at `paper_deadline` itself the call is closed
    (the grace period only affects whether a write is accepted, never what is advertised).
    """
    now = now or timezone.now()
    w = workshop
    if now < w.submission_opens:
        return Phase.ANNOUNCED
    if w.abstract_deadline and now < w.abstract_deadline:
        return Phase.SUBMISSION
    if now < w.paper_deadline:
        return Phase.PAPER_UPLOAD if w.abstract_deadline else Phase.SUBMISSION
    if w.bidding_deadline and now < w.bidding_deadline:
        return Phase.BIDDING
    if now < w.review_deadline:
        return Phase.REVIEWING
    if w.rebuttal_opens and w.rebuttal_closes and w.rebuttal_opens <= now < w.rebuttal_closes:
        return Phase.REBUTTAL
    if w.discussion_ends and now < w.discussion_ends:
        return Phase.DISCUSSION
    if not w.decisions_released:
        return Phase.DECISION
    if w.camera_ready_deadline and now < w.camera_ready_deadline:
        return Phase.CAMERA_READY
    return Phase.CONCLUDED


def accepts_until(deadline: dt.datetime | None, workshop: Workshop, now: dt.datetime) -> bool:
    """Whether a write due by `deadline` is still accepted at `now` (grace included)."""
    return deadline is not None and now <= deadline + workshop.grace


def call_is_open(workshop: Workshop, now: dt.datetime | None = None) -> bool:
    """New submissions and metadata edits: until the abstract deadline if there is one."""
    now = now or timezone.now()
    last = workshop.abstract_deadline or workshop.paper_deadline
    return workshop.submission_opens <= now and accepts_until(last, workshop, now)


def paper_upload_is_open(workshop: Workshop, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return workshop.submission_opens <= now and accepts_until(
        workshop.paper_deadline, workshop, now
    )


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    at: dt.datetime

    @property
    def aoe(self) -> dt.datetime:
        return self.at.astimezone(AOE)


MILESTONE_FIELDS: tuple[tuple[str, str], ...] = (
    ("submission_opens", "Submission opens"),
    ("abstract_deadline", "Abstract registration deadline"),
    ("paper_deadline", "Paper deadline"),
    ("supplementary_deadline", "Supplementary material deadline"),
    ("bidding_deadline", "Bidding deadline"),
    ("review_deadline", "Review deadline"),
    ("rebuttal_opens", "Author response opens"),
    ("rebuttal_closes", "Author response closes"),
    ("discussion_ends", "Discussion ends"),
    ("notification_date", "Notification of decisions"),
    ("camera_ready_deadline", "Camera-ready deadline"),
)

PUBLIC_MILESTONES = frozenset(
    {
        "submission_opens",
        "abstract_deadline",
        "paper_deadline",
        "supplementary_deadline",
        "rebuttal_opens",
        "rebuttal_closes",
        "notification_date",
        "camera_ready_deadline",
    }
)


def milestones(workshop: Workshop, *, public_only: bool = False) -> list[Milestone]:
    """The set milestones in date order (the public ones only, for visitors)."""
    items = [
        Milestone(key, label, getattr(workshop, key))
        for key, label in MILESTONE_FIELDS
        if getattr(workshop, key) is not None and (not public_only or key in PUBLIC_MILESTONES)
    ]
    return sorted(items, key=lambda m: m.at)


def next_milestone(workshop: Workshop, now: dt.datetime | None = None) -> Milestone | None:
    now = now or timezone.now()
    return next((m for m in milestones(workshop) if m.at > now), None)


# Which workshop a chair's desk opens on, first to last: the one deciding, then the ones in
# discussion, response, reviewing, ...; a workshop whose call is open or that has ended last.
DESK_ORDER = [
    Phase.DECISION, Phase.DISCUSSION, Phase.REBUTTAL, Phase.REVIEWING, Phase.BIDDING,
    Phase.CAMERA_READY, Phase.PAPER_UPLOAD, Phase.SUBMISSION, Phase.ANNOUNCED, Phase.CONCLUDED,
]  # fmt: skip


def most_pressing(workshops: list[Workshop], now: dt.datetime | None = None) -> Workshop:
    """The workshop of these whose phase comes first in `DESK_ORDER` (the newest on a tie)."""
    now = now or timezone.now()
    return min(workshops, key=lambda w: (DESK_ORDER.index(current_phase(w, now)), -w.pk))
