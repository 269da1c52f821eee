"""The presenters' mails: their slot (on publishing, and when it changes afterwards) and
the reminders before the upload deadline (Celery beat, every 15 minutes).

Keys make both idempotent: a slot mail's key names the slot (session, start, position), so
publishing twice sends nothing new while a moved paper gets one new mail; a reminder's key
names the step (days before the deadline), so beat firing twice never sends twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone

from submissions.models import Authorship, SubmissionStatus
from workshop.activity import activity_record
from workshop.models import User, Workshop
from workshop.outbox import MailSpec, mails_queue_bulk
from workshop.policy import SYSTEM

from ..models import Placement, ProgrammeSettings

DAY = dt.timedelta(days=1)
REMINDER_STEPS = (7, 2)


def presenters_of(placements: list[Placement]) -> dict[int, list[tuple[str, User | None]]]:
    """{placement id: [(email, user)]}: the named presenter, else the contact authors."""
    contacts: dict[int, list[tuple[str, User | None]]] = {}
    for author in Authorship.objects.filter(
        submission_id__in=[p.submission_id for p in placements if p.presenter_id is None],
        is_contact=True,
    ).exclude(email=""):
        contacts.setdefault(author.submission_id, []).append((author.email, None))
    found = {}
    for placement in placements:
        if placement.presenter_id is not None:
            found[placement.pk] = [(placement.presenter.email, placement.presenter)]
        else:
            found[placement.pk] = contacts.get(placement.submission_id, [])
    return found


def _slot_signature(placement: Placement) -> str:
    session = placement.session
    raw = f"{session.pk}|{session.starts_at.isoformat()}|{session.ends_at.isoformat()}|"
    raw += f"{session.room}|{placement.order}|{placement.presenter_id}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def slot_mails_queue(workshop: Workshop, placements: list[Placement]) -> int:
    """Queue each presenter's slot mail (inside the caller's transaction); returns how many
    were new. Only for a published programme."""
    found = ProgrammeSettings.objects.filter(workshop=workshop, published=True).first()
    if found is None or not placements:
        return 0
    specs = []
    people = presenters_of(placements)
    for p in placements:
        for email, user in people[p.pk]:
            specs.append(
                MailSpec(
                    key=f"programme-slot:{p.pk}:{_slot_signature(p)}:{email}",
                    template="programme_slot",
                    to=email,
                    recipient=user,
                    context=_slot_context(p, found),
                    target=p.submission,
                )
            )
    return len(mails_queue_bulk(specs, workshop=workshop))


def unplaced_mails_queue(
    workshop: Workshop, placements: list[Placement], session_title: str, event: int
) -> int:
    """Tell the presenters of a published programme's session that it is gone (the
    placements, read before the deletion; `event` is the deletion's activity entry)."""
    found = ProgrammeSettings.objects.filter(workshop=workshop, published=True).first()
    if found is None or not placements:
        return 0
    people = presenters_of(placements)
    specs = [
        MailSpec(
            key=f"programme-unplaced:{event}:{p.pk}:{email}",
            template="programme_unplaced",
            to=email,
            recipient=user,
            context={"submission": p.submission, "session_title": session_title},
            target=p.submission,
        )
        for p in placements
        for email, user in people[p.pk]
    ]
    return len(mails_queue_bulk(specs, workshop=workshop))


def _slot_context(p: Placement, found: ProgrammeSettings) -> dict[str, object]:
    """What a presenter's mail says: the slot, the paper, the venue's settings and zone."""
    return {
        "placement": p,
        "session": p.session,
        "submission": p.submission,
        "settings": found,
        "zone": found.zone,
    }


def placements_for_mail(workshop: Workshop, **filters: object) -> list[Placement]:
    return list(
        Placement.objects.filter(session__workshop=workshop, **filters)
        .select_related("session", "submission", "presenter")
        .order_by("session__starts_at", "order")
    )


def _step_before(deadline: dt.datetime, now: dt.datetime) -> int | None:
    if now >= deadline:
        return None
    reached = [d for d in REMINDER_STEPS if now >= deadline - d * DAY]
    return min(reached) if reached else None


def presenter_reminders_queue(now: dt.datetime | None = None) -> int:
    """Queue the due upload reminders of every published programme; returns how many new
    mails were queued. Presenters who have both confirmed and uploaded get none. Side
    effects: one `programme.remind` activity entry (system) per workshop that queued some."""
    now = now or timezone.now()
    queued = 0
    for found in ProgrammeSettings.objects.filter(
        published=True, upload_deadline__gt=now, upload_deadline__lte=now + 8 * DAY
    ).select_related("workshop"):
        queued += _workshop_reminders_queue(found, now)
    return queued


@transaction.atomic
def _workshop_reminders_queue(found: ProgrammeSettings, now: dt.datetime) -> int:
    step = _step_before(found.upload_deadline, now)
    if step is None:
        return 0
    workshop = found.workshop
    pending = placements_for_mail(workshop, submission__status=SubmissionStatus.ACCEPTED)
    pending = [p for p in pending if not p.material or p.attendance_confirmed_at is None]
    people = presenters_of(pending)
    specs = [
        MailSpec(
            key=f"reminder:programme_upload:{workshop.pk}:{step}d:{p.pk}:{email}",
            template="programme_reminder",
            to=email,
            recipient=user,
            context={**_slot_context(p, found), "days": step},
            target=p.submission,
        )
        for p in pending
        for email, user in people[p.pk]
    ]
    created = mails_queue_bulk(specs, workshop=workshop)
    if created:
        activity_record(
            actor=SYSTEM,
            target=workshop,
            action="programme.remind",
            summary=f"Presenter upload reminders queued ({step} days before): {len(created)}",
            after={"queued": len(created), "step": step},
        )
    return len(created)
