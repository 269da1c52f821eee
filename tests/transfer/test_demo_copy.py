"""A copy inside the same deployment of the demo's decided workshop (issue 23): the README's
`transfer_import archive ... --slug ...-copy`, which failed with a UNIQUE constraint on the
outbox key for any workshop that had sent mail. The copy holds what the original holds and
sends nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from reviews.models import Decision, Review
from submissions.models import Submission
from workshop.models import MailStatus, Membership, OutgoingMail, Workshop

pytestmark = pytest.mark.django_db

DECIDED = "osllm-2026"  # the demo's workshop past its decisions, with its mail sent


def counts(workshop: Workshop) -> dict[str, object]:
    return {
        "papers": sorted(
            Submission.objects.filter(workshop=workshop).values_list("number", "title", "status")
        ),
        "reviews": Review.objects.filter(assignment__submission__workshop=workshop).count(),
        "decisions": sorted(
            Decision.objects.filter(submission__workshop=workshop).values_list(
                "submission__number", "category__name"
            )
        ),
        "members": sorted(
            Membership.objects.filter(workshop=workshop).values_list("user__email", "role")
        ),
        "mails": OutgoingMail.objects.filter(workshop=workshop).count(),
    }


def test_the_demo_decided_workshop_copies_within_the_deployment(tmp_path):
    call_command("seed_demo", stdout=StringIO())
    source = Workshop.objects.get(slug=DECIDED)
    assert OutgoingMail.objects.filter(workshop=source).exists()  # it has mail to copy
    archive = tmp_path / "decided.zip"
    call_command("transfer_export", "--workshop", DECIDED, "-o", str(archive), stdout=StringIO())
    waiting = OutgoingMail.objects.filter(status=MailStatus.QUEUED).count()

    call_command(
        "transfer_import", "archive", str(archive), "--slug", f"{DECIDED}-copy", stdout=StringIO()
    )

    copy = Workshop.objects.get(slug=f"{DECIDED}-copy")
    assert counts(copy) == counts(source)
    assert counts(copy)["reviews"] and counts(copy)["decisions"]
    # A restore sends nothing: no mail of the copy waits for delivery.
    assert OutgoingMail.objects.filter(status=MailStatus.QUEUED).count() == waiting
    assert not OutgoingMail.objects.filter(workshop=copy, status=MailStatus.QUEUED).exists()
