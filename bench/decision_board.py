"""Benchmark of the chairs' desk: the decision board, the submissions list, the review
progress view, the outbox and a search, through a real gunicorn (two workers).

Run ``.venv/bin/python bench/decision_board.py [--sizes 250,2000,10000] [--runs 30]``.

It needs PostgreSQL: the database is ``workshop_desk_bench`` on DATABASE_URL's server
(default ``postgres://postgres@127.0.0.1:5432``), created and migrated when missing and kept
between runs (``--rebuild`` starts afresh), so that the figures before and after a change are
taken on the same data. Each size is one workshop of its own (``bench-<size>``) with its
own chair: N submitted papers with six topics and two paper types, three submitted reviews
each (a recommendation score 1-5 and a confidence 1-5), an area chair per paper, a decision
on every fourth paper and two outbox mails per paper. Everything is written with
``bulk_create``.

For each size and page the script asks once in-process (Django's test client with
CaptureQueriesContext) for the query count, then starts gunicorn (2 workers, DEBUG off),
signs in as the workshop's chair by a session cookie, warms up, and times ``--runs``
requests. One JSON line per size and page goes to stdout: median and p95 in ms, the query
count and the bytes of the answer, plus the load average at the time. Figures only: nothing
here asserts on time. ``--variant old`` uses the URLs of the board before the desk (the
admin changelist's ``workshop__id__exact`` and a plain-text search).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "workshop_desk_bench"
DB_URL = f"{SERVER}/{DB_NAME}"
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("REDIS_URL", "")
os.environ["DJANGO_SETTINGS_MODULE"] = "desk_settings"  # bench/desk_settings.py
os.environ["PYTHONPATH"] = os.pathsep.join([ROOT, os.path.join(ROOT, "bench")])
if os.path.join(ROOT, "bench") not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, "bench"))
os.environ.setdefault("LOG_LEVEL", "WARNING")
# One key for the in-process client that signs in and for gunicorn: the session's auth hash
# depends on it.
os.environ["DJANGO_SECRET_KEY"] = "bench-only-secret-key-" + "x" * 40
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic

TOPICS = ["Data and licensing", "Evaluation", "Efficiency", "Safety", "Training", "Tooling"]
WORDS = [
    "open", "weights", "evaluation", "distillation", "quantisation", "multilingual", "data",
    "licensing", "benchmark", "alignment", "retrieval", "agents", "tokeniser",
    "reproducibility", "inference", "scaling", "safety",
]  # fmt: skip
PAGE = 200


def _ensure_database(rebuild: bool) -> bool:
    """Create (or recreate) the bench database; True when it has to be filled."""
    import psycopg2

    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        exists = cur.fetchone() is not None
        if exists and rebuild:
            cur.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
            exists = False
        if not exists:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()
    return not exists


def _setup_django(fresh: bool) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if fresh:
        print(json.dumps({"note": "database created and migrated", "db": DB_NAME}), flush=True)


def build_workshop(size: int):  # type: ignore[no-untyped-def]
    """One workshop of `size` submitted papers, three submitted reviews each (bulk)."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from reviews.models import (
        Answer,
        Assignment,
        Decision,
        DecisionCategory,
        Outcome,
        PaperScore,
        Review,
        ReviewStatus,
    )
    from reviews.services.reviewing import default_form_create
    from reviews.services.scores import paper_scores_rebuild
    from submissions.models import Submission, SubmissionStatus, SubmissionType
    from workshop.models import Membership, OutgoingMail, Role, Topic, User, Workshop

    slug = f"bench-{size}"
    existing = Workshop.objects.filter(slug=slug).first()
    if existing is not None:
        chair = User.objects.get(email=f"chair@{slug}.example.org")
        if not PaperScore.objects.filter(submission__workshop=existing).exists():
            paper_scores_rebuild(existing)  # a database built before the stored figures
        return existing, chair
    rng = random.Random(size)
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        ws = Workshop.objects.create(
            name=f"Bench workshop {size}", short_name=f"BENCH{size}", slug=slug,
            contact_email="chairs@example.org", submission_opens=now - dt.timedelta(days=60),
            paper_deadline=now - dt.timedelta(days=40), review_deadline=now - dt.timedelta(days=5),
            notification_date=now + dt.timedelta(days=10),
        )  # fmt: skip
        password = make_password("bench-password")
        chair = User.objects.create(
            email=f"chair@{slug}.example.org", name=f"Chair {size}", password=password,
            is_staff=True,
        )  # fmt: skip
        Membership.objects.create(user=chair, workshop=ws, role=Role.CHAIR)
        topics = Topic.objects.bulk_create(
            Topic(workshop=ws, name=name, order=i) for i, name in enumerate(TOPICS)
        )
        types = SubmissionType.objects.bulk_create(
            [SubmissionType(workshop=ws, name="Long paper", page_limit=8, order=1),
             SubmissionType(workshop=ws, name="Short paper", page_limit=4, order=2)]
        )  # fmt: skip
        n_reviewers = max(10, size * 3 // 6)
        reviewers = User.objects.bulk_create(
            User(email=f"r{i}@{slug}.example.org", name=f"Reviewer {i} {rng.choice(WORDS)}",
                 password=password)
            for i in range(n_reviewers)
        )  # fmt: skip
        n_acs = max(2, size // 25)
        acs = User.objects.bulk_create(
            User(email=f"ac{i}@{slug}.example.org", name=f"Area chair {i} {rng.choice(WORDS)}",
                 password=password)
            for i in range(n_acs)
        )  # fmt: skip
        Membership.objects.bulk_create(
            [Membership(user=u, workshop=ws, role=Role.REVIEWER) for u in reviewers]
            + [Membership(user=u, workshop=ws, role=Role.AREA_CHAIR) for u in acs]
        )
        questions = default_form_create(ws)
        rec = next(q for q in questions if q.is_recommendation)
        conf = next(q for q in questions if q.is_confidence)
        papers = Submission.objects.bulk_create(
            Submission(
                workshop=ws, number=i + 1, created_by=chair, status=SubmissionStatus.SUBMITTED,
                title=" ".join(rng.choice(WORDS) for _ in range(6)).capitalize(),
                keywords=", ".join(rng.sample(WORDS, 3)), primary_topic=rng.choice(topics),
                submission_type=rng.choice(types), submitted_at=now,
            )
            for i in range(size)
        )  # fmt: skip
        assignments = []
        for p in papers:
            for letter, r in zip("ABC", rng.sample(reviewers, 3), strict=True):
                assignments.append(Assignment(submission=p, reviewer=r, pseudonym=letter))
            assignments.append(
                Assignment(submission=p, reviewer=rng.choice(acs), role=Role.AREA_CHAIR)
            )
        assignments = Assignment.objects.bulk_create(assignments, batch_size=2000)
        reviews = Review.objects.bulk_create(
            (
                Review(assignment=a, status=ReviewStatus.SUBMITTED, version=1, submitted_at=now)
                for a in assignments
                if a.role == Role.REVIEWER
            ),
            batch_size=2000,
        )
        answers = []
        for r in reviews:
            answers.append(Answer(review=r, question=rec, value=rng.randint(1, 5)))
            answers.append(Answer(review=r, question=conf, value=rng.randint(1, 5)))
        Answer.objects.bulk_create(answers, batch_size=4000)
        paper_scores_rebuild(ws)  # the bulk writes bypassed the review services
        categories = DecisionCategory.objects.bulk_create(
            [DecisionCategory(workshop=ws, name="Accept (oral)", outcome=Outcome.ACCEPT, order=1),
             DecisionCategory(workshop=ws, name="Accept (poster)", outcome=Outcome.ACCEPT,
                              order=2),
             DecisionCategory(workshop=ws, name="Reject", outcome=Outcome.REJECT, order=3),
             DecisionCategory(workshop=ws, name="Desk reject", outcome=Outcome.DESK_REJECT,
                              order=4)]
        )  # fmt: skip
        decided = papers[::4]
        Decision.objects.bulk_create(
            Decision(submission=p, category=rng.choice(categories[:3]), decided_by=chair)
            for p in decided
        )
        mails = []
        for p in papers:
            for k in range(2):
                mails.append(
                    OutgoingMail(
                        key=f"bench:{slug}:{p.number}:{k}",
                        workshop=ws,
                        to=f"a{p.number}@x.org",
                        kind="submission_received" if k == 0 else "review_submitted",
                        subject=f"[BENCH{size}] Your paper #{p.number} “{p.title}” was received "
                        "and is now under review by the programme committee",
                        body_text="Hello.",
                        status="sent",
                        submission_id=p.pk,
                    )
                )
        OutgoingMail.objects.bulk_create(mails, batch_size=4000)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(json.dumps({"note": "built", "papers": size,
                      "seconds": round(time.perf_counter() - started, 1)}), flush=True)  # fmt: skip
    return ws, chair


def pages(variant: str, ws, size: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The URLs measured, by name."""
    last = max(1, -(-size // PAGE))
    middle = max(1, (last + 1) // 2)
    if variant == "old":
        board = f"/admin/reviews/decisionboard/?workshop__id__exact={ws.pk}"
        search = board + "&q=distillation"
    else:
        board = f"/admin/reviews/decisionboard/?workshop={ws.pk}"
        search = board + "&q=" + urllib.parse.quote("topic:data score:>=3 -decision:reject")
    return {
        "board_first": board,
        "board_middle": f"{board}&p={middle}",
        "board_last": f"{board}&p={last}",
        "search": search,
        "board_by_mean_last": f"{board}&sort=-mean&p={last}" if variant == "new" else board,
        "submissions": f"/admin/submissions/submission/?workshop__id__exact={ws.pk}",
        "progress": f"/admin/reviews/review/progress/{ws.pk}/",
        "outbox": f"/admin/workshop/outgoingmail/?workshop__id__exact={ws.pk}",
    }


def count_queries(chair, urls: dict[str, str]) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Per page, in-process: the query count, the status and bytes, and (median of five)
    the Python CPU time of the request and the SQL time. The CPU time hardly depends on
    what else runs on the machine, so it stays comparable on a shared one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(chair)
    out = {}
    for name, url in urls.items():
        client.get(url)  # warm caches of the process, as a running server has them
        cpu, sql = [], []
        for _ in range(5):
            started = time.process_time()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            cpu.append((time.process_time() - started) * 1000)
            sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        out[name] = {
            "queries": len(ctx.captured_queries),
            "status": response.status_code,
            "bytes": len(response.content),
            "cpu_ms": round(statistics.median(cpu), 1),
            "sql_ms": round(statistics.median(sql), 1),
        }
    return out


def session_cookie(chair) -> str:  # type: ignore[no-untyped-def]
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(chair)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "desk_settings",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "workshop.wsgi:application", "--workers", "2", "--bind",
         f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=2).read()
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.2)
    return proc, base


def fetch(base: str, url: str, cookie: str) -> tuple[float, int, int]:
    request = urllib.request.Request(base + url, headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        status = response.status
        if response.geturl() != base + url:
            status = 302  # redirected (to the login page): the figure would be meaningless
    return (time.perf_counter() - started) * 1000, status, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,2000,10000")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--variant", choices=["old", "new"], default="new")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument(
        "--inprocess-only",
        action="store_true",
        help="only the in-process figures (queries, CPU and SQL time), no gunicorn",
    )
    args = parser.parse_args()
    fresh = _ensure_database(args.rebuild)
    _setup_django(fresh)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    worlds = {size: build_workshop(size) for size in sizes}
    if args.inprocess_only:
        for size, (ws, chair) in worlds.items():
            urls = pages(args.variant, ws, size)
            if args.only:
                urls = {k: v for k, v in urls.items() if k in args.only.split(",")}
            for name, figures in count_queries(chair, urls).items():
                print(json.dumps({"variant": args.variant, "papers": size, "page": name,
                                  **figures, "load": round(os.getloadavg()[0], 2)}),
                      flush=True)  # fmt: skip
        return
    proc, base = start_gunicorn()
    try:
        for size, (ws, chair) in worlds.items():
            urls = pages(args.variant, ws, size)
            if args.only:
                urls = {k: v for k, v in urls.items() if k in args.only.split(",")}
            queries = count_queries(chair, urls)
            cookie = session_cookie(chair)
            for name, url in urls.items():
                for _ in range(3):
                    fetch(base, url, cookie)  # warm-up: both workers, connections, templates
                times, size_bytes, status = [], 0, 0
                for _ in range(args.runs):
                    ms, status, size_bytes = fetch(base, url, cookie)
                    times.append(ms)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                print(json.dumps({
                    "variant": args.variant, "papers": size, "page": name,
                    "median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
                    "queries": queries[name]["queries"], "bytes": size_bytes, "status": status,
                    "inprocess_cpu_ms": queries[name]["cpu_ms"],
                    "inprocess_sql_ms": queries[name]["sql_ms"],
                    "runs": args.runs, "load": round(os.getloadavg()[0], 2), "url": url,
                }), flush=True)  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
