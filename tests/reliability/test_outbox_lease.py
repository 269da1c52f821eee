"""Claims on outbox rows are leases: a live worker renews them (a heartbeat), a dead worker's
rows come back as soon as its lease runs out, and a message is marked sent in the same
transaction step as the server's acceptance (issue 30, finding 10).

Real parts: a private Redis broker, real Celery workers (prefork, so that killing the pool
process that sends is what an OOM kill or a crash does), real SMTP (aiosmtpd) and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.smtp import Inbox, RecordingHandler, free_port, serving
from tests.workers import celery_broker, celery_worker, redis_instance, require_services, wait_for
from workshop import outbox
from workshop.models import MailStatus, OutgoingMail

LEASE_SECONDS = 2  # OUTBOX_CLAIM_SECONDS in the workers' environment
# Longer than the killed task takes to come back to a fresh pool process, so that it finds
# the rows still under the dead process's lease.
KILL_LEASE_SECONDS = 15


class GateHandler(RecordingHandler):
    """Accepts messages; the `at`-th RCPT TO waits until `released` (or 100 s)."""

    def __init__(self, inbox: Inbox, at: int) -> None:
        self.inbox = inbox
        self.at = at
        self.rcpt = 0
        self.released = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.rcpt += 1
        if self.rcpt == self.at:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 100
            while not self.released and loop.time() < deadline:
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def release_all(self) -> None:
        self.released = True


@contextmanager
def gated_smtp(at: int) -> Iterator[tuple[Inbox, GateHandler]]:
    handler = GateHandler(Inbox("127.0.0.1", free_port()), at)
    with serving(handler) as inbox:
        yield inbox, handler


def pool_children(pid: int) -> list[int]:
    """The prefork pool processes of the worker `pid` (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def queue_batch(n: int, prefix: str) -> list[OutgoingMail]:
    """`n` mails stored in one transaction: one batch task, one SMTP connection."""
    with transaction.atomic():
        return [
            outbox.mail_queue(
                key=f"{prefix}:{i}", template="test_message", to=f"member{i}@example.org",
                context={"name": f"Member {i}"},
            )[0]
            for i in range(n)
        ]  # fmt: skip


def statuses() -> Counter:
    return Counter(OutgoingMail.objects.values_list("status", flat=True))


@pytest.fixture
def broker():
    require_services()
    with redis_instance() as redis, celery_broker(redis.url):
        yield redis


def worker_env(redis, lease: int = LEASE_SECONDS) -> dict[str, str]:
    # The held exchange must outlast the second worker's start-up on a busy machine.
    return {"OUTBOX_CLAIM_SECONDS": str(lease), "REDIS_URL": redis.url, "EMAIL_TIMEOUT": "120"}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_killed_senders_rows_are_sent_once_when_its_lease_runs_out_without_a_sweep(broker):
    """The process sending a batch of 30 is killed (SIGKILL) inside the 11th message. The ten
    accepted before are sent; the task comes back (acks late, rejected on a lost worker) and
    finds the other twenty under the dead process's lease: it looks again once the lease has
    run out and sends them, exactly once, with no sweep and without waiting
    OUTBOX_CLAIM_SECONDS of the old kind (minutes)."""
    with gated_smtp(at=11) as (inbox, handler):
        mails = queue_batch(30, "lease:kill")
        assert broker.llen("mail") == 1, "one batch task for the thirty mails"
        env = worker_env(broker, KILL_LEASE_SECONDS)
        with celery_worker(inbox.url, extra_env=env, pool="prefork", concurrency=1) as worker:
            assert wait_for(lambda: handler.rcpt >= 11, timeout=120), "the gate was not reached"
            (sender,) = pool_children(worker.pid)
            os.kill(sender, signal.SIGKILL)
            assert wait_for(lambda: statuses()[MailStatus.SENDING] == 20, timeout=10)
            assert len(inbox.messages) == 10
            handler.released = True
            # Within about two leases (the dead lease runs out, the second look comes due),
            # where nothing but a sweep would have taken them before.
            assert wait_for(
                lambda: statuses() == {MailStatus.SENT: 30}, timeout=3 * KILL_LEASE_SECONDS
            ), statuses()
            assert wait_for(lambda: len(inbox.messages) >= 30, timeout=10)
            assert wait_for(lambda: broker.llen("mail") == 0, timeout=10)
    received = Counter(m["Message-ID"] for m in inbox.messages)
    assert set(received) == {outbox.message_id_for(m) for m in mails}
    assert max(received.values()) == 1, "a mail was sent twice"
    attempts = Counter(OutgoingMail.objects.values_list("attempts", flat=True))
    assert attempts == {1: 10, 2: 20}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_keeps_its_lease_through_an_exchange_longer_than_the_lease(broker):
    """The server holds the 3rd message's RCPT TO for several leases. The worker is alive, so
    its heartbeat keeps the lease: a second worker and repeated sweeps take nothing of the
    batch, and every message arrives once."""
    from workshop.tasks import outbox_sweep

    with gated_smtp(at=3) as (inbox, handler):
        mails = queue_batch(6, "lease:live")
        env = worker_env(broker)
        with celery_worker(inbox.url, extra_env=env) as first:
            assert wait_for(lambda: handler.rcpt >= 3, timeout=120), "the gate was not reached"
            with celery_worker(inbox.url, extra_env=env):
                # Beat firing the sweep again and again while the first worker waits on the
                # server: three leases long, each sweep handing out whatever looks abandoned.
                for _ in range(4):
                    outbox_sweep.delay()
                    assert wait_for(lambda: broker.llen("mail") == 0, timeout=20)
                    assert not wait_for(lambda: handler.rcpt > 3, timeout=LEASE_SECONDS)
                assert first.poll() is None
                handler.released = True
                assert wait_for(lambda: statuses() == {MailStatus.SENT: 6}, timeout=30)
                outbox_sweep.delay()
                assert wait_for(lambda: broker.llen("mail") == 0, timeout=20)
    received = Counter(m["Message-ID"] for m in inbox.messages)
    assert set(received) == {outbox.message_id_for(m) for m in mails}
    assert max(received.values()) == 1, "a live worker's mail was taken and sent twice"
    assert set(OutgoingMail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_the_row_is_marked_sent_in_the_transaction_the_acceptance_commits(monkeypatch):
    """When the server accepts a message, the UPDATE that marks its row sent has already run
    in the open transaction: what is left after the server's reply is the COMMIT alone, the
    smallest window SMTP allows in which a kill can make a duplicate."""
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the row is marked after the reply (no lock held during SMTP)")
    (mail,) = queue_batch(1, "lease:mark")
    seen: list[tuple[bool, list[str]]] = []
    original = EmailBackend.send_messages

    def accept(self, messages):
        sql = [q["sql"] for q in capture.captured_queries]
        seen.append((connection.in_atomic_block, sql))
        return original(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", accept)
    with CaptureQueriesContext(connection) as capture:
        assert outbox.mails_deliver([mail.pk]) == {"sent": 1}
    ((in_transaction, before),) = seen
    assert in_transaction
    marks = [s for s in before if s.startswith("UPDATE") and "'sent'" in s]
    assert marks, "the row must be marked sent before the server's reply"
    after = [q["sql"] for q in capture.captured_queries[len(before) :]]
    assert not [s for s in after if "outgoingmail" in s], after
    assert OutgoingMail.objects.get(pk=mail.pk).status == MailStatus.SENT


@pytest.mark.django_db
def test_the_message_id_is_the_rows_and_the_same_on_every_attempt():
    """Both copies of a message sent twice carry one Message-ID, derived from the row's key
    (not from the attempt, the time or the host), so a duplicate is recognisable."""
    a, b = queue_batch(2, "lease:mid")
    first = outbox._message(a, None).message()["Message-ID"]
    a.attempts += 1
    again = outbox._message(a, None).message()["Message-ID"]
    assert first == again == outbox.message_id_for(a)
    assert outbox.message_id_for(b) != first
    a.pk = None
    assert outbox.message_id_for(a) == first, "the key, not the primary key"
