"""The demo gains the decided workshop's programme, published, through the seed command's
DEMO_SEEDERS hook; seeding twice changes nothing."""

from __future__ import annotations

from io import StringIO

import icalendar
import pytest
from django.core.management import call_command

from programme.models import Placement, ProgrammeSettings, Session, Speaker
from submissions.models import Submission, SubmissionStatus
from workshop.demo import DECIDED, TOPICS
from workshop.models import OutgoingMail

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple:
    return (
        list(Session.objects.order_by("pk").values_list("title", "starts_at", "kind")),
        list(Placement.objects.order_by("pk").values_list("submission_id", "session_id", "order")),
        list(Speaker.objects.order_by("pk").values_list("name", "kind")),
        OutgoingMail.objects.filter(kind="programme_slot").count(),
    )


def test_the_decided_demo_workshop_has_a_published_programme(client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = _snapshot()
    call_command("seed_demo", stdout=StringIO())
    assert _snapshot() == first
    assert f"/programme/{DECIDED.slug}/" in out.getvalue()

    prog = ProgrammeSettings.objects.get(workshop__slug=DECIDED.slug)
    assert prog.published and prog.time_zone == "Europe/Vienna" and prog.upload_deadline
    titles = set(Session.objects.filter(workshop=prog.workshop).values_list("title", flat=True))
    assert {name for name, _ in TOPICS} <= titles
    accepted = Submission.objects.filter(workshop=prog.workshop, status=SubmissionStatus.ACCEPTED)
    assert accepted.count() >= 2
    assert Placement.objects.filter(submission__in=accepted).count() == accepted.count()
    for placement in Placement.objects.filter(submission__in=accepted).select_related(
        "session", "submission__primary_topic"
    ):
        assert placement.session.title == placement.submission.primary_topic.name
    kinds = sorted(Speaker.objects.filter(workshop=prog.workshop).values_list("kind", flat=True))
    assert kinds == ["invited", "invited", "organiser", "organiser"]
    assert OutgoingMail.objects.filter(kind="programme_slot").count() >= accepted.count()

    html = client.get(f"/programme/{DECIDED.slug}/").content.decode()
    assert "Ada Chair" in html and "Posters and coffee" in html
    assert accepted.first().title in html
    cal = icalendar.Calendar.from_ical(
        client.get(f"/programme/{DECIDED.slug}/programme.ics").content
    )
    assert len(list(cal.walk("VEVENT"))) == len(titles)
