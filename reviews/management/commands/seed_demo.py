from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand
from django.test import override_settings
from django.utils.module_loading import import_string

from reviews.demo import (
    seed_committee,
    seed_decided,
    seed_reviews,
    shift_to_bidding,
    shift_to_reviewing,
)
from reviews.demo_rounds import seed_second_round
from reviews.services.reviewing import default_form_create
from submissions.demo import MORE_PAPERS, PAPERS, seed_submissions
from submissions.demo_fields import seed_fields
from workshop.demo import (
    DECIDED,
    DEMO_PASSWORD,
    IN_REVIEW,
    MAIN,
    PEOPLE,
    REVIEWING,
    seed_workshop,
)


@contextmanager
def tasks_in_process() -> Iterator[None]:
    """Run every task the demo enqueues here and now, as the embedded mode always does.

    With REDIS_URL set, tasks would be published for a worker that `make run` does not start:
    the demo's matching run would stay queued (and its commit be refused), its files
    unchecked. Run in-process, the demo is the same whichever broker is configured.
    """
    from workshop.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
            yield
    finally:
        app.conf.task_always_eager = eager


class Command(BaseCommand):
    help = "Create the demo workshops with committee, papers and bids (idempotent); print logins."

    def handle(self, *args, **options) -> None:
        # The demo's own mails (receipts, invitations, notices) are kept in the outbox
        # (chairs see them in the admin) instead of flooding the console or reaching a mail
        # server: they are delivered in-process, to memory, like every task of the demo.
        memory = "django.core.mail.backends.locmem.EmailBackend"
        with tasks_in_process(), override_settings(EMAIL_BACKEND=memory):
            self.seed()

    def seed(self) -> None:
        main, _ = seed_workshop(MAIN)
        seed_submissions(main, PAPERS)
        seed_committee(main, with_bids=False)
        bidding, created = seed_workshop(REVIEWING)
        seed_submissions(bidding, PAPERS + MORE_PAPERS)
        if created:
            shift_to_bidding(bidding)
        seed_committee(bidding, with_bids=True)
        in_review, created = seed_workshop(IN_REVIEW)
        seed_submissions(in_review, PAPERS + MORE_PAPERS)
        seed_committee(in_review, with_bids=True)
        if created:
            shift_to_reviewing(in_review)
        seed_reviews(in_review)
        decided, created = seed_workshop(DECIDED)
        seed_submissions(decided, PAPERS + MORE_PAPERS[:3])
        seed_committee(decided, with_bids=True)
        if created:
            shift_to_reviewing(decided)
        seed_decided(decided)
        for workshop in (main, bidding):
            default_form_create(workshop)
        # Apps above this one seed their part (settings.DEMO_SEEDERS), e.g. the programme.
        extras = [seed_fields()]  # the open call's custom questions (issue 27)
        extras.append(seed_second_round())  # a paper in its second review round (issue 27)
        extras += [import_string(dotted)() for dotted in getattr(settings, "DEMO_SEEDERS", [])]
        self.stdout.write(self.style.SUCCESS("Demo workshops ready:"))
        self.stdout.write(f"  {main.name} (call for papers open)")
        self.stdout.write(f"  {bidding.name} (bidding open)")
        self.stdout.write(f"  {in_review.name} (reviewing: assignments, reviews, discussion)")
        self.stdout.write(f"  {decided.name} (decisions out: accepted papers, camera-ready)")
        for line in extras:
            if line:
                self.stdout.write(f"  {line}")
        self.stdout.write(f"All demo accounts use the password: {DEMO_PASSWORD}")
        for person in PEOPLE:
            role = person.role.replace("_", " ") if person.role else "author"
            self.stdout.write(f"  {role:<11} {person.email:<28} {person.name}")
        self.stdout.write(f"Open {settings.SITE_URL}/ (chair tools: {settings.SITE_URL}/admin/).")
