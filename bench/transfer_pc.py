"""Benchmark of the committee (PC) CSV import at scale: a HotCRP PC list of ``--lines``
members (default 50,000; a tenth of them already have an account, a few with a second
address, and every member declares two topics), dry run then the real import.

Run ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python
bench/transfer_pc.py [--lines 50000]``.

Needs PostgreSQL (``DATABASE_URL``, the server only: a throwaway database
``bench_transfer_<pid>`` is created, migrated and dropped). With ``--sqlite``, the embedded
default instead (a throwaway SQLite file), where a second connection takes and drops the
write lock all along and the longest it had to wait is printed: what a reviewer's page
that writes would wait during the import (over the 20 s busy timeout it would fail).

The import runs as the transfer worker runs it (`transfer.importers.run_import`, with a
progress callback), no Celery and no web server. Prints one JSON line per stage (seconds,
this process's CPU seconds, queries, lines/s and the machine's 1-minute load average
before and after, since the machine may be shared) and a total. Figures only: nothing
here asserts on time. The target: well under the transfer task's soft time limit (30 min)
for 50,000 lines, under 5 min in all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail import database  # noqa: E402

TOPICS = ("Efficiency", "Evaluation", "Safety", "Retrieval", "Alignment")


def pc_csv(lines: int) -> bytes:
    """A HotCRP PC list: `email,first,last,affiliation,roles,topic: ...` (every 20th an area
    chair, two topics each)."""
    header = "email,first,last,affiliation,roles," + ",".join(f"topic: {t}" for t in TOPICS)
    rows = [header]
    for i in range(lines):
        role = "pc metareviewer" if i % 20 == 0 else "pc"
        levels = ["0"] * len(TOPICS)
        levels[i % len(TOPICS)] = "2"
        levels[(i + 1) % len(TOPICS)] = "1"
        rows.append(
            f"member{i}@pc{i % 97}.example.org,Given{i},Family{i},Uni {i % 300},{role},"
            + ",".join(levels)
        )
    return ("\n".join(rows) + "\n").encode()


def world(lines: int):
    """A workshop with its topics and a chair; a tenth of the members already have an
    account (a few of them under a second address)."""
    import datetime as dt

    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from workshop.models import Role, Topic, User, Workshop
    from workshop.services import membership_grant

    now = timezone.now()
    workshop = Workshop.objects.create(
        name="Bench", short_name="B", slug="bench", contact_email="chairs@example.org",
        call_for_papers="Bench.", submission_opens=now - dt.timedelta(days=10),
        paper_deadline=now + dt.timedelta(days=10), bidding_deadline=now + dt.timedelta(days=15),
        review_deadline=now + dt.timedelta(days=30),
        notification_date=now + dt.timedelta(days=45),
        camera_ready_deadline=now + dt.timedelta(days=60),
    )  # fmt: skip
    for name in TOPICS:
        Topic.objects.create(workshop=workshop, name=name, description=name)
    chair = User.objects.create_user(email="chair@bench.example.org", name="Chair", password=None)
    membership_grant(workshop=workshop, user=chair, role=Role.CHAIR)
    existing = [
        User(email=f"member{i}@pc{i % 97}.example.org", name=f"Known {i}")
        for i in range(0, lines, 10)
    ]
    User.objects.bulk_create(existing, batch_size=2000)
    extra = [
        EmailAddress(user_id=u.pk, email=f"other{u.pk}@elsewhere.example.org")
        for u in User.objects.filter(email__startswith="member")[: max(1, lines // 100)]
    ]
    EmailAddress.objects.bulk_create(extra)
    return workshop, User.objects.get(pk=chair.pk)


def load() -> float:
    return round(os.getloadavg()[0], 2)


@contextmanager
def sqlite_database():
    """A throwaway SQLite file (the embedded default); yields its URL."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


class WriterProbe:
    """Another writer on the SQLite file: takes and drops the write lock (BEGIN IMMEDIATE)
    over and over, and keeps the longest wait, which is what a request that writes during
    the import would wait (over the busy timeout, 20 s, it would fail)."""

    def __init__(self, path: str) -> None:
        import threading

        self.path = path
        self.longest = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        import sqlite3

        probe = sqlite3.connect(self.path, timeout=600, isolation_level=None)
        while not self.stop.is_set():
            started = time.perf_counter()
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            self.longest = max(self.longest, time.perf_counter() - started)
            self.stop.wait(0.05)
        probe.close()

    def __enter__(self) -> WriterProbe:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="the embedded default instead: a SQLite file, with a probe that measures the "
        "longest wait of another writer",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not args.sqlite and not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench makes its own database).")
    with sqlite_database() if args.sqlite else database(url, prefix="bench_transfer") as bench_url:
        os.environ.update(
            {
                "DATABASE_URL": bench_url,
                "DJANGO_SETTINGS_MODULE": "workshop.settings",
                "REDIS_URL": "",
            }
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from transfer.importers import run_import
        from workshop.models import Membership

        call_command("migrate", verbosity=0, interactive=False)
        workshop, chair = world(args.lines)
        data = pc_csv(args.lines)
        ticks: list[tuple[int, int]] = []
        totals = {}
        for stage, dry_run in (("dry_run", True), ("apply", False)):
            before = load()
            started, cpu = time.perf_counter(), time.process_time()
            queries: list[str] = []

            def count(execute, sql, *args, queries=queries):
                queries.append(sql)
                return execute(sql, *args)

            probe = WriterProbe(bench_url[len("sqlite:///") :]) if args.sqlite else nullcontext()
            with connection.execute_wrapper(count), probe:
                report = run_import(
                    workshop=workshop, actor=chair, fmt="hotcrp-pc", data=data,
                    dry_run=dry_run, progress=lambda done, total: ticks.append((done, total)),
                )  # fmt: skip
            seconds = time.perf_counter() - started
            totals[stage] = seconds
            print(
                json.dumps(
                    {
                        "stage": stage,
                        "lines": args.lines,
                        "ok": report.ok,
                        "errors": report.errors[:3],
                        "changes": report.counts(),
                        "seconds": round(seconds, 2),
                        "cpu_s": round(time.process_time() - cpu, 2),
                        "lines_per_s": round(args.lines / seconds),
                        "queries": len(queries),
                        "progress_reports": len(ticks),
                        **(
                            {"longest_writer_wait_s": round(probe.longest, 2)}
                            if args.sqlite
                            else {}
                        ),
                        "load_before": before,
                        "load_after": load(),
                    }
                ),
                flush=True,
            )
            ticks.clear()
        members = Membership.objects.filter(workshop=workshop).exclude(role="chair").count()
        print(
            json.dumps(
                {
                    "stage": "total",
                    "seconds": round(sum(totals.values()), 2),
                    "members_after": members,
                    "cpus": os.cpu_count(),
                    "load": load(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
