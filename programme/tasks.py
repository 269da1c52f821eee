"""Celery tasks of the programme: each calls one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def presenter_reminders_tick() -> int:
    """Periodic (beat, every 15 minutes): queue the presenters' upload reminders, each once."""
    from .services.mails import presenter_reminders_queue

    return presenter_reminders_queue()
