"""Celery tasks of the reviews app: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from .services.assignment import matching_run_execute


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def matching_run_task(run_id: int) -> str:
    """Compute one matching run (idempotent: only a queued run starts)."""
    return matching_run_execute(run_id)


@shared_task(acks_late=True, ignore_result=True)
def reminders_tick() -> int:
    """Periodic (beat, every 15 minutes): queue the reminders that are due, each once."""
    from .reminders import reminders_queue

    return reminders_queue()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def review_copy_make_task(assignment_id: int) -> str:
    """Make one reviewer's copy of a paper (idempotent: a current copy is kept)."""
    from .services.copies import review_copy_make

    return review_copy_make(assignment_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def text_embeddings_task(kind: str, ids: list[int]) -> int:
    """Store the missing vectors of papers ("papers": submission ids) or of people's
    publications and free texts ("profiles": user ids). Idempotent: stored ones are kept."""
    from .services.embeddings import papers_embed, profiles_embed

    return papers_embed(ids) if kind == "papers" else profiles_embed(ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=330, time_limit=390)
def embeddings_sweep_task() -> int:
    """Periodic (beat, every 5 minutes) and on a chair's request: the vectors still missing
    for everything under review (all of them after a model change), a few minutes' worth."""
    from .services.embeddings import embeddings_sweep

    return embeddings_sweep()
