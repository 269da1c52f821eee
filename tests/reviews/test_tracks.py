"""Tracks (issue 27, part 4): a track chair's desk shows and decides their track's papers
only, their mail reaches their track's people only, and the desk's query count does not grow
with tracks (pinned: the same with and without tracks, at 20 and at 200 papers)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.admin.decisions import DecisionBoardAdmin
from reviews.models import Decision, DecisionCategory
from reviews.services.decisions import decision_record
from submissions.models import Submission
from tests.factories import UserFactory, WorkshopFactory
from tests.reviews.desk import desk_build
from workshop.errors import NotFound
from workshop.models import OutgoingMail, Role, Track, TrackMember
from workshop.policy import can
from workshop.track_services import track_member_grant, track_member_revoke

pytestmark = pytest.mark.django_db
PAGE = 25


def _tracked(desk):  # type: ignore[no-untyped-def]
    """Split the desk's papers: every third in "findings", the others in "main"; a chair
    of "findings" (a track chair, no role in the workshop)."""
    main = Track.objects.create(workshop=desk.workshop, name="Main", slug="main", order=1)
    findings = Track.objects.create(workshop=desk.workshop, name="Findings", slug="findings")
    ids = [p.pk for p in desk.papers]
    in_findings = ids[::3]
    Submission.objects.filter(pk__in=ids).exclude(pk__in=in_findings).update(track=main)
    Submission.objects.filter(pk__in=in_findings).update(track=findings)
    chair = UserFactory(name=f"Findings chair {desk.workshop.slug}")
    track_member_grant(track=findings, user=chair, role=Role.CHAIR)
    chair.refresh_from_db()
    return findings, chair, set(in_findings)


@pytest.fixture(scope="module")
def desks(django_db_setup, django_db_blocker):
    """Three workshops: 20 papers without tracks, 20 and 200 papers with two tracks."""
    with django_db_blocker.unblock(), transaction.atomic():
        plain = desk_build(WorkshopFactory(slug="trk-plain", short_name="PLAIN"), 20)
        small = desk_build(WorkshopFactory(slug="trk-small", short_name="TSMALL"), 20)
        large = desk_build(WorkshopFactory(slug="trk-large", short_name="TLARGE"), 200)
        tracked = {"small": (small, *_tracked(small)), "large": (large, *_tracked(large))}
        yield plain, tracked
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _small_pages(monkeypatch):
    monkeypatch.setattr(DecisionBoardAdmin, "list_per_page", PAGE)


def board(desk, **params) -> str:  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={v}" for k, v in {"workshop": desk.workshop.pk, **params}.items())
    return reverse("admin:reviews_decisionboard_changelist") + "?" + query


def queries(client, user, url: str) -> int:  # type: ignore[no-untyped-def]
    client.force_login(user)
    assert client.get(url).status_code == 200, url  # warm-up (session, categories)
    counts = []
    for _ in range(2):  # the fewer of two: a cached session's refill adds one now and then
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, url
        counts.append(len(ctx.captured_queries))
    return min(counts)


def test_the_desk_runs_as_many_queries_with_tracks_as_without(client, desks):
    plain, tracked = desks
    small, _, track_chair, _ = tracked["small"]
    large, _, large_track_chair, _ = tracked["large"]
    for params in ({}, {"p": 1}, {"sort": "-mean"}, {"q": "topic%3Adata"}):
        without = queries(client, plain.chair, board(plain, **params))
        assert queries(client, small.chair, board(small, **params)) == without, params
        by_track_chair = queries(client, track_chair, board(small, **params))
        assert by_track_chair == queries(client, large_track_chair, board(large, **params))
        # The track chair's scope is one more reading of their tracks, nothing per row.
        assert by_track_chair <= without + 2, (params, by_track_chair, without)
    assert queries(client, large_track_chair, board(large, p=3)) == queries(
        client, large_track_chair, board(large, p=1)
    )


def test_a_track_chair_sees_their_tracks_papers_only(client, desks):
    _, tracked = desks
    large, _, track_chair, in_findings = tracked["large"]
    client.force_login(track_chair)
    html = client.get(board(large)).content.decode()
    assert f"of {len(in_findings)}" in html  # "Papers 1–25 of 67"
    export = client.get(
        reverse("admin:reviews_decisions_export") + f"?workshop={large.workshop.pk}"
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    numbers = {p.number for p in large.papers if p.pk in in_findings}
    assert rows and {int(r["number"]) for r in rows} == numbers
    # The workshop-wide pages stay the chairs'.
    plots = reverse("admin:reviews_decisions_plots") + f"?workshop={large.workshop.pk}"
    assert client.get(plots).status_code == 404
    mails = reverse("admin:reviews_decision_mails", args=[large.workshop.pk])
    assert client.get(mails).status_code == 404
    # The workshop's configuration is not theirs.
    change = reverse("admin:workshop_workshop_change", args=[large.workshop.pk])
    assert client.get(change).status_code in (403, 404)


def test_a_track_chair_decides_their_tracks_papers_only(client, desks):
    _, tracked = desks
    small, _, track_chair, in_findings = tracked["small"]
    accept = DecisionCategory.objects.filter(workshop=small.workshop, outcome="accept").first()
    papers = Submission.objects.filter(workshop=small.workshop, decision__isnull=True)
    mine = papers.filter(pk__in=in_findings).first()
    theirs = papers.exclude(pk__in=in_findings).first()
    assert can(track_chair, "decisions.decide", mine)
    assert not can(track_chair, "decisions.decide", theirs)
    with pytest.raises(NotFound):  # another track's paper: not even known to exist
        decision_record(submission=theirs, category=accept, chair=track_chair)
    client.force_login(track_chair)
    before = Decision.objects.filter(submission=theirs).values_list("category_id").first()
    client.post(
        reverse("admin:reviews_decisions_save"),
        {"workshop": small.workshop.pk, f"decision-{mine.pk}": accept.pk,
         f"decision-{theirs.pk}": accept.pk},
    )  # fmt: skip
    assert Decision.objects.get(submission=mine).category_id == accept.pk
    assert Decision.objects.filter(submission=theirs).values_list("category_id").first() == before


def test_a_track_chairs_mail_reaches_their_tracks_people_only(client, desks):
    _, tracked = desks
    small, _, track_chair, in_findings = tracked["small"]
    client.force_login(track_chair)
    url = reverse("admin:reviews_mail_compose", args=[small.workshop.pk])
    mail = {"do": "hold", "recipients": "reviewers", "q": "", "token": "k" * 24,
            "subject": "Findings news", "body": "Dear {name}, #{paper_number}"}  # fmt: skip
    client.post(url, mail)
    held = OutgoingMail.objects.filter(kind="chair_mail", subject="Findings news")
    papers = set(held.values_list("submission_id", flat=True))
    assert papers and papers <= in_findings
    # Releasing is the workshop chairs' (`workshop.send_mail`).
    assert not can(track_chair, "workshop.send_mail", small.workshop)
    assert can(small.chair, "workshop.send_mail", small.workshop)


def test_revoking_the_last_track_chair_role_drops_admin_access(desks):
    _, tracked = desks
    small, findings, _, _ = tracked["small"]
    user = UserFactory()
    track_member_grant(track=findings, user=user, role=Role.CHAIR)
    user.refresh_from_db()
    assert user.is_staff and can(user, "decisions.decide", small.workshop)
    track_member_revoke(track=findings, user=user, role=Role.CHAIR)
    user.refresh_from_db()
    assert not user.is_staff
    assert not TrackMember.objects.filter(user=user).exists()
