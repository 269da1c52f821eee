"""Benchmark of one reviewer's conflicts and their paper page as the workshop grows.

Run ``.venv/bin/python bench/conflicts.py [--sizes 2000,10000,25000] [--runs 15]``.

Issue 29: the reviewer's paper page grew with the workshop (130 ms at 250 papers, 996 ms at
10,000) because `conflicts_for` read every author row of the workshop to find one reviewer's
conflicts, twice per request. It now looks the few rows up through the author rows' match
keys. For each size (one workshop of N submitted papers with three authors each, built with
``bulk_create`` in the database ``workshop_conflicts_bench`` on DATABASE_URL's server, kept
between runs) this prints one JSON line per way ("keys": the indexed lookups, as the site
runs; "every author": the former read, by setting NARROW_UP_TO to 0) with the median and p95
of `hidden_submission_ids` for a reviewer with every kind of input (an own paper, a co-author,
declarations, a publication) and of their paper page through Django's test
client, in-process, with the query counts and the machine's load. Figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "workshop_conflicts_bench"
os.environ["DATABASE_URL"] = f"{SERVER}/{DB_NAME}"
os.environ["REDIS_URL"] = ""
os.environ["DJANGO_SETTINGS_MODULE"] = "workshop.settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")

# Names and institutions as diverse as a large venue's (a few thousand surnames, a few
# thousand domains), so that a name or a domain matches about as many rows at every size
# as it would in life, not a tenth of the workshop.
_SYL = ["ka", "to", "ri", "mo", "an", "el", "su", "no", "ve", "la", "di", "ch", "or", "im"]
FIRST = [a.capitalize() + b for a in _SYL for b in _SYL][:150]
LAST = [a.capitalize() + b + c for a in _SYL for b in _SYL for c in ("n", "s", "r")][:3000]
DOMAINS = [f"uni{i}.edu" for i in range(3000)] + ["gmail.com", "ox.ac.uk", "cs.ox.ac.uk"]


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.n += 1
        return execute(sql, params, many, context)


def _database() -> None:
    import psycopg2

    conn = psycopg2.connect(f"{SERVER}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    conn.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build(size: int):  # type: ignore[no-untyped-def]
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from reviews.models import Assignment, ConflictDeclaration, Publication
    from reviews.models.committee import DeclarationKind
    from reviews.services.reviewing import default_form_create
    from submissions.models import Authorship, Submission, SubmissionStatus
    from workshop.models import Membership, Role, User, Workshop

    slug = f"conflicts2-{size}"
    ws = Workshop.objects.filter(slug=slug).first()
    if ws is not None:
        return ws, User.objects.get(email=f"rita@{slug}.ox.ac.uk")
    rng = random.Random(size)
    now = timezone.now()
    with transaction.atomic():
        ws = Workshop.objects.create(
            name=f"Conflicts {size}", short_name=f"C{size}", slug=slug,
            contact_email="chairs@example.org", submission_opens=now - dt.timedelta(days=60),
            paper_deadline=now - dt.timedelta(days=40),
            review_deadline=now + dt.timedelta(days=5),
            notification_date=now + dt.timedelta(days=10),
        )  # fmt: skip
        default_form_create(ws)
        owner = User.objects.create(email=f"owner@{slug}.example.org", name="Owner")
        rita = User.objects.create(
            email=f"rita@{slug}.ox.ac.uk", name="Rita Novak", affiliation="Uni 7"
        )
        Membership.objects.create(user=rita, workshop=ws, role=Role.REVIEWER)
        papers = Submission.objects.bulk_create(
            Submission(workshop=ws, number=i + 1, created_by=owner, title=f"Paper {i + 1}",
                       status=SubmissionStatus.SUBMITTED, submitted_at=now)
            for i in range(size)
        )  # fmt: skip
        authors = []
        for p in papers:
            for k in range(3):
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                email = f"a{p.number}x{k}@{rng.choice(DOMAINS)}"
                authors.append(Authorship(submission=p, position=k + 1, name=name, email=email,
                                          affiliation=f"Uni {rng.randrange(3000)}"))  # fmt: skip
        authors[0].email, authors[1].email = rita.email, "bo@uni3.edu"  # her paper, co-author
        authors[3].email = "bo@uni3.edu"  # the co-author's other paper
        Authorship.objects.bulk_create(authors, batch_size=5000)
        declared = ((DeclarationKind.PERSON, f"{FIRST[3]} {LAST[40]}"),
                    (DeclarationKind.INSTITUTION, "Uni 1234"))  # fmt: skip
        for kind, value in declared:
            ConflictDeclaration.objects.create(workshop=ws, user=rita, kind=kind, value=value)
        coauthors = ["Rita Novak", f"{FIRST[5]} {LAST[7]}", f"K. {LAST[9]}"]
        Publication.objects.create(user=rita, title="T", year=now.year, authors=coauthors)
        Assignment.objects.create(submission=papers[-1], reviewer=rita, pseudonym="A")
    return ws, rita


def _time(fn, runs: int) -> tuple[float, float]:
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    return statistics.median(took), took[min(len(took) - 1, int(len(took) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2000,10000,25000")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    _database()
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from reviews.selectors import conflicts
    from submissions.models import Submission

    for size in [int(x) for x in args.sizes.split(",")]:
        started = time.perf_counter()
        ws, rita = build(size)
        built = time.perf_counter() - started
        number = (
            Submission.objects.filter(workshop=ws)
            .order_by("-number")
            .values_list("number", flat=True)[0]
        )
        url = f"/reviewing/{ws.slug}/papers/{number}/"
        for way, limit in (("keys", conflicts.NARROW_UP_TO), ("every author", 0)):
            conflicts.NARROW_UP_TO = limit
            with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False):
                client = Client()
                client.force_login(rita)
                assert client.get(url).status_code == 200, url
                page_q, sel_q = _Counter(), _Counter()
                with connection.execute_wrapper(page_q):
                    client.get(url)
                with connection.execute_wrapper(sel_q):
                    hidden = conflicts.hidden_submission_ids(ws, rita)
                sel = _time(lambda w=ws, r=rita: conflicts.hidden_submission_ids(w, r), args.runs)
                page = _time(lambda c=client, u=url: c.get(u), args.runs)
            print(json.dumps({
                "papers": size, "way": way, "build_s": round(built, 1),
                "conflicts_median_ms": round(sel[0], 1), "conflicts_p95_ms": round(sel[1], 1),
                "conflicts_queries": sel_q.n, "hidden": len(hidden),
                "page_median_ms": round(page[0], 1), "page_p95_ms": round(page[1], 1),
                "page_queries": page_q.n, "load": os.getloadavg()[0],
            }), flush=True)  # fmt: skip
        conflicts.NARROW_UP_TO = 50


if __name__ == "__main__":
    main()
