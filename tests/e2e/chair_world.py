"""The demo as a chair finds it, with the few things the demo itself leaves empty that every
chair page needs to show something: decision mails held for release (three papers of the
workshop in review decided, their mails composed) and an import job with a report (a dry
run of HotCRP's paper JSON). Shared by the browser tests of the chair's pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from reviews.management.commands.seed_demo import tasks_in_process
from reviews.models import MatchingRun, Outcome
from reviews.services.decisions import (
    decision_mails_compose,
    decision_record,
    default_categories_create,
)
from submissions.models import Submission
from transfer.models import JobKind, TransferJob
from transfer.services import transfer_job_create
from workshop.demo import DECIDED, IN_REVIEW, MAIN
from workshop.models import MailStatus, OutgoingMail, User, Workshop

CHAIR_EMAIL = "chair@example.org"
HOTCRP_PAPERS = Path(__file__).resolve().parents[1] / "data" / "transfer" / "hotcrp-papers.json"


@dataclass
class ChairWorld:
    chair: User
    main: Workshop  # call for papers open
    in_review: Workshop  # reviews in, three papers decided, their mails held
    decided: Workshop  # decisions released, a programme
    paper: Submission  # a submitted paper of the workshop in review
    run: MatchingRun  # the committed assignment run of the workshop in review
    held_mail: OutgoingMail
    job: TransferJob  # a dry-run import with its report


class _Null:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass


def build_chair_world() -> ChairWorld:
    """`seed_demo`, plus held decision mails and an import job's report (see the module)."""
    call_command("seed_demo", stdout=_Null())
    chair = User.objects.get(email=CHAIR_EMAIL)
    main, in_review, decided = (
        Workshop.objects.get(slug=spec.slug) for spec in (MAIN, IN_REVIEW, DECIDED)
    )
    papers = list(Submission.objects.filter(workshop=in_review).order_by("number"))
    categories = sorted(default_categories_create(in_review), key=lambda c: c.order)
    accept = next(c for c in categories if c.outcome == Outcome.ACCEPT)
    reject = next(c for c in categories if c.outcome == Outcome.REJECT)
    with tasks_in_process(), TestCase.captureOnCommitCallbacks(execute=True):
        for paper, category in zip(papers[:3], (accept, accept, reject), strict=True):
            decision_record(submission=paper, category=category, chair=chair)
        decision_mails_compose(workshop=in_review, chair=chair, include_reviews=True)
        job = transfer_job_create(
            workshop=main,
            chair=chair,
            kind=JobKind.IMPORT,
            fmt="hotcrp-papers",
            data=HOTCRP_PAPERS.read_bytes(),
            dry_run=True,
        )
    job.refresh_from_db()
    held = OutgoingMail.objects.filter(workshop=in_review, status=MailStatus.HELD)
    return ChairWorld(
        chair=chair,
        main=main,
        in_review=in_review,
        decided=decided,
        paper=papers[-1],
        run=MatchingRun.objects.filter(workshop=in_review).latest("pk"),
        held_mail=held.order_by("pk").first(),
        job=job,
    )
