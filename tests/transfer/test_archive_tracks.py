"""Tracks travel in the workshop archive (issue 27, part 4): the tracks with their topics,
their chairs and committee, and each paper's track come back as they were."""

from __future__ import annotations

import pytest

from submissions.models import Submission, SubmissionType
from tests.policy_spec import TRACK_ROLE, build_tracks, build_world
from transfer.archive import _models, archive_export, archive_restore, archive_rows
from transfer.report import Report
from workshop.models import Role, Track, TrackMember, User, Workshop
from workshop.policy import SYSTEM

pytestmark = pytest.mark.django_db


def _wipe(workshop: Workshop) -> None:
    Submission.objects.filter(workshop=workshop).update(
        paper=None, supplementary=None, camera_ready=None
    )
    for _, model, path in reversed(_models()):
        model.objects.filter(**{path: workshop.pk}).delete()


def test_tracks_their_people_and_the_papers_tracks_come_back():
    world = build_world()
    build_tracks(world)
    findings = world.extra["findings"]
    findings.topics.set([world.a.topics.first()])
    SubmissionType.objects.create(workshop=world.a, track=findings, name="Finding", page_limit=4)
    chair_email = User.objects.get(pk=world.users[TRACK_ROLE]).email
    workshop = Workshop.objects.get(pk=world.a.pk)
    before = archive_rows(workshop)
    assert len(before["workshop.Track"]) == 2 and len(before["workshop.TrackMember"]) == 1
    data = archive_export(workshop=workshop)
    emails = [row["email"] for row in before["workshop.User"]]
    _wipe(workshop)
    User.objects.filter(email__in=emails).delete()
    assert not Track.objects.filter(workshop__slug="mx-alpha").exists()

    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report)
    assert report.ok, report.errors
    assert archive_rows(restored) == before
    tracks = {t.slug: t for t in restored.tracks.all()}
    assert set(tracks) == {"main", "findings"}
    assert [t.name for t in tracks["findings"].topics.all()] == ["Evaluation"]
    chair = TrackMember.objects.get(track=tracks["findings"])
    assert chair.role == Role.CHAIR and chair.user.email == chair_email
    by_number = dict(restored.submissions.values_list("number", "track__slug"))
    assert by_number == {1: "main", 2: "main", 3: "main", 4: "findings"}
    assert SubmissionType.objects.get(workshop=restored, name="Finding").track == tracks["findings"]
