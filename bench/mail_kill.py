"""Benchmark: mail workers killed with SIGKILL while a large fan-out is being sent.

Run ``.venv/bin/python bench/mail_kill.py [--mails 10000] [--workers 2] [--kills 10]``.

Needs PostgreSQL (``DATABASE_URL``, the server only: a throwaway database is created,
migrated and dropped) and ``redis-server`` on PATH (a private instance on a free port).
``--mails`` messages are stored in one transaction (one batch task per 100); ``--workers``
mail workers (``-Q mail``, ``--concurrency`` processes each) and beat (the outbox sweep
every minute) send them to an SMTP sink on localhost that counts what it accepts per
Message-ID. While they send, ``--kills`` times (spread over the run) a process that is
sending a batch (a prefork pool process: what the OOM killer or a crash takes) is killed
with SIGKILL; the worker starts a new one and the task comes back (acks late).

Prints one JSON line: queued, delivered, duplicates (messages accepted twice), lost, the
seconds from queueing to the last new message, and the kills. Figures only: nothing here
asserts. ``OUTBOX_CLAIM_SECONDS`` is the lease (``--lease``, default 15).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.mail import Sink, _free_port, database, redis_server  # noqa: E402


def pool_processes(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@contextmanager
def mail_workers(env: dict[str, str], n: int, concurrency: int, logdir: Path):
    celery = [sys.executable, "-m", "celery", "-A", "workshop"]
    procs = []
    for i in range(n):
        cmd = [*celery, "worker", "-Q", "mail", "-n", f"mail{i}@%h", f"--concurrency={concurrency}"]
        cmd += ["--without-gossip", "--without-mingle", "--loglevel=WARNING"]
        log = open(logdir / f"mail{i}.log", "ab")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log), log))
    beat_cmd = [*celery, "beat", "--schedule", str(logdir / "beat-schedule"), "-l", "WARNING"]
    beat_log = open(logdir / "beat.log", "ab")  # noqa: SIM115 - closed below
    beat = subprocess.Popen(beat_cmd, cwd=ROOT, env=env, stdout=beat_log, stderr=beat_log)
    try:
        from workshop.celery import app

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(app.control.ping(timeout=0.5) or []) < n:
            time.sleep(0.5)
        yield [p for p, _log in procs]
    finally:
        for proc, _log in [*procs, (beat, beat_log)]:
            proc.terminate()
        for proc, log in [*procs, (beat, beat_log)]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--lease", type=int, default=15)
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--seed", type=int, default=30)
    args = parser.parse_args()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        sys.exit("bench/mail_kill.py needs DATABASE_URL pointing at a PostgreSQL server")
    rng = random.Random(args.seed)

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
            "OUTBOX_CLAIM_SECONDS": str(args.lease),
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "workshop.settings",
        }
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, transaction

        from workshop import outbox
        from workshop.models import OutgoingMail

        call_command("migrate", verbosity=0)
        sink.start()
        with mail_workers(env, args.workers, args.concurrency, Path(tmp)) as workers:
            specs = [
                outbox.MailSpec(
                    key=f"bench:kill:{i}", template="test_message",
                    to=f"member{i}@kill.example.org", context={"name": f"Member {i}"},
                )
                for i in range(args.mails)
            ]  # fmt: skip
            started = time.monotonic()
            with transaction.atomic():
                outbox.mails_queue_bulk(specs, workshop=None)
            expected = {outbox.message_id_for(m) for m in OutgoingMail.objects.only("key")}
            connection.close()

            kills: list[dict] = []

            def distinct() -> int:
                with sink.lock:
                    return len(sink.received)

            def killer() -> None:
                for k in range(1, args.kills + 1):
                    threshold = args.mails * k // (args.kills + 2)
                    while distinct() < threshold and time.monotonic() - started < args.timeout:
                        time.sleep(0.01)
                    worker = rng.choice(workers)
                    pool = pool_processes(worker.pid)
                    if not pool:
                        continue
                    victim = rng.choice(pool)
                    os.kill(victim, signal.SIGKILL)
                    kills.append({"at": distinct(), "pid": victim})

            thread = threading.Thread(target=killer, daemon=True)
            thread.start()
            last_new, seen = time.monotonic(), 0
            while time.monotonic() - started < args.timeout:
                now_seen = distinct()
                if now_seen != seen:
                    seen, last_new = now_seen, time.monotonic()
                if seen >= len(expected) and not thread.is_alive():
                    break
                time.sleep(0.05)
            time.sleep(5)  # a copy sent twice late would arrive now
            received = dict(sink.received)
        sink.stop()
        row = {
            "scenario": "kill -9 mail workers mid-run",
            "queued": len(expected),
            "delivered": sum(1 for mid in expected if received.get(mid)),
            "duplicates": sum(n - 1 for mid, n in received.items() if n > 1),
            "lost": sum(1 for mid in expected if not received.get(mid)),
            "seconds_queue_to_last_mail": round(last_new - started, 1),
            "kills": len(kills),
            "workers": args.workers,
            "concurrency": args.concurrency,
            "lease_seconds": args.lease,
        }
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
