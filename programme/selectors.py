"""Reads of the programme, each with its joins built in (constant queries per page)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet

from submissions.models import Authorship, Submission, SubmissionStatus
from workshop.models import Workshop

from .models import PAPER_KINDS, Placement, ProgrammeSettings, Session, Speaker, SpeakerKind
from .permissions import programme_settings_of


def settings_or_default(workshop: Workshop) -> ProgrammeSettings:
    """The saved settings, or unsaved defaults (reading never writes)."""
    return programme_settings_of(workshop) or ProgrammeSettings(workshop=workshop)


def published_programme_workshop_ids() -> frozenset[int]:
    """Ids of the workshops whose programme is published (one query), for pages that list
    many workshops and link each one's programme."""
    return frozenset(
        ProgrammeSettings.objects.filter(published=True).values_list("workshop_id", flat=True)
    )


def sessions_with_papers(workshop: Workshop) -> QuerySet[Session]:
    """Sessions in time order with their placed papers (authors and workshop included: each
    title links to the paper's public page, which the paper's workshop decides) and speakers."""
    placements = Placement.objects.select_related(
        "submission__workshop", "presenter"
    ).prefetch_related(
        Prefetch("submission__authors", queryset=Authorship.objects.order_by("position"))
    )
    return (
        Session.objects.filter(workshop=workshop)
        .prefetch_related(
            Prefetch("placements", queryset=placements.order_by("order", "pk")),
            Prefetch("speakers", queryset=Speaker.objects.order_by("order", "name")),
        )
        .order_by("starts_at", "order", "pk")
    )


@dataclass
class Day:
    date: dt.date
    sessions: list[Session] = field(default_factory=list)


def days_of(sessions: list[Session], settings: ProgrammeSettings) -> list[Day]:
    """Sessions grouped by their start date in the programme's time zone."""
    days: dict[dt.date, Day] = {}
    zone = settings.zone
    for session in sessions:
        session.local_start = session.starts_at.astimezone(zone)
        session.local_end = session.ends_at.astimezone(zone)
        date = session.local_start.date()
        days.setdefault(date, Day(date)).sessions.append(session)
    return list(days.values())


def people_of(workshop: Workshop) -> dict[str, list[Speaker]]:
    """{"invited": [...], "organiser": [...]} in their order."""
    found: dict[str, list[Speaker]] = defaultdict(list)
    for speaker in Speaker.objects.filter(workshop=workshop).select_related("session"):
        found[speaker.kind].append(speaker)
    return {kind: found.get(kind, []) for kind in SpeakerKind.values}


def unplaced_papers(workshop: Workshop) -> QuerySet[Submission]:
    """Accepted papers of the workshop that are in no session yet."""
    return (
        Submission.objects.filter(
            workshop=workshop, status=SubmissionStatus.ACCEPTED, placement__isnull=True
        )
        .prefetch_related(Prefetch("authors", queryset=Authorship.objects.order_by("position")))
        .order_by("number")
    )


def paper_sessions(workshop: Workshop) -> list[Session]:
    """The sessions that take papers (targets of the editor's moves)."""
    return list(Session.objects.filter(workshop=workshop, kind__in=PAPER_KINDS))


def slots_by_paper(workshop: Workshop) -> dict[int, Placement]:
    """{submission id: placement with its session}, for the accepted-papers page."""
    return {
        p.submission_id: p
        for p in Placement.objects.filter(session__workshop=workshop).select_related(
            "session__workshop"
        )
    }


def placement_for_paper(workshop: Workshop, number: int) -> Placement | None:
    return (
        Placement.objects.filter(session__workshop=workshop, submission__number=number)
        .select_related("session__workshop", "submission__workshop", "presenter")
        .first()
    )


def scheduled_counts(workshop_ids: Iterable[int]) -> dict[int, int]:
    """{workshop id: accepted papers placed in a session}, one query for any number of
    workshops (the chairs' home; the editor lists the others: `unplaced_papers`)."""
    return dict(
        Placement.objects.filter(
            submission__workshop__in=list(workshop_ids),
            submission__status=SubmissionStatus.ACCEPTED,
        )
        .order_by()
        .values("submission__workshop_id")
        .annotate(n=Count("pk"))
        .values_list("submission__workshop_id", "n")
    )
