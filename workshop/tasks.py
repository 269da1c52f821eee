"""Celery tasks of the core app: each takes ids and calls one function."""

from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=90, time_limit=120)
def outbox_deliver(mail_id: int) -> str:
    """Deliver one outbox message (idempotent: the claim makes a second run a no-op).

    Nothing publishes it any more (mail goes in batches, `outbox_deliver_batch`); it stays
    registered so that tasks queued by the previous release still run after a deploy."""
    return outbox.mail_deliver(mail_id)


# A batch of DELIVERY_BATCH messages over one SMTP connection; its claim is a lease renewed
# by a heartbeat while it runs, so a slow server cannot make the sweep take its rows for
# abandoned, and a killed worker's rows come back seconds after its last beat.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def outbox_deliver_batch(mail_ids: list[int], recheck: bool = True) -> dict[str, int]:
    """Deliver a batch of outbox messages (idempotent: the claim skips what is not due).

    Rows another worker holds are looked at once more when its lease could have run out
    (`recheck`; the second look does not publish a third)."""
    return outbox.mails_deliver(mail_ids, recheck_held=recheck)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> dict[str, int]:
    """Periodic (beat): deliver queued mail whose task was lost and retry failed attempts."""
    return outbox.outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def digests_send() -> int:
    """Daily (beat): one digest per user of the non-essential mail they chose to bundle."""
    return outbox.digests_send()
