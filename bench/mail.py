"""Benchmark of the mail fan-out and of the backlog after a mail-server outage.

Run ``.venv/bin/python bench/mail.py [--mails 10000] [--outage 60] [--workers 2]``.

Needs PostgreSQL (``DATABASE_URL``, the server only: a throwaway database
``bench_mail_<pid>`` is created, migrated and dropped) and ``redis-server`` on PATH (a
private instance on a free port is the broker; the shared one is never touched). It starts
the real delivery stack: a Celery worker per queue (the mail worker with ``--workers``
processes) and beat, against an SMTP sink on localhost (aiosmtpd) that counts what it
accepts per Message-ID. No web server: nothing of the fan-out goes through one.

1. **Fan-out**: one workshop in its bidding phase with ``--mails`` reviewers who have not
   bid; the beat's own function (``reviews.reminders.reminders_queue``) queues a bidding
   reminder to each. Timed: queueing, then until every message was accepted by the sink.
2. **Outage**: the sink is stopped, the same number of messages is queued (one fan-out),
   the workers find the server unreachable for ``--outage`` seconds; then the sink comes
   back on the same port. Timed: from its return until the backlog is gone.

Each scenario prints one JSON line: queued, delivered, duplicates, lost, seconds, mails/s.
Figures only: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message="No directory at")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server on localhost counting accepted messages by Message-ID."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: Counter = Counter()
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope) -> str:
        from email.parser import BytesHeaderParser

        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        with self.lock:
            self.received[headers["Message-ID"]] += 1
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.received.values())


@contextmanager
def database(url: str, prefix: str = "bench_mail"):
    """A throwaway PostgreSQL database on the server of `url`; yields its URL. Django's own
    connections to it (a benchmark that runs Django in-process) are closed before the drop."""
    import psycopg2

    parts = urlsplit(url)
    name = f"{prefix}_{os.getpid()}"
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def redis_server():
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir:
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--appendonly", "no", "--dir", workdir, "--loglevel", "warning"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.3)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def stack(env: dict[str, str], workers: int, logdir: Path):
    """A worker per queue plus beat, as in docker-compose.yml."""
    celery = [sys.executable, "-m", "celery", "-A", "workshop"]
    commands = {
        "mail": [*celery, "worker", "-Q", "mail", "-n", "mail@%h", f"--concurrency={workers}"],
        "checks": [*celery, "worker", "-Q", "checks", "-n", "checks@%h", "--concurrency=1"],
        "batch": [*celery, "worker", "-Q", "matching,celery", "-n", "batch@%h", "--concurrency=1"],
        "beat": [*celery, "beat", "--schedule", str(logdir / "beat-schedule")],
    }
    procs = []
    for name, cmd in commands.items():
        log = open(logdir / f"{name}.log", "ab")  # noqa: SIM115 - closed below
        extra = ["--loglevel=WARNING"] + (
            ["--without-gossip", "--without-mingle"] if "worker" in cmd else []
        )
        procs.append(
            (
                subprocess.Popen(
                    [*cmd, *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                ),
                log,
            )
        )
    try:
        from workshop.celery import app

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(app.control.ping(timeout=0.5) or []) < 3:
            time.sleep(0.5)
        yield
    finally:
        for proc, _log in procs:
            proc.terminate()
        for proc, log in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def build_world(n: int):
    """A workshop whose bidding closes in 20 hours (the 1-day reminder step is due) and `n`
    reviewers with no bids."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from workshop.models import Membership, Role, User, Workshop

    now = timezone.now()
    day = dt.timedelta(days=1)
    workshop = Workshop.objects.create(
        name="Mail storm workshop", short_name="STORM 2027", slug="storm",
        contact_email="chairs@storm.example.org",
        submission_opens=now - 30 * day, paper_deadline=now - 10 * day,
        bidding_deadline=now + dt.timedelta(hours=20), review_deadline=now + 20 * day,
        notification_date=now + 30 * day, camera_ready_deadline=now + 40 * day,
    )  # fmt: skip
    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"reviewer{i}@storm.example.org", name=f"Reviewer {i}", password=password)
            for i in range(n)
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(workshop=workshop, user=u, role=Role.REVIEWER) for u in users],
        batch_size=2000,
    )
    return workshop


def wait_delivered(sink: Sink, expected: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout and sink.total < expected:
        time.sleep(0.1)
    return time.monotonic()


def tally(name: str, sink: Sink, expected_ids: set[str], **figures) -> dict:
    received = dict(sink.received)
    row = {
        "scenario": name,
        "queued": len(expected_ids),
        "delivered": sum(1 for mid in expected_ids if received.get(mid)),
        "duplicates": sum(n - 1 for mid, n in received.items() if n > 1),
        "lost": sum(1 for mid in expected_ids if not received.get(mid)),
        "unexpected": sum(n for mid, n in received.items() if mid not in expected_ids),
        **figures,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--outage", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("bench/mail.py needs DATABASE_URL pointing at a PostgreSQL server")

    sink = Sink(_free_port())
    with (
        database(base_url) as db_url,
        redis_server() as redis_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from reviews.reminders import reminders_queue
        from workshop import outbox
        from workshop.models import MailStatus, OutgoingMail

        call_command("migrate", verbosity=0)
        build_world(args.mails)
        connection.close()
        sink.start()
        with stack(env, args.workers, Path(tmp)):
            # 1. The fan-out: queue with the beat's own function, deliver.
            started = time.monotonic()
            queued = reminders_queue()
            queued_at = time.monotonic()
            ids = {outbox.message_id_for(m) for m in OutgoingMail.objects.only("key")}
            done = wait_delivered(sink, len(ids), timeout=600)
            tally(
                "fan-out", sink, ids, reminders_queued=queued,
                queue_seconds=round(queued_at - started, 2),
                deliver_seconds=round(done - queued_at, 2),
                total_seconds=round(done - started, 2),
                mails_per_second=round(len(ids) / (done - started), 1),
                workers=args.workers,
            )  # fmt: skip

            # 2. The server goes away, a fan-out is queued, the server comes back.
            sink.stop()
            sink.received.clear()
            from django.db import transaction

            specs = [
                outbox.MailSpec(
                    key=f"bench:outage:{i}",
                    template="test_message",
                    to=f"reviewer{i}@storm.example.org",
                    context={"name": f"Reviewer {i}"},
                )
                for i in range(args.mails)
            ]
            with transaction.atomic():
                outbox.mails_queue_bulk(specs, workshop=None)
            time.sleep(args.outage)
            waiting = OutgoingMail.objects.exclude(status=MailStatus.SENT).count()
            sink.start()
            returned = time.monotonic()
            ids = {
                outbox.message_id_for(m)
                for m in OutgoingMail.objects.filter(key__startswith="bench:outage:").only("key")
            }
            done = wait_delivered(sink, len(ids), timeout=900)
            failed = OutgoingMail.objects.filter(status=MailStatus.FAILED).count()
            tally(
                "backlog after outage", sink, ids, outage_seconds=args.outage,
                waiting_when_server_returned=waiting,
                seconds_after_return=round(done - returned, 2),
                mails_per_second=round(len(ids) / (done - returned), 1),
                failed=failed, workers=args.workers,
            )  # fmt: skip
            time.sleep(3)  # anything sent twice would arrive now
            extra = sum(n - 1 for n in sink.received.values() if n > 1)
            if extra:
                print(json.dumps({"scenario": "late duplicates", "duplicates": extra}))
        sink.stop()
        connection.close()


if __name__ == "__main__":
    main()
