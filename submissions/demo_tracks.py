"""The demo's tracks (issue 27, part 4): the workshop being reviewed (SLM 2026) has a main
track and a findings track, with its own short-paper type and a track chair,
findings@example.org, whose chair tools show the findings papers only. Called by
`seed_demo` through `settings.DEMO_SEEDERS`; idempotent."""

from __future__ import annotations

from django.db import transaction

from workshop.demo import IN_REVIEW, DemoPerson, _user
from workshop.models import Role, Track, Workshop
from workshop.track_services import track_member_grant

from .models import Submission, SubmissionType

TRACK_CHAIR_EMAIL = "findings@example.org"


@transaction.atomic
def seed_tracks() -> str:
    workshop = Workshop.objects.filter(slug=IN_REVIEW.slug).first()
    if workshop is None:
        return ""
    main, _ = Track.objects.get_or_create(
        workshop=workshop, slug="main",
        defaults={"name": "Main", "order": 1, "description": "Full and short papers."},
    )  # fmt: skip
    findings, created = Track.objects.get_or_create(
        workshop=workshop, slug="findings",
        defaults={"name": "Findings", "order": 2,
                  "description": "Negative results, replications and short findings."},
    )  # fmt: skip
    SubmissionType.objects.get_or_create(
        workshop=workshop, name="Finding", defaults={"page_limit": 4, "track": findings}
    )
    if created:
        papers = list(workshop.submissions.order_by("number").values_list("pk", flat=True))
        # Every third paper is a finding; the others are the main track's.
        Submission.objects.filter(pk__in=papers[2::3]).update(track=findings)
        Submission.objects.filter(workshop=workshop, track__isnull=True).update(track=main)
    chair = _user(DemoPerson(TRACK_CHAIR_EMAIL, "Fatima Findings", "Replication Lab", None))
    track_member_grant(track=findings, user=chair, role=Role.CHAIR)
    return (
        f"{workshop.short_name} has a findings track, chaired by {TRACK_CHAIR_EMAIL} "
        "(the chair tools show the findings papers only)"
    )
