"""The programme pages: public page and iCal feeds (across a DST change), query counts, the
accepted-papers link, the chairs' editor and CSV form, the presenter's page."""

from __future__ import annotations

import datetime as dt
import json

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programme.models import Placement, ProgrammeSettings, Session, SessionKind
from programme.services import paper_place, programme_publish
from submissions.models import SubmissionStatus
from tests.pdfs import make_pdf

from .world import AFTER_DST_END, BEFORE_DST_END, build_world, paper

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        for p, s in zip(built.accepted[:3], (built.orals, built.orals, built.posters), strict=True):
            paper_place(actor=built.chair, submission=p, session=s)
        programme_publish(actor=built.chair, workshop=built.workshop)
        yield built
        transaction.set_rollback(True)


def _url(name: str, world, *args) -> str:
    return reverse(f"programme:{name}", args=[world.workshop.slug, *args])


def _unpublish(world) -> None:
    ProgrammeSettings.objects.filter(workshop=world.workshop).update(published=False)


# --- iCal ---------------------------------------------------------------------------------------


def _events(body: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["summary"]).split(" (")[0]: e for e in cal.walk("VEVENT")}


def test_the_programme_feed_has_the_right_instants_across_the_dst_change(client, world):
    response = client.get(_url("ics", world))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content
    cal = icalendar.Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Vienna"]
    events = _events(body)
    assert set(events) == {"Orals", "Posters", "Lunch"}
    orals, posters = events["Orals"], events["Posters"]

    # 10:00 in Vienna is 08:00 UTC in summer time, 09:00 UTC after it ends (25 Oct 2026).
    def utc(event: icalendar.Event, key: str) -> dt.datetime:
        return event.decoded(key).astimezone(dt.UTC)

    assert utc(orals, "dtstart") == dt.datetime(2026, 10, 24, 8, tzinfo=dt.UTC)
    assert utc(posters, "dtstart") == dt.datetime(2026, 10, 26, 9, tzinfo=dt.UTC)
    assert utc(posters, "dtend") == dt.datetime(2026, 10, 26, 10, 30, tzinfo=dt.UTC)
    assert b"DTSTART;TZID=Europe/Vienna:20261024T100000" in body
    assert b"DTSTART;TZID=Europe/Vienna:20261026T100000" in body
    assert "ZQPROG paper 1" in str(orals["description"])
    assert str(orals["location"]) == "Hall A, TU Wien"


def test_a_session_feed_holds_that_session(client, world):
    body = client.get(_url("session_ics", world, world.posters.pk)).content
    events = _events(body)
    assert list(events) == ["Posters"]
    assert events["Posters"].decoded("dtstart") == AFTER_DST_END
    other = Session.objects.create(workshop=world.other_chair.memberships.first().workshop,
                                   title="Elsewhere", starts_at=BEFORE_DST_END,
                                   ends_at=AFTER_DST_END)  # fmt: skip
    assert client.get(_url("session_ics", world, other.pk)).status_code == 404


def test_feeds_and_page_of_an_unpublished_programme_are_for_chairs_only(client, world):
    _unpublish(world)
    for name in ("public", "ics"):
        assert client.get(_url(name, world)).status_code == 404
    client.force_login(world.authors[0])
    assert client.get(_url("public", world)).status_code == 404
    client.force_login(world.chair)
    response = client.get(_url("public", world))
    assert response.status_code == 200 and "not public yet" in response.content.decode()


# --- the public page --------------------------------------------------------------------------


def test_the_public_page_shows_workshop_times_and_utc_instants(client, world):
    html = client.get(_url("public", world)).content.decode()
    assert "Saturday 24 October 2026" in html and "Monday 26 October 2026" in html
    assert '<time datetime="2026-10-24T08:00:00+00:00">10:00</time>' in html
    assert '<time datetime="2026-10-26T09:00:00+00:00">10:00</time>' in html
    assert 'data-start="2026-10-24T08:00:00+00:00"' in html  # the viewer's time, by JS
    assert "ZQPROG paper 1" in html and "ZQPROG paper 3" in html
    assert "ZQPROG paper 4" not in html  # not placed
    assert _url("session_ics", world, world.orals.pk) in html
    assert "Edit the programme" not in html


def _page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_public_page_asks_a_constant_number_of_queries(client, world):
    url = _url("public", world)
    accepted = reverse("submissions:accepted", args=[world.workshop.slug])
    small = _page_queries(client, url)
    accepted_small = _page_queries(client, accepted)
    for n in range(10):
        session = Session.objects.create(
            workshop=world.workshop, kind=SessionKind.POSTER, title=f"More {n}",
            starts_at=AFTER_DST_END + dt.timedelta(days=1, hours=n),
            ends_at=AFTER_DST_END + dt.timedelta(days=1, hours=n + 1),
        )  # fmt: skip
        for k in range(3):
            extra = paper(world.workshop, 100 + 3 * n + k, world.authors[k],
                          SubmissionStatus.ACCEPTED)  # fmt: skip
            Placement.objects.create(session=session, submission=extra, order=k)
    from programme.services import speaker_create

    for n in range(5):
        speaker_create(actor=world.chair, workshop=world.workshop, kind="organiser", name=f"O{n}")
    html = client.get(url).content.decode()
    assert "ZQPROG paper 129" in html and "More 9" in html
    assert _page_queries(client, url) == small == 6
    # The accepted-papers page with its session links stays constant too.
    assert "Programme: More 9" in client.get(accepted).content.decode()
    assert _page_queries(client, accepted) == accepted_small


def test_the_authors_paper_page_leads_to_its_slot(client, world):
    ProgrammeSettings.objects.filter(workshop=world.workshop).update(published=True)
    placed, unplaced = world.accepted[0], world.accepted[3]
    client.force_login(world.authors[0])
    html = client.get(reverse("submissions:detail", args=[placed.pk])).content.decode()
    assert "Programme: Orals" in html
    assert reverse("programme:paper", args=[world.workshop.slug, placed.number]) in html
    client.force_login(unplaced.created_by)
    html = client.get(reverse("submissions:detail", args=[unplaced.pk])).content.decode()
    assert "Your slot" not in html


def test_the_accepted_papers_page_links_each_paper_to_its_session(client, world):
    html = client.get(reverse("submissions:accepted", args=[world.workshop.slug])).content.decode()
    link = f"{_url('public', world)}#session-{world.orals.pk}"
    assert f'<a class="session-link" href="{link}">Programme: Orals, Sat 24 Oct, 10:00</a>' in html
    assert "Programme: Posters, Mon 26 Oct, 10:00" in html
    _unpublish(world)
    html = client.get(reverse("submissions:accepted", args=[world.workshop.slug])).content.decode()
    assert "session-link" not in html


# --- the chairs' pages ------------------------------------------------------------------------


def test_the_editor_is_for_the_chairs(client, world):
    url = _url("edit", world)
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(world.authors[0])
    response = client.get(url)
    assert response.status_code == 403 and "Only the chairs" in response.content.decode()
    client.force_login(world.other_chair)
    assert client.get(url).status_code == 403
    client.force_login(world.chair)
    html = client.get(url).content.decode()
    assert 'Unplaced accepted papers (<span class="count">1</span>)' in html
    assert "ZQPROG paper 4" in html and 'data-session="' in html
    assert "programme-editor.js" in html


def test_a_drop_posts_json_and_the_move_button_redirects(client, world):
    client.force_login(world.chair)
    fourth = world.accepted[3]
    response = client.post(
        _url("place", world),
        {"submission": fourth.pk, "session": world.orals.pk, "position": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and json.loads(response.content)["ok"] is True
    assert Placement.objects.get(submission=fourth).order == 0
    response = client.post(
        _url("place", world), {"submission": world.rejected.pk, "session": world.orals.pk},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert response.status_code == 403 and "Only accepted papers" in response.json()["message"]
    response = client.post(_url("place", world), {"submission": fourth.pk, "session": "unplaced"})
    assert response.status_code == 302 and not Placement.objects.filter(submission=fourth).exists()
    client.force_login(world.authors[0])
    response = client.post(
        _url("place", world), {"submission": fourth.pk, "session": world.orals.pk}
    )
    assert response.status_code == 403
    assert not Placement.objects.filter(submission=fourth).exists()


def test_the_csv_form_reports_lines_and_places_nothing(client, world):
    client.force_login(world.chair)
    upload = SimpleUploadedFile("p.csv", b"4,Posters\n90,Orals\n", "text/csv")
    response = client.post(_url("csv", world), {"file": upload}, follow=True)
    html = response.content.decode()
    assert "line 2: #90 is not an accepted paper" in html
    assert not Placement.objects.filter(submission=world.accepted[3]).exists()
    response = client.post(_url("csv", world), {"text": "4,Posters,1"}, follow=True)
    assert "1 paper placed." in response.content.decode()
    assert Placement.objects.get(submission=world.accepted[3]).session == world.posters


def test_session_and_person_forms_use_the_programme_time_zone(client, world):
    client.force_login(world.chair)
    response = client.post(
        _url("session_new", world),
        {"kind": "panel", "title": "ZQPANEL", "room": "", "starts_at": "2026-10-26T16:00",
         "ends_at": "2026-10-26T17:00", "order": "0", "chair": ""},
    )  # fmt: skip
    assert response.status_code == 302
    panel = Session.objects.get(title="ZQPANEL")
    assert panel.starts_at == dt.datetime(2026, 10, 26, 15, tzinfo=dt.UTC)  # CET = UTC+1
    html = client.get(_url("session_edit", world, panel.pk)).content.decode()
    assert 'value="2026-10-26T16:00"' in html
    photo = SimpleUploadedFile("me.png", _png(), "image/png")
    response = client.post(
        _url("speaker_new", world),
        {"kind": "invited", "name": "ZQSPEAKER", "affiliation": "Somewhere", "bio": "**Bold**",
         "link": "https://example.org", "order": "1", "session": str(panel.pk), "photo": photo},
    )  # fmt: skip
    assert response.status_code == 302
    html = client.get(_url("public", world)).content.decode()
    assert "ZQSPEAKER" in html and "<strong>Bold</strong>" in html
    assert 'alt="Photo of ZQSPEAKER"' in html
    from programme.models import Speaker

    speaker = Speaker.objects.get(name="ZQSPEAKER")
    response = client.get(_url("speaker_photo", world, speaker.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(out, format="PNG")
    return out.getvalue()


# --- the presenter's page ---------------------------------------------------------------------


def test_the_presenter_page_confirms_and_uploads(client, world):
    url = _url("paper", world, 1)
    client.force_login(world.stranger)
    assert client.get(url).status_code == 404
    client.force_login(world.coauthor)  # an author who is not a presenter: sees, cannot act
    html = client.get(url).content.decode()
    assert "Orals" in html and "I confirm" not in html and 'type="file"' not in html
    client.force_login(world.authors[0])
    html = client.get(url).content.decode()
    assert "Saturday 24 October 2026" in html and "I confirm" in html
    response = client.post(url, {"action": "confirm"}, follow=True)
    assert "attendance is confirmed" in response.content.decode()
    bad = SimpleUploadedFile("s.pdf", b"not a pdf at all", "application/pdf")
    response = client.post(url, {"kind": "slides", "file": bad}, follow=True)
    assert "The file was not accepted" in response.content.decode()
    good = SimpleUploadedFile("s.pdf", make_pdf(pages=2), "application/pdf")
    response = client.post(url, {"kind": "slides", "file": good}, follow=True)
    assert "Slides uploaded (2 pages)" in response.content.decode()
    download = client.get(_url("material", world, 1))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_presenter_is_chosen_on_the_presenter_page(client, world):
    url = _url("paper", world, 1)
    client.force_login(world.authors[0])
    html = client.get(url).content.decode()
    assert "Who presents?" in html and world.coauthor.email in html
    response = client.post(url, {"action": "presenter", "email": world.coauthor.email}, follow=True)
    assert "Presenter: Co Author." in response.content.decode()
    client.force_login(world.coauthor)  # now the presenter: may act, not choose
    html = client.get(url).content.decode()
    assert "I confirm" in html and "Who presents?" not in html
