"""Celery tasks of the submissions app: each takes ids and calls one service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from .models import CheckStatus, SubmissionFile
from .services import submission_file_check


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=150, time_limit=180)
def submission_file_check_task(file_id: int) -> str:
    """Deep-check one uploaded PDF (the analysis itself runs in a limited subprocess)."""
    stored = submission_file_check(file_id)
    return stored.check_status if stored else "skipped"


@shared_task(acks_late=True, ignore_result=True)
def pending_checks_sweep() -> int:
    """Periodic (every minute): checks whose task was lost (broker down at upload time) are
    handed to the check workers, so a backlog is worked off by all of them at once, not one
    file after another in the sweep; run here only while the broker cannot be reached.
    (A check runs once: `submission_file_check` skips a file that is no longer pending.)"""
    from workshop.outbox import task_enqueue

    cutoff = timezone.now() - dt.timedelta(minutes=2)
    ids = list(
        SubmissionFile.objects.filter(check_status=CheckStatus.PENDING, uploaded_at__lt=cutoff)
        .order_by("uploaded_at")
        .values_list("pk", flat=True)[:5000]
    )
    for position, pk in enumerate(ids):
        if not task_enqueue(submission_file_check_task, pk):
            for rest in ids[position : position + 100]:  # the broker is down: a share here
                submission_file_check(rest)
            break
    return len(ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1200, time_limit=1260)
def proceedings_build_task(bundle_id: int) -> str:
    """Build the proceedings ZIP (idempotent: only a queued bundle is built)."""
    from .services.camera_ready import proceedings_build

    return proceedings_build(bundle_id)
