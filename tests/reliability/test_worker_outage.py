"""A worker outlives broker outages (issue 30, finding 9).

The worker runs the way `make worker` runs it: through `bin/worker`, the loop that starts
it again when it exits, on all the queues. Its private Redis is stopped and started five
times while the worker holds an unacknowledged task (a mail whose SMTP exchange the server
holds); once, while Redis is down, the worker itself dies (SIGKILL: what the
"Unrecoverable error" exit of celery/kombu 5.x amounts to). After the last restart a new
mail is queued and must be delivered: the queue is still served. SIGTERM then stops the
loop and the worker with it.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.smtp import Inbox, RecordingHandler, free_port, serving
from tests.workers import (
    ROOT,
    RedisInstance,
    celery_broker,
    redis_instance,
    require_services,
    test_database_url,
    wait_for,
)
from workshop import outbox
from workshop.models import MailStatus, OutgoingMail

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

QUEUES = "mail,checks,matching,transfer,celery"  # what `make worker` serves
OUTAGES = 5
CRASH_IN_OUTAGE = 3


class HoldingHandler(RecordingHandler):
    """Holds the RCPT TO of the n-th message until `released >= n`: the worker's task for it
    stays unacknowledged in Redis meanwhile."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.rcpt = 0
        self.released = 0
        self.closing = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        self.rcpt += 1
        number = self.rcpt
        while self.released < number and not self.closing:
            await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def release_all(self) -> None:
        self.closing = True


@contextmanager
def holding_smtp() -> Iterator[tuple[Inbox, HoldingHandler]]:
    handler = HoldingHandler(Inbox("127.0.0.1", free_port()))
    with serving(handler) as inbox:
        yield inbox, handler


class Supervised:
    """`bin/worker` as a subprocess, its output in test-artifacts/supervised-worker.log."""

    def __init__(self, redis: RedisInstance, email_url: str) -> None:
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        self.log_path = ROOT / "test-artifacts" / "supervised-worker.log"
        self.offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": redis.url,
            "EMAIL_URL": email_url,
            "EMAIL_TIMEOUT": "120",
            "OUTBOX_CLAIM_SECONDS": "5",
            "WORKER_RESTART_MAX_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, str(ROOT / "bin" / "worker"), "--pool=prefork"]
        cmd += ["--concurrency=2", "--loglevel=INFO", "-Q", QUEUES]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log, stderr=self.log)

    def output(self) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode(errors="replace")

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.output()))

    def worker_pids(self) -> list[int]:
        return [int(p) for p in re.findall(r"started worker pid (\d+)", self.output())]

    def stop(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                for pid in self.worker_pids():
                    if Path(f"/proc/{pid}").exists():
                        os.kill(pid, signal.SIGKILL)
        self.log.close()
        return self.proc.returncode


def mail(number: int) -> OutgoingMail:
    return outbox.mail_queue(
        key=f"outage:{number}", template="test_message", to=f"m{number}@example.org",
        context={"name": f"Member {number}"},
    )[0]  # fmt: skip


def test_a_supervised_worker_serves_its_queues_after_five_outages_and_a_crash():
    require_services()
    with (
        redis_instance() as redis,
        celery_broker(redis.url),
        holding_smtp() as (inbox, handler),
    ):
        worker = Supervised(redis, inbox.url)
        try:
            assert wait_for(lambda: worker.count(r"celery@\S+ ready") >= 1, timeout=90), (
                worker.output()[-3000:]
            )
            sent_before = []
            for outage in range(1, OUTAGES + 1):
                sent_before.append(mail(outage))
                assert wait_for(lambda n=outage: handler.rcpt >= n, timeout=60), (
                    f"outage {outage}: the worker did not take the mail"
                )
                assert redis.client().hlen("unacked") >= 1, "a task must be in flight"
                redis.stop()
                assert wait_for(
                    lambda n=outage: worker.count("Connection to broker lost") >= n, timeout=30
                ), f"outage {outage}: the worker did not notice"
                if outage == CRASH_IN_OUTAGE:
                    os.kill(worker.worker_pids()[-1], signal.SIGKILL)
                    assert wait_for(lambda: len(worker.worker_pids()) == 2, timeout=30), (
                        "bin/worker did not start the worker again"
                    )
                redis.start()
                handler.released = outage  # the held exchange ends, the task completes
                assert worker.proc.poll() is None, "bin/worker exited"

            after = mail(OUTAGES + 1)
            handler.released = OUTAGES + 1
            assert wait_for(
                lambda: OutgoingMail.objects.filter(pk=after.pk, status=MailStatus.SENT).exists(),
                timeout=90,
            ), "the mail queue is no longer served after the outages"
            received = Counter(m["Message-ID"] for m in inbox.messages)
            assert received[outbox.message_id_for(after)] == 1
            assert max(received.values()) == 1
            pids = worker.worker_pids()
        finally:
            status = worker.stop()
    assert status == 0, worker.output()[-3000:]
    assert len(pids) == 2, "one restart: after the crash, none for the outages themselves"
    assert not Path(f"/proc/{pids[-1]}").exists() or (
        "zombie" in Path(f"/proc/{pids[-1]}/status").read_text()
    ), "SIGTERM to bin/worker must stop the worker too"
