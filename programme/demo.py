"""The demo's programme: the decided demo workshop (OSLLM 2026) gets a published one-day
programme in Vienna: a session per topic of its call, two invited talks, breaks, a poster
session and a panel; its accepted papers placed by primary topic; invited speakers and the
organisers. Called by `seed_demo` through `settings.DEMO_SEEDERS`; idempotent (a workshop
that already has programme settings is left alone).

The demo call names no invited speakers: the two here are fictional demo people.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone

from submissions.models import Submission, SubmissionStatus
from workshop.demo import DECIDED, PEOPLE, TOPICS
from workshop.models import Role, Workshop
from workshop.policy import SYSTEM

from .models import ProgrammeSettings, SessionKind, SpeakerKind
from .services import (
    paper_place,
    programme_publish,
    programme_settings_update,
    session_create,
    speaker_create,
)

ZONE = "Europe/Vienna"
TOPIC_KIND = {
    "Algorithms": SessionKind.ORAL,
    "Evaluation": SessionKind.ORAL,
    "Transparency and safety": SessionKind.ORAL,
    "Data": SessionKind.ORAL,
    "Scale": SessionKind.LIGHTNING,
    "Community": SessionKind.LIGHTNING,
}
# (start, minutes, kind, title, room); a topic's session is titled after the topic.
SCHEDULE = (
    ("09:00", 45, SessionKind.INVITED, "Keynote: Open models as free software", "Hall A"),
    ("09:45", 40, None, "Algorithms", "Hall A"),
    ("10:25", 40, None, "Evaluation", "Hall A"),
    ("11:05", 25, SessionKind.BREAK, "Coffee break", "Foyer"),
    ("11:30", 40, None, "Transparency and safety", "Hall A"),
    ("12:10", 40, None, "Data", "Hall A"),
    ("12:50", 70, SessionKind.BREAK, "Lunch", "Foyer"),
    ("14:00", 45, SessionKind.INVITED, "Keynote: Evaluating what we share", "Hall A"),
    ("14:45", 30, None, "Scale", "Hall A"),
    ("15:15", 30, None, "Community", "Hall A"),
    ("15:45", 60, SessionKind.POSTER, "Posters and coffee", "Foyer"),
    ("16:45", 45, SessionKind.PANEL, "Panel: What openness changes for safety", "Hall A"),
)
INVITED = (
    ("Dr. Lena Freeweights", "Open Weights Collective (fictional demo speaker)",
     "Leads a community that trains and documents open models in public. Talks about what "
     "the GNU/Linux way of working teaches model builders.", 0),
    ("Prof. Omar Benchmark", "Institute for Reproducible Evaluation (fictional demo speaker)",
     "Works on evaluation harnesses, seeds and prompts that make LLM results repeatable.", 7),
)  # fmt: skip
WHAT_TO_BRING = (
    "- Oral and lightning talks: your slides as PDF (16:9), uploaded before the deadline; "
    "the room has an HDMI laptop.\n- Posters: A0 portrait, plus the PDF uploaded here.\n"
    "- Your badge from the registration desk."
)


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(ZONE))


@transaction.atomic
def seed_programme(now: dt.datetime | None = None) -> str:
    """Seed and publish the decided demo workshop's programme; returns a line to print."""
    workshop = Workshop.objects.filter(slug=DECIDED.slug).first()
    if workshop is None:
        return ""
    url = f"/programme/{workshop.slug}/"
    if ProgrammeSettings.objects.filter(workshop=workshop).exists():
        return f"{workshop.short_name} programme: {url}"
    now = now or timezone.now()
    day = (now + dt.timedelta(days=40)).astimezone(zoneinfo.ZoneInfo(ZONE)).date()
    programme_settings_update(
        actor=SYSTEM, workshop=workshop, time_zone=ZONE,
        venue="Vienna, Austria (demo venue)",
        upload_deadline=_at(day - dt.timedelta(days=3), "23:59"),
        what_to_bring=WHAT_TO_BRING,
    )  # fmt: skip
    descriptions = dict(TOPICS)
    sessions = {}
    for order, (start, minutes, kind, title, room) in enumerate(SCHEDULE):
        starts = _at(day, start)
        topic = title in descriptions
        sessions[title] = session_create(
            actor=SYSTEM, workshop=workshop, kind=kind or TOPIC_KIND[title],
            title=title,
            starts_at=starts, ends_at=starts + dt.timedelta(minutes=minutes), room=room,
            order=order, chair="Alan Areachair" if topic else "",
        )  # fmt: skip
    for order, (name, affiliation, bio, slot) in enumerate(INVITED):
        speaker_create(
            actor=SYSTEM, workshop=workshop, kind=SpeakerKind.INVITED, name=name,
            affiliation=affiliation, bio=bio, order=order,
            session=sessions[SCHEDULE[slot][3]],
        )  # fmt: skip
    organisers = [p for p in PEOPLE if p.role in (Role.CHAIR, Role.AREA_CHAIR)]
    for order, person in enumerate(organisers):
        speaker_create(
            actor=SYSTEM, workshop=workshop, kind=SpeakerKind.ORGANISER, name=person.name,
            affiliation=person.affiliation, order=order,
            bio="General chair." if person.role == Role.CHAIR else "Programme and area chair.",
        )  # fmt: skip
    accepted = Submission.objects.filter(
        workshop=workshop, status=SubmissionStatus.ACCEPTED
    ).select_related("primary_topic", "workshop")
    placed = 0
    for paper in accepted.order_by("number"):
        topic = paper.primary_topic.name if paper.primary_topic else ""
        session = sessions.get(topic) or sessions["Posters and coffee"]
        paper_place(actor=SYSTEM, submission=paper, session=session)
        placed += 1
    programme_publish(actor=SYSTEM, workshop=workshop)
    return f"{workshop.short_name} programme: {url} ({placed} papers, {len(sessions)} sessions)"
