"""Celery tasks of the transfer app: each takes an id and calls one service."""

from __future__ import annotations

from celery import shared_task

from . import services
from .services import transfer_job_run


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1800, time_limit=1900)
def transfer_job_task(job_id: int) -> str:
    """Run one import or export job (idempotent: only a waiting job starts)."""
    return transfer_job_run(job_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def transfer_jobs_sweep() -> dict[str, int]:
    """Periodic (beat): queue again the jobs whose task was lost, fail the hopeless ones."""
    return services.transfer_jobs_sweep()
