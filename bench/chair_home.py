"""Benchmark of the chairs' home figures (`reviews.selectors.console.console_figures`, the
programme's `scheduled_counts`, and the whole /admin/ page) at growing numbers of workshops.

Run ``.venv/bin/python bench/chair_home.py [--workshops 2,20,100] [--papers 50] [--runs 20]``.

Needs PostgreSQL (``DATABASE_URL``, the server only: a throwaway database
``bench_home_<pid>`` is created, migrated and dropped). The world is the desk's test world
(`tests.reviews.desk.desk_build`: submitted papers with three reviews each, an area chair,
a decision on every fourth, a flagged PDF here and there), one workshop after another, and
one chair of all of them. For each number of workshops (the first N) it prints one JSON
line: the queries of the figures and of the page, and the median and p95 in ms of each,
in-process (Django's test client). Figures only: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
warnings.filterwarnings("ignore", message="No directory at")

from mail import database  # noqa: E402 - bench/mail.py's throwaway database


def _timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return round(statistics.median(times), 1), round(times[int(len(times) * 0.95) - 1], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workshops", default="2,20,100")
    parser.add_argument("--papers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.workshops.split(","))
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    with database(server, prefix="bench_home") as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("REDIS_URL", "")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection, reset_queries
        from django.test import Client
        from django.test.utils import CaptureQueriesContext, setup_test_environment

        setup_test_environment()
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        settings.ALLOWED_HOSTS = ["*"]
        call_command("migrate", verbosity=0)

        from programme.selectors import scheduled_counts
        from reviews.selectors.console import console_figures
        from tests.factories import UserFactory, WorkshopFactory
        from tests.reviews.desk import desk_build
        from workshop.models import Role
        from workshop.services import membership_grant

        start = time.perf_counter()
        workshops = []
        for i in range(sizes[-1]):
            workshops.append(WorkshopFactory(slug=f"home-{i}", short_name=f"H{i}"))
            desk_build(workshops[-1], args.papers)
        print(json.dumps({"built_workshops": sizes[-1], "papers_each": args.papers,
                          "seconds": round(time.perf_counter() - start, 1)}))  # fmt: skip
        client = Client()
        for n in sizes:
            chosen = workshops[:n]
            chair = UserFactory(email=f"bench-chair-{n}@example.org")  # chairs the first n
            for workshop in chosen:
                membership_grant(workshop=workshop, user=chair, role=Role.CHAIR)
            client.force_login(chair)
            client.get("/admin/")  # warm-up

            def figures(chosen=chosen) -> None:
                console_figures(chosen)
                scheduled_counts(w.pk for w in chosen)

            reset_queries()  # a full log (9,000 entries) would capture nothing more
            with CaptureQueriesContext(connection) as fig_q:
                figures()
            reset_queries()
            with CaptureQueriesContext(connection) as page_q:
                assert client.get("/admin/").status_code == 200
            fig_ms = _timed(figures, args.runs)
            page_ms = _timed(lambda: client.get("/admin/"), args.runs)
            print(json.dumps({
                "workshops": n, "papers": n * args.papers,
                "figure_queries": len(fig_q.captured_queries),
                "figures_median_ms": fig_ms[0], "figures_p95_ms": fig_ms[1],
                "page_queries": len(page_q.captured_queries),
                "page_median_ms": page_ms[0], "page_p95_ms": page_ms[1],
                "loadavg": round(os.getloadavg()[0], 2),
            }))  # fmt: skip


if __name__ == "__main__":
    main()
