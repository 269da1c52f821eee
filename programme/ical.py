"""iCalendar feeds (RFC 5545) of the programme, with the workshop's time zone as VTIMEZONE.

Events carry DTSTART/DTEND with a TZID of the programme's zone (e.g. Europe/Vienna) and a
VTIMEZONE built from the tz database, so calendars get the right instants on both sides of
a daylight saving change. Text values pass through `one_line`: the forms refuse line breaks
in one-line fields, but rows stored before that rule may hold them, and icalendar refuses a
raw line break in an unescaped property (the calendar name) with an exception.
"""

from __future__ import annotations

from collections.abc import Iterable

import icalendar
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from workshop.validators import one_line

from .models import ProgrammeSettings, Session


def _event(session: Session, prog: ProgrammeSettings, stamp) -> icalendar.Event:
    zone = prog.zone
    workshop = prog.workshop
    event = icalendar.Event()
    event.add("uid", f"session-{session.pk}@{workshop.slug}.programme")
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", one_line(f"{session.title} ({workshop.short_name})"))
    where = one_line(", ".join(x for x in (session.room, prog.venue) if x))
    if where:
        event.add("location", where)
    lines = [session.get_kind_display()]
    if session.chair:
        lines.append(f"Chair: {session.chair}")
    for placement in session.placements.all():
        lines.append(f"#{placement.submission.number} {placement.submission.title}")
    for speaker in session.speakers.all():
        lines.append(
            f"{speaker.name}" + (f" ({speaker.affiliation})" if speaker.affiliation else "")
        )
    event.add("description", "\n".join(one_line(line) for line in lines))
    url = reverse("programme:public", args=[workshop.slug]) + f"#session-{session.pk}"
    event.add("url", f"{django_settings.SITE_URL}{url}")
    return event


def calendar_for(prog: ProgrammeSettings, sessions: Iterable[Session], name: str) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Workshop paper submission and review//Programme//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", one_line(name))
    cal.add("x-wr-timezone", prog.time_zone)
    stamp = timezone.now()
    for session in sessions:
        cal.add_component(_event(session, prog, stamp))
    cal.add_missing_timezones()
    return cal.to_ical()
