"""Benchmark of a whole migration: a HotCRP zip of ``--papers`` papers (default 1,000; three
authors each, one or two topics, two PC conflicts, a decision on every third), a committee of
``--members`` people (default 150, every tenth an area chair) and three reviews per paper
(3,000: two scores, three texts, the reviewer's e-mail and HotCRP's ids), with HotCRP's
settings JSON for the review form: the files the HotCRP export (`transfer.exporters`) and
HotCRP itself write. Generated in memory, the same bytes on every run.

Run ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python
bench/transfer.py [--papers 1000] [--members 150]``.

Needs PostgreSQL (``DATABASE_URL``, the server only: a throwaway database
``bench_migration_<pid>`` is created, migrated and dropped). With ``--sqlite``, the embedded
default instead (a throwaway SQLite file), where a second connection takes and drops the
write lock all along (bench/transfer_pc.py's probe) and the longest it had to wait is
printed: what a request that writes would wait during the import (over the busy timeout,
20 s, it answers 503 busy).

The figures before a change: copy this file into a checkout of the older commit (``git
archive <commit> | tar -x -C /tmp/old; cp bench/transfer.py /tmp/old/bench/``) and run it
there (``cd /tmp/old && .../.venv/bin/python bench/transfer.py``): the same input, the
older importer (the first line printed names the importer's checkout).

The import runs as the transfer worker runs it (`transfer.importers.run_import` with a
progress callback), no Celery and no web server: a dry run, the import, then the same file
again (an update that changes nothing). One JSON line per stage: seconds, this process's
CPU seconds, queries, papers/s, the report's counts, and the machine's 1-minute load
average before and after (the machine may be shared). Figures only: nothing here asserts on
time. The target (issue 23): dry run and import each under 60 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import zipfile
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail import database  # noqa: E402
from bench.transfer_pc import WriterProbe, load, sqlite_database  # noqa: E402

TOPICS = ("Efficiency", "Evaluation", "Safety", "Retrieval", "Alignment")
WORDS = [
    "open",
    "weights",
    "evaluation",
    "distillation",
    "quantisation",
    "multilingual",
    "data",
    "licensing",
    "safety",
    "retrieval",
    "alignment",
    "tokenizer",
    "benchmark",
    "reproducible",
    "training",
    "inference",
    "sparse",
]
# HotCRP's settings JSON (Settings › Review form › JSON) of the bench's form.
FORM = [
    {"id": "s01", "name": "Overall merit", "type": "radio", "visibility": "au",
     "values": [{"id": i, "symbol": i, "name": f"{i}"} for i in range(1, 6)]},
    {"id": "s02", "name": "Reviewer expertise", "type": "radio", "visibility": "au",
     "values": [{"id": i, "symbol": i, "name": f"{i}"} for i in range(1, 6)]},
    {"id": "t01", "name": "Paper summary", "type": "text", "visibility": "au"},
    {"id": "t02", "name": "Comments for authors", "type": "text", "visibility": "au"},
    {"id": "t03", "name": "Comments for PC", "type": "text", "visibility": "pc"},
]  # fmt: skip


def member_email(i: int, site: str = "example.org") -> str:
    return f"member{i}@pc{i % 37}.{site}"


def hotcrp_zip(papers: int, members: int, seed: int = 23, site: str = "example.org") -> bytes:
    """The migration's files in one zip: papers.json, reviews.json, settings.json, pc.csv
    (the committee's addresses under `site`; tests/transfer/test_import_bulk.py imports two
    of these into one database)."""
    rng = random.Random(seed)
    pc = ["given_name,family_name,email,affiliation,roles," + ",".join(
        f"topic: {t}" for t in TOPICS
    )]  # fmt: skip
    for i in range(members):
        levels = ["0"] * len(TOPICS)
        levels[i % len(TOPICS)] = "2"
        role = "pc metareviewer" if i % 10 == 0 else "pc"
        pc.append(
            f"Given{i},Family{i},{member_email(i, site)},PC Lab {i % 37},{role},{','.join(levels)}"
        )
    reviewers = [i for i in range(members) if i % 10]
    records, reviews = [], []
    for pid in range(1, papers + 1):
        # Authors at universities; every fifth paper shares an author with the paper before.
        authors = [
            {"given_name": f"Author{pid}x{k}", "family_name": f"Writer{pid % 89}",
             "email": f"author{pid}x{k}@uni{(pid + k) % 211}.example.edu",
             "affiliation": f"University {(pid + k) % 211}"}
            for k in range(3)
        ]  # fmt: skip
        if pid % 5 == 0 and pid > 1:
            authors[2] = dict(records[-1]["authors"][0])
        chosen = rng.sample(reviewers, 5)
        conflicts = {member_email(i, site): "collaborator" for i in chosen[3:]}
        record = {
            "object": "paper",
            "pid": pid,
            "title": f"Paper {pid}: " + " ".join(rng.sample(WORDS, 6)),
            "abstract": " ".join(rng.choices(WORDS, k=150)),
            "authors": authors,
            "contacts": [{"email": authors[0]["email"]}],
            "topics": [TOPICS[pid % 5]] + ([TOPICS[(pid + 2) % 5]] if pid % 2 else []),
            "pc_conflicts": conflicts,
            "status": "submitted",
            "submitted": True,
            "submitted_at": 1_700_000_000 + pid * 60,
            "tags": [f"track{pid % 3}"],
        }
        if pid % 3 == 0:
            record["decision"] = "Accepted" if pid % 2 else "Rejected"
        records.append(record)
        for letter, i in zip("ABC", chosen[:3], strict=True):
            reviews.append(
                {
                    "object": "review", "pid": pid, "rid": len(reviews) + 1, "ordinal": letter,
                    "status": "complete", "reviewer": f"Given{i} Family{i}",
                    "reviewer_email": member_email(i, site),
                    "submitted_at": 1_700_100_000 + len(reviews),
                    "modified_at": 1_700_100_000 + len(reviews),
                    "Overall merit": rng.randint(1, 5), "Reviewer expertise": rng.randint(1, 5),
                    "Paper summary": " ".join(rng.choices(WORDS, k=60)),
                    "Comments for authors": " ".join(rng.choices(WORDS, k=200)),
                    "Comments for PC": " ".join(rng.choices(WORDS, k=20)),
                }
            )  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("papers.json", json.dumps(records))
        archive.writestr("reviews.json", json.dumps({"ok": True, "reviews": reviews}))
        archive.writestr("settings.json", json.dumps({"rf": FORM}))
        archive.writestr("pc.csv", "\n".join(pc) + "\n")
    return buffer.getvalue()


def world():
    """A workshop in its review phase with the default review form, the topics and a chair."""
    import datetime as dt

    from django.utils import timezone

    from reviews.services.reviewing import default_form_create
    from workshop.models import Role, Topic, User, Workshop
    from workshop.services import membership_grant

    now = timezone.now()
    workshop = Workshop.objects.create(
        name="Bench", short_name="B", slug="bench", contact_email="chairs@example.org",
        call_for_papers="Bench.", submission_opens=now - dt.timedelta(days=40),
        paper_deadline=now - dt.timedelta(days=30), bidding_deadline=now - dt.timedelta(days=20),
        review_deadline=now + dt.timedelta(days=10),
        notification_date=now + dt.timedelta(days=45),
        camera_ready_deadline=now + dt.timedelta(days=60),
    )  # fmt: skip
    for name in TOPICS:
        Topic.objects.create(workshop=workshop, name=name, description=name)
    default_form_create(workshop)
    chair = User.objects.create_user(email="chair@bench.example.org", name="Chair", password=None)
    membership_grant(workshop=workshop, user=chair, role=Role.CHAIR)
    return workshop, User.objects.get(pk=chair.pk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--members", type=int, default=150)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default instead")
    parser.add_argument("--stages", default="dry_run,apply,again")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not args.sqlite and not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench makes its own database).")
    data = hotcrp_zip(args.papers, args.members)
    with sqlite_database() if args.sqlite else database(url, prefix="bench_migration") as bench:
        os.environ.update(
            {"DATABASE_URL": bench, "DJANGO_SETTINGS_MODULE": "workshop.settings", "REDIS_URL": ""}
        )
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        import transfer.importers
        from reviews.models import Review
        from transfer.importers import run_import

        call_command("migrate", verbosity=0, interactive=False)
        workshop, chair = world()
        print(
            json.dumps(
                {
                    "stage": "input",
                    "importer": str(Path(transfer.importers.__file__).parent.parent),
                    "database": connection.vendor,
                    "papers": args.papers,
                    "members": args.members,
                    "zip_bytes": len(data),
                }
            ),
            flush=True,
        )
        for stage in args.stages.split(","):
            ticks: list[tuple[int, int]] = []
            before = load()
            started, cpu = time.perf_counter(), time.process_time()
            queries: list[str] = []

            def count(execute, sql, *params, queries=queries):
                queries.append(sql)
                return execute(sql, *params)

            probe = WriterProbe(bench[len("sqlite:///") :]) if args.sqlite else nullcontext()
            with connection.execute_wrapper(count), probe:
                report = run_import(
                    workshop=workshop, actor=chair, fmt="hotcrp-papers", data=data,
                    dry_run=stage == "dry_run",
                    progress=lambda done, total, ticks=ticks: ticks.append((done, total)),
                )  # fmt: skip
            seconds = time.perf_counter() - started
            figures = {
                "stage": stage,
                "ok": report.ok,
                "errors": report.errors[:3],
                "changes": report.counts(),
                "seconds": round(seconds, 2),
                "cpu_s": round(time.process_time() - cpu, 2),
                "papers_per_s": round(args.papers / seconds, 1),
                "queries": len(queries),
                "progress_reports": len(ticks),
                "load_before": before,
                "load_after": load(),
            }
            if args.sqlite:
                figures["longest_writer_wait_s"] = round(probe.longest, 2)
            print(json.dumps(figures), flush=True)
        print(
            json.dumps(
                {
                    "stage": "after",
                    "papers": workshop.submissions.count(),
                    "reviews": Review.objects.filter(
                        assignment__submission__workshop=workshop
                    ).count(),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
