"""Benchmark of the reviewer's bidding page and the htmx bid endpoint.

Run ``.venv/bin/python bench/bidding.py [--runs 5] [--sizes 10,100,1000]``.

It builds a throwaway database (a SQLite file in a temporary directory, or, when
DATABASE_URL is set, a temporary PostgreSQL database ``bench_bidding_<pid>`` that is dropped
at the end), migrates it quietly, and fills one workshop in its bidding phase: six topics,
submitted papers with generated titles, abstracts, keywords and 2-6 authors each, and one
reviewer with a complete profile (expertise per topic and pasted paper abstracts), about one
bid per ten papers and a few conflicts of every kind (authorship, shared domain, declared
person, "in conflict" bid).

The workshop grows through the sizes (10, then 100, then 1,000 papers). At each size the
bidding page is requested once to count its SQL queries, once to warm up, then ``--runs``
times for the timings; the htmx bid POST is measured the same way. One JSON line per size
and endpoint goes to stdout. Figures only: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words("""
language model models open weights training fine-tuning instruction preference alignment
evaluation benchmark benchmarks harness reproducibility prompt prompts judge agreement human
raters data dataset datasets corpus corpora multilingual deduplication filtering licensing
governance tokeniser tokenisation vocabulary distillation quantisation pruning sparse mixture
experts inference latency throughput memory hardware commodity edge devices scaling laws
compute budget small large parameters transformer attention context window retrieval
augmented generation safety red-teaming refusal jailbreak misuse interpretability probing
circuits features documentation model cards transparency community contributors merging
adapters low-rank modular release reproducible seeds variance statistical significance
contamination leakage synthetic self-instruct feedback reward modelling policy optimisation
reinforcement learning curriculum pre-training continual forgetting robustness calibration
uncertainty hallucination factuality citations reasoning chain-of-thought mathematics code
generation agents tools planning efficiency energy carbon footprint open-source ecosystem
""")
TITLE_PATTERNS = (
    "{A} {n1} for {n2} {n3}",
    "Towards {a} {n1} in open {n2}",
    "{A} and {a} {n1}: lessons from {n2} {n3}",
    "On the {n1} of {a} {n2} {n3}",
    "{A} {n1} without {n2}",
    "What {n1} tells us about {a} {n2}",
)
ADJECTIVES = _words("""efficient robust reproducible scalable transparent multilingual sparse small
open faithful calibrated modular community-driven lightweight""")
FIRST = _words("""Ada Alan Grace Edsger Barbara Donald Frances John Margaret Tim Hedy Katherine
Claude Radia Leslie Shafi Fei-Fei Yoshua Geoffrey Yann Timnit Joy Emily Percy Chen Aiko
Ravi Olu Ines Mateo""")
LAST = _words("""Lovelace Turing Hopper Dijkstra Liskov Knuth Allen McCarthy Hamilton Berners-Lee
Lamarr Johnson Shannon Perlman Lamport Goldwasser Li Bengio Hinton LeCun Gebru Buolamwini
Bender Liang Wang Tanaka Patel Adeyemi Garcia Rossi""")
INSTITUTIONS = (
    ("University of Oslo", "uio.no"),
    ("ETH Zurich", "inf.ethz.ch"),
    ("University of Oxford", "cs.ox.ac.uk"),
    ("University of Tokyo", "is.s.u-tokyo.ac.jp"),
    ("Carnegie Mellon University", "cs.cmu.edu"),
    ("Inria", "inria.fr"),
    ("Max Planck Institute for Informatics", "mpi-inf.mpg.de"),
    ("University of Cape Town", "uct.ac.za"),
    ("Open Models Collective", "openmodels.org"),
    ("Independent researcher", "gmail.com"),
)
REVIEWER_DOMAIN = "bench-lab.org"
DECLARED_NAME = "Conflicted Colleague"


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def sentence(rng: random.Random) -> str:
    text = words(rng, rng.randint(12, 24))
    return text[0].upper() + text[1:] + "."


def abstract(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(6, 10)))


def title(rng: random.Random) -> str:
    adjective = rng.choice(ADJECTIVES)
    text = rng.choice(TITLE_PATTERNS).format(
        A=adjective.capitalize(),
        a=adjective,
        n1=rng.choice(WORDS),
        n2=rng.choice(WORDS),
        n3=rng.choice(WORDS),
    )
    return text[0].upper() + text[1:]


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (with 5 samples, p95 is the slowest run)."""
    ordered = sorted(samples)
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------- database


def configure_database(tmpdir: str) -> tuple[str, str | None]:
    """Point settings.DATABASES at a throwaway database before django.setup().

    Returns (vendor, name of the PostgreSQL database to create, or None for SQLite).
    """
    from django.conf import settings

    default = settings.DATABASES["default"]
    if os.environ.get("DATABASE_URL") and default["ENGINE"].endswith("postgresql"):
        return "postgresql", f"bench_bidding_{os.getpid()}"
    settings.DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tmpdir, "bench.sqlite3"),
        "ATOMIC_REQUESTS": False,
    }
    return "sqlite", None


def create_pg_database(name: str) -> None:
    from django.conf import settings
    from django.db import connections

    connection = connections["default"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name


def drop_pg_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --------------------------------------------------------------------------- data


class World:
    """The workshop, its reviewer, and the papers added so far."""

    def __init__(self) -> None:
        from django.utils import timezone

        from reviews.models import (
            ConflictDeclaration,
            DeclarationKind,
            ExpertiseLevel,
            ReviewerProfile,
            TopicExpertise,
        )
        from workshop.demo import TOPICS, bidding_dates
        from workshop.models import Membership, Role, Topic, User, Workshop

        self.rng = random.Random(20271)
        now = timezone.now().replace(microsecond=0)
        self.workshop = Workshop.objects.create(
            name="Benchmark Workshop on Open LLMs",
            short_name="BENCH",
            slug="bench",
            contact_email="chairs@bench.example",
            **bidding_dates(now),
        )
        self.topics = [
            Topic.objects.create(workshop=self.workshop, name=name, description=desc, order=i)
            for i, (name, desc) in enumerate(TOPICS)
        ]
        self.owner = User.objects.create_user(
            "submitter@bench-authors.org", name="Sam Submitter", password=None
        )
        self.reviewer = User.objects.create_user(
            f"rita@{REVIEWER_DOMAIN}",
            name="Rita Reviewer",
            affiliation="Bench Lab",
            password=None,
        )
        Membership.objects.create(workshop=self.workshop, user=self.reviewer, role=Role.REVIEWER)
        own_papers = "\n\n".join(f"{title(self.rng)}\n{abstract(self.rng)}" for _ in range(5))
        profile = ReviewerProfile.objects.create(
            workshop=self.workshop, user=self.reviewer, expertise_text=own_papers
        )
        levels = [ExpertiseLevel.EXPERT, ExpertiseLevel.KNOWLEDGEABLE, ExpertiseLevel.NONE]
        TopicExpertise.objects.bulk_create(
            TopicExpertise(profile=profile, topic=t, level=self.rng.choice(levels))
            for t in self.topics
        )
        ConflictDeclaration.objects.create(
            workshop=self.workshop,
            user=self.reviewer,
            kind=DeclarationKind.PERSON,
            value=DECLARED_NAME,
        )
        self.count = 0

    def grow_to(self, total: int) -> None:
        """Add papers (with authors, secondary topics, bids) up to `total`."""
        from reviews.models import Bid, BidValue
        from submissions.models import Authorship, Submission, SubmissionStatus

        rng = self.rng
        numbers = range(self.count + 1, total + 1)
        if not numbers:
            return
        Submission.objects.bulk_create(
            Submission(
                workshop=self.workshop,
                number=n,
                title=title(rng),
                abstract=abstract(rng),
                tldr=sentence(rng) if rng.random() < 0.5 else "",
                keywords=", ".join(rng.sample(WORDS, rng.randint(3, 5))),
                primary_topic=rng.choice(self.topics),
                status=SubmissionStatus.SUBMITTED,
                created_by=self.owner,
            )
            for n in numbers
        )
        papers = list(
            Submission.objects.filter(workshop=self.workshop, number__in=numbers).order_by("number")
        )
        authors, secondary, bids = [], [], []
        through = Submission.secondary_topics.through
        for paper in papers:
            people = []
            for _ in range(rng.randint(2, 6)):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                institution, domain = rng.choice(INSTITUTIONS)
                people.append((f"{first} {last}", f"{first}.{last}".lower(), domain, institution))
            conflicted = True
            if paper.number % 250 == 7:  # a colleague of the reviewer: shared domain
                people.append(("Carl Colleague", "carl", REVIEWER_DOMAIN, "Bench Lab"))
            elif paper.number % 500 == 3:  # the reviewer's own paper
                people.append(("Rita Reviewer", "rita", REVIEWER_DOMAIN, "Bench Lab"))
            elif paper.number % 500 == 50:  # a person the reviewer declared
                people.append((DECLARED_NAME, "cc", "uio.no", "University of Oslo"))
            else:
                conflicted = False
            seen = set()
            for position, (name, local, domain, institution) in enumerate(people, start=1):
                email = f"{local}{paper.number}.{position}@{domain}"
                if email in seen:
                    continue
                seen.add(email)
                authors.append(
                    Authorship(
                        submission=paper,
                        position=position,
                        name=name,
                        email=email,
                        affiliation=institution,
                        is_contact=position == 1,
                    )
                )
            for t in rng.sample(self.topics, rng.randint(0, 2)):
                if t.pk != paper.primary_topic_id:
                    secondary.append(through(submission_id=paper.pk, topic_id=t.pk))
            if paper.number % 500 == 77:
                bids.append(Bid(submission=paper, user=self.reviewer, value=BidValue.CONFLICT))
            elif not conflicted and rng.random() < 0.1:
                value = rng.choice(
                    [BidValue.EAGER, BidValue.WILLING, BidValue.NEUTRAL, BidValue.NOT_WILLING]
                )
                bids.append(Bid(submission=paper, user=self.reviewer, value=value))
        Authorship.objects.bulk_create(authors)
        through.objects.bulk_create(secondary)
        Bid.objects.bulk_create(bids)
        self.count = total


# --------------------------------------------------------------------------- measuring


def measure(request, runs: int) -> tuple[int, list[float], int]:
    """(queries of one request, `runs` timings in ms after a warm-up, response size)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = request(0)
    queries = len(captured)  # now: the next request_started clears the query log
    assert response.status_code == 200, response.status_code
    request(1)  # warm-up
    timings = []
    for i in range(runs):
        start = time.perf_counter()
        response = request(i + 2)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    return queries, timings, len(response.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed requests per size")
    parser.add_argument("--sizes", default="10,100,1000", help="paper counts, ascending")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    tmpdir = tempfile.mkdtemp(prefix="bench_bidding_")
    vendor, pg_name = configure_database(tmpdir)
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    import django

    django.setup()
    started = time.perf_counter()
    try:
        if pg_name:
            create_pg_database(pg_name)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        run(sizes, args.runs, vendor)
    finally:
        if pg_name:
            drop_pg_database(pg_name)
        else:
            from django.db import connections

            connections.close_all()
        shutil.rmtree(tmpdir, ignore_errors=True)
    print(f"# {vendor}, total {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def run(sizes: list[int], runs: int, vendor: str) -> None:
    from django.test import Client
    from django.urls import reverse

    from reviews.models import Bid, BidValue
    from reviews.selectors.committee import biddable_submissions
    from reviews.selectors.conflicts import conflicted_submission_ids

    world = World()
    client = Client()
    client.force_login(world.reviewer)
    page_url = reverse("reviews:bids", args=[world.workshop.slug])
    values = [BidValue.EAGER, BidValue.WILLING, BidValue.NEUTRAL, BidValue.NOT_WILLING]

    for size in sizes:
        world.grow_to(size)
        conflicts = len(conflicted_submission_ids(world.workshop, world.reviewer))
        bids = Bid.objects.filter(user=world.reviewer).count()
        queries, timings, size_bytes = measure(lambda _i: client.get(page_url), runs)
        print(
            json.dumps(
                {
                    "bench": "bidding_page",
                    "db": vendor,
                    "papers": size,
                    "visible": size - conflicts,
                    "conflicts": conflicts,
                    "bids": bids,
                    "queries": queries,
                    "median_ms": round(statistics.median(timings), 1),
                    "p95_ms": round(percentile(timings, 95), 1),
                    "html_kb": round(size_bytes / 1024, 1),
                }
            ),
            flush=True,
        )

        targets = list(
            biddable_submissions(world.workshop, world.reviewer).order_by("number")[: runs + 2]
        )

        def bid(i: int, targets=targets):
            paper = targets[i % len(targets)]
            url = reverse("reviews:bid", args=[world.workshop.slug, paper.pk])
            data = {"value": values[i % len(values)]}
            return client.post(url, data, headers={"HX-Request": "true"})

        queries, timings, size_bytes = measure(bid, runs)
        print(
            json.dumps(
                {
                    "bench": "bid_post_htmx",
                    "db": vendor,
                    "papers": size,
                    "queries": queries,
                    "median_ms": round(statistics.median(timings), 1),
                    "p95_ms": round(percentile(timings, 95), 1),
                    "html_kb": round(size_bytes / 1024, 1),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
