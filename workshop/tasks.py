"""Celery tasks of the core app: each takes ids and calls one function."""

from __future__ import annotations

from celery import shared_task

from . import outbox


# Well under OUTBOX_CLAIM_SECONDS: a claim is only taken for stale when its task is dead.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=90, time_limit=120)
def outbox_deliver(mail_id: int) -> str:
    """Deliver one outbox message (idempotent: the claim makes a second run a no-op).

    Nothing publishes it any more (mail goes in batches, `outbox_deliver_batch`); it stays
    registered so that tasks queued by the previous release still run after a deploy."""
    return outbox.mail_deliver(mail_id)


# A batch of DELIVERY_BATCH messages over one SMTP connection; its claim is renewed while it
# runs, so a slow server cannot make the sweep take its rows for abandoned.
@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660)
def outbox_deliver_batch(mail_ids: list[int]) -> dict[str, int]:
    """Deliver a batch of outbox messages (idempotent: the claim skips what is not due)."""
    return outbox.mails_deliver(mail_ids)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> dict[str, int]:
    """Periodic (beat): deliver queued mail whose task was lost and retry failed attempts."""
    return outbox.outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def digests_send() -> int:
    """Daily (beat): one digest per user of the non-essential mail they chose to bundle."""
    return outbox.digests_send()
