"""The programme's services: placement rules, the CSV import, presenters, mails."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from programme.models import Placement, ProgrammeSettings
from programme.services import (
    CsvRefused,
    attendance_confirm,
    material_upload,
    paper_place,
    paper_unplace,
    papers_place_csv,
    presenter_reminders_queue,
    programme_publish,
    session_create,
    session_delete,
    session_update,
    speaker_create,
)
from submissions.filechecks import FileCheckError
from submissions.models import SubmissionStatus
from tests.pdfs import make_pdf
from workshop.errors import DeadlinePassed, NotAllowed, NotFound, ServiceError
from workshop.models import Activity, OutgoingMail
from workshop.policy import SYSTEM

from .world import BEFORE_DST_END, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def _entries(action: str) -> int:
    return Activity.objects.filter(action=action).count()


def _order(session) -> list[int]:
    return list(session.placements.order_by("order").values_list("submission__number", flat=True))


def _publish(world, deadline_days: float | None = None) -> None:
    if deadline_days is not None:
        ProgrammeSettings.objects.filter(workshop=world.workshop).update(
            upload_deadline=timezone.now() + dt.timedelta(days=deadline_days)
        )
    programme_publish(actor=world.chair, workshop=world.workshop)


# --- placements -------------------------------------------------------------------------------


def test_a_chair_places_an_accepted_paper_with_one_log_entry(world):
    placement = paper_place(actor=world.chair, submission=world.accepted[0], session=world.orals)
    assert placement.session == world.orals and placement.order == 0
    assert _entries("programme.place") == 1
    entry = Activity.objects.get(action="programme.place")
    assert entry.submission_id == world.accepted[0].pk and "Orals" in entry.summary


def test_only_accepted_papers_are_placed(world):
    with pytest.raises(NotAllowed, match="Only accepted papers"):
        paper_place(actor=world.chair, submission=world.rejected, session=world.orals)
    world.accepted[1].status = SubmissionStatus.WITHDRAWN
    world.accepted[1].save()
    with pytest.raises(NotAllowed):
        paper_place(actor=world.chair, submission=world.accepted[1], session=world.orals)
    assert not Placement.objects.exists() and _entries("programme.place") == 0


def test_nobody_but_the_workshops_chairs_places(world):
    # Unpublished: the programme does not exist for them (404); published: 403.
    for actor in (world.authors[0], world.other_chair, world.stranger):
        with pytest.raises(NotFound):
            paper_place(actor=actor, submission=world.accepted[0], session=world.orals)
    _publish(world)
    for actor in (world.authors[0], world.other_chair):
        with pytest.raises(NotAllowed, match="Only the chairs"):
            paper_place(actor=actor, submission=world.accepted[0], session=world.orals)
    assert not Placement.objects.exists()


def test_a_break_takes_no_papers(world):
    with pytest.raises(ServiceError, match="break"):
        paper_place(actor=world.chair, submission=world.accepted[0], session=world.lunch)


def test_a_paper_has_one_placement_moves_and_reorders(world):
    a, b, c = world.accepted[:3]
    for p in (a, b, c):
        paper_place(actor=world.chair, submission=p, session=world.orals)
    assert _order(world.orals) == [1, 2, 3]
    paper_place(actor=world.chair, submission=c, session=world.orals, position=0)
    assert _order(world.orals) == [3, 1, 2]
    paper_place(actor=world.chair, submission=a, session=world.posters)
    assert Placement.objects.filter(submission=a).count() == 1
    assert _order(world.orals) == [3, 2] and _order(world.posters) == [1]
    paper_unplace(actor=world.chair, submission=c)
    assert _order(world.orals) == [2]
    assert _entries("programme.place") == 5 and _entries("programme.unplace") == 1


def test_sessions_are_checked_and_logged(world):
    start = BEFORE_DST_END + dt.timedelta(days=1)
    with pytest.raises(ServiceError, match="end after"):
        session_create(actor=world.chair, workshop=world.workshop, kind="oral", title="X",
                       starts_at=start, ends_at=start)  # fmt: skip
    with pytest.raises(ServiceError, match="already a session"):
        session_create(actor=world.chair, workshop=world.workshop, kind="oral", title="Orals",
                       starts_at=start, ends_at=start + dt.timedelta(hours=1))  # fmt: skip
    paper_place(actor=world.chair, submission=world.accepted[0], session=world.orals)
    with pytest.raises(ServiceError, match="Move this session's papers"):
        session_update(actor=world.chair, session=world.orals, kind="break")
    session_update(actor=world.chair, session=world.orals, room="Hall B")
    assert _entries("programme.session_update") == 1
    speaker = speaker_create(actor=world.chair, workshop=world.workshop, kind="invited",
                             name="Dr. Keynote", session=world.lunch)  # fmt: skip
    assert speaker.pk and _entries("programme.speaker_create") == 1


# --- CSV --------------------------------------------------------------------------------------


def test_the_csv_import_places_everything_or_nothing(world):
    bad = "\n".join([
        "paper_number,session_title,order",
        "1,Orals,1",
        "90,Orals",          # rejected
        "77,Orals",          # no such paper
        "2,Nowhere",         # no such session
        "3,Lunch",           # a break
        "1,Posters",         # twice
        "4,Posters,zero",    # bad order
        "just one cell",
    ])  # fmt: skip
    with pytest.raises(CsvRefused) as refused:
        papers_place_csv(actor=world.chair, workshop=world.workshop, text=bad)
    errors = refused.value.errors
    assert [e.split(":")[0] for e in errors] == [f"line {n}" for n in (3, 4, 5, 6, 7, 8, 9)]
    assert "#90 is not an accepted paper" in errors[0]
    assert "no paper #77" in errors[1] and "'Nowhere'" in errors[2] and "break" in errors[3]
    assert "already on line 2" in errors[4]
    assert not Placement.objects.exists() and _entries("programme.place_csv") == 0

    placed = papers_place_csv(
        actor=world.chair, workshop=world.workshop, text="1,orals,2\n2,Orals,1\n3,Posters\n"
    )
    assert placed == 3
    assert _order(world.orals) == [2, 1] and _order(world.posters) == [3]
    assert _entries("programme.place_csv") == 1 and _entries("programme.place") == 0


def test_the_csv_import_is_for_chairs_only(world):
    _publish(world)
    with pytest.raises(NotAllowed):
        papers_place_csv(actor=world.authors[0], workshop=world.workshop, text="1,Orals")
    assert not Placement.objects.exists()


# --- presenters -------------------------------------------------------------------------------


def _upload(data: bytes, name: str = "slides.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, "application/pdf")


def test_presenters_confirm_once_and_others_cannot(world):
    paper = world.accepted[0]
    paper_place(actor=world.chair, submission=paper, session=world.orals)
    with pytest.raises(NotFound):  # not published yet: no slot to see
        attendance_confirm(actor=world.authors[0], submission=paper)
    _publish(world)
    with pytest.raises(NotAllowed, match="presenter or contact authors"):
        attendance_confirm(actor=world.coauthor, submission=paper)  # an author, not contact
    with pytest.raises(NotFound):
        attendance_confirm(actor=world.stranger, submission=paper)
    placement = attendance_confirm(actor=world.authors[0], submission=paper)
    assert placement.attendance_confirmed_at is not None
    attendance_confirm(actor=world.authors[0], submission=paper)
    assert _entries("programme.confirm") == 1
    # A named presenter confirms too.
    Placement.objects.filter(pk=placement.pk).update(
        presenter=world.coauthor, attendance_confirmed_at=None
    )
    attendance_confirm(actor=world.coauthor, submission=paper)
    assert _entries("programme.confirm") == 2


def test_slides_go_through_the_paper_pdf_checks(world):
    paper = world.accepted[0]
    paper_place(actor=world.chair, submission=paper, session=world.orals)
    _publish(world, deadline_days=3)
    with pytest.raises(FileCheckError, match="not a PDF"):
        material_upload(actor=world.authors[0], submission=paper, kind="slides",
                        upload=_upload(b"PK\x03\x04 a zip, not slides", "slides.pdf"))  # fmt: skip
    with pytest.raises(FileCheckError):
        material_upload(actor=world.authors[0], submission=paper, kind="slides",
                        upload=_upload(make_pdf(javascript=True)))  # fmt: skip
    assert not Placement.objects.get(submission=paper).material
    placement = material_upload(
        actor=world.authors[0], submission=paper, kind="slides", upload=_upload(make_pdf(pages=3))
    )
    assert placement.material and placement.material_pages == 3
    assert placement.material_kind == "slides" and len(placement.material_sha256) == 64
    assert _entries("programme.material") == 1
    with pytest.raises(NotAllowed):
        material_upload(actor=world.coauthor, submission=paper, kind="slides",
                        upload=_upload(make_pdf()))  # fmt: skip


def test_after_the_upload_deadline_presenters_are_refused(world):
    paper = world.accepted[0]
    paper_place(actor=world.chair, submission=paper, session=world.orals)
    _publish(world, deadline_days=-1)
    with pytest.raises(DeadlinePassed):
        material_upload(actor=world.authors[0], submission=paper, kind="poster",
                        upload=_upload(make_pdf()))  # fmt: skip
    with pytest.raises(DeadlinePassed):
        attendance_confirm(actor=world.authors[0], submission=paper)


# --- mails ------------------------------------------------------------------------------------


def _slot_mails() -> list[str]:
    return sorted(OutgoingMail.objects.filter(kind="programme_slot").values_list("to", flat=True))


def test_publishing_mails_each_presenter_their_slot_once(world):
    a, b = world.accepted[:2]
    paper_place(actor=world.chair, submission=a, session=world.orals)
    paper_place(actor=world.chair, submission=b, session=world.posters)
    assert _slot_mails() == []  # not published: nothing to tell yet
    ProgrammeSettings.objects.filter(workshop=world.workshop).update(
        what_to_bring="ZQBRING a charged laptop",
        upload_deadline=timezone.now() + dt.timedelta(days=20),
    )
    assert programme_publish(actor=world.chair, workshop=world.workshop) == 2
    assert _slot_mails() == sorted([world.authors[0].email, world.authors[1].email])
    mail = OutgoingMail.objects.get(kind="programme_slot", to=world.authors[0].email)
    assert "Orals" in mail.subject and "ZQBRING a charged laptop" in mail.body_text
    assert "Saturday 24 October 2026, 10:00" in mail.body_text  # Vienna time
    assert f"/programme/{world.workshop.slug}/paper/1/" in mail.body_text
    assert mail.submission_id == a.pk
    # Hiding and publishing again, or placing it in the same slot, sends nothing new.
    programme_publish(actor=world.chair, workshop=world.workshop, publish=False)
    assert programme_publish(actor=world.chair, workshop=world.workshop) == 0
    paper_place(actor=world.chair, submission=a, session=world.orals, position=0)
    assert len(_slot_mails()) == 2
    # A change after publishing: one new mail to that presenter.
    paper_place(actor=world.chair, submission=a, session=world.posters, position=1)
    assert _slot_mails().count(world.authors[0].email) == 2
    assert _slot_mails().count(world.authors[1].email) == 1


def test_upload_reminders_are_queued_once_per_step(world):
    a, b, c = world.accepted[:3]
    for p in (a, b, c):
        paper_place(actor=world.chair, submission=p, session=world.orals)
    _publish(world, deadline_days=5)
    # b is done: confirmed and uploaded; a and c are not.
    attendance_confirm(actor=world.authors[1], submission=b)
    material_upload(actor=world.authors[1], submission=b, kind="slides",
                    upload=_upload(make_pdf()))  # fmt: skip
    now = timezone.now()
    assert presenter_reminders_queue(now) == 2
    assert presenter_reminders_queue(now) == 0  # beat firing twice
    assert presenter_reminders_queue(now + dt.timedelta(hours=1)) == 0
    reminded = sorted(
        OutgoingMail.objects.filter(kind="programme_reminder").values_list("to", flat=True)
    )
    assert reminded == sorted([world.authors[0].email, world.authors[2].email])
    assert _entries("programme.remind") == 1
    # The 2-day step is a new reminder, once.
    later = now + dt.timedelta(days=3, hours=1)
    assert presenter_reminders_queue(later) == 2
    assert presenter_reminders_queue(later) == 0
    # The beat task runs the same function.
    from programme.tasks import presenter_reminders_tick

    assert presenter_reminders_tick.delay().get() == 0


def test_the_system_actor_builds_a_programme(world):
    placement = paper_place(actor=SYSTEM, submission=world.accepted[3], session=world.posters)
    entry = Activity.objects.get(action="programme.place")
    assert placement.pk and entry.actor is None


def test_a_session_moved_after_publishing_mails_its_presenters_again(world):
    paper_place(actor=world.chair, submission=world.accepted[0], session=world.orals)
    _publish(world)
    assert _slot_mails() == [world.authors[0].email]
    session_update(actor=world.chair, session=world.orals, chair="ZQ Chair")  # no slot change
    assert len(_slot_mails()) == 1
    later = world.orals.starts_at + dt.timedelta(hours=1)
    session_update(actor=world.chair, session=world.orals, starts_at=later,
                   ends_at=later + dt.timedelta(hours=1))  # fmt: skip
    assert _slot_mails() == [world.authors[0].email] * 2
    newest = OutgoingMail.objects.filter(kind="programme_slot").order_by("-pk").first()
    assert "11:00" in newest.body_text


def test_deleting_a_published_session_tells_its_presenters_once(world):
    a, b = world.accepted[:2]
    paper_place(actor=world.chair, submission=a, session=world.orals)
    paper_place(actor=world.chair, submission=b, session=world.posters)
    _publish(world)
    session_delete(actor=world.chair, session=world.orals)
    gone = OutgoingMail.objects.filter(kind="programme_unplaced")
    assert [m.to for m in gone] == [world.authors[0].email]  # not the posters' presenter
    assert "Orals" in gone.get().subject and "#1" in gone.get().body_text
    assert not Placement.objects.filter(submission=a).exists()
    assert _entries("programme.session_delete") == 1


def test_deleting_a_session_of_an_unpublished_programme_mails_nobody(world):
    paper_place(actor=world.chair, submission=world.accepted[0], session=world.orals)
    session_delete(actor=world.chair, session=world.orals)
    assert not OutgoingMail.objects.filter(kind="programme_unplaced").exists()


def test_the_contact_author_names_a_co_author_as_presenter(world):
    from programme.services import presenter_choose

    paper = world.accepted[0]
    paper_place(actor=world.chair, submission=paper, session=world.orals)
    _publish(world)
    with pytest.raises(NotAllowed):
        presenter_choose(actor=world.coauthor, submission=paper, email=world.coauthor.email)
    with pytest.raises(ServiceError, match="one of the paper's authors"):
        presenter_choose(actor=world.authors[0], submission=paper, email=world.stranger.email)
    placement = presenter_choose(
        actor=world.authors[0], submission=paper, email=world.coauthor.email.upper()
    )
    assert placement.presenter == world.coauthor
    assert _entries("programme.presenter") == 1
    # The new presenter gets their slot mail and may now act.
    assert world.coauthor.email in _slot_mails()
    attendance_confirm(actor=world.coauthor, submission=paper)
    presenter_choose(actor=world.chair, submission=paper, email="")
    assert Placement.objects.get(submission=paper).presenter is None
    assert _entries("programme.presenter") == 2
