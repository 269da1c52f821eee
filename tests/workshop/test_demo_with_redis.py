"""`make run` with `REDIS_URL` set seeds the same demo as the embedded default, with no worker.

With a broker, tasks are published instead of run in-process, and nothing may be waiting for
a worker that `make run` never starts: the matching run of the reviewing workshop must be
computed and committed, the file checks done, the decisions and the programme in place.

The broker here is a private `redis-server` that no worker reads (the shared one is never
touched); the test compares what `seed_demo` builds with it against what it builds with the
embedded mode's in-process tasks, on whichever database the run uses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command

from programme.models import Placement, Session
from reviews.models import Assignment, Decision, MatchingRun, Review
from submissions.models import Submission, SubmissionFile
from tests.workers import celery_broker, redis_instance
from workshop.celery import app as celery_app
from workshop.models import OutgoingMail

# `services`: the suite's autouse fixture leaves Celery as configured (tasks published).
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def demo_world() -> dict[str, object]:
    """What the demo consists of, free of primary keys and timestamps."""

    def count(queryset, *fields: str) -> Counter:
        return Counter(queryset.values_list(*fields))

    return {
        "submissions": count(Submission.objects, "workshop__slug", "status"),
        "file checks": count(SubmissionFile.objects, "submission__workshop__slug", "check_status"),
        "runs": count(MatchingRun.objects, "workshop__slug", "status"),
        "assignments": count(Assignment.objects, "submission__workshop__slug", "role"),
        "reviews": count(Review.objects, "assignment__submission__workshop__slug", "status"),
        "decisions": count(Decision.objects, "submission__workshop__slug", "category__outcome"),
        "sessions": count(Session.objects, "workshop__slug"),
        "placements": count(Placement.objects, "submission__workshop__slug"),
        "mails": count(OutgoingMail.objects, "kind", "status"),
    }


@contextmanager
def celery_eager(settings, eager: bool) -> Iterator[None]:
    """Tasks run in-process (the embedded mode) or are published to the broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    settings.CELERY_TASK_ALWAYS_EAGER = eager
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = previous


def test_seed_demo_with_a_broker_and_no_worker_builds_the_embedded_demo(settings):
    with celery_eager(settings, True):
        call_command("seed_demo", stdout=StringIO())
    embedded = demo_world()
    assert embedded["runs"] and embedded["decisions"] and embedded["placements"]
    call_command("flush", interactive=False, verbosity=0)

    out = StringIO()
    # A private Redis that no worker reads, as under `make run` with REDIS_URL and no worker.
    with redis_instance() as redis, celery_broker(redis.url), celery_eager(settings, False):
        settings.REDIS_URL = redis.url
        call_command("seed_demo", stdout=out)
    assert "Demo workshops ready" in out.getvalue()
    assert demo_world() == embedded
