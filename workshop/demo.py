"""The demo workshop on open-source LLMs: its call, six topics and people.

Used by `manage.py seed_demo` (and so `make run`). Idempotent: running it again changes
nothing that exists; deadlines are set relative to the moment the workshop is created.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from .models import Role, Topic, User, Workshop
from .services import membership_grant

DEMO_PASSWORD = "open-llm-demo"
DEMO_SLUG = "osllm-2027"

TOPICS: tuple[tuple[str, str], ...] = (
    (
        "Algorithms",
        "Training, fine-tuning and alignment of open models: data-efficient "
        "pre-training, instruction tuning, preference optimisation, RLHF and its open "
        "alternatives.",
    ),
    (
        "Evaluation",
        "Benchmarks and methodology, including evaluating *with* LLMs (LLM-as-a-judge) "
        "and making evaluations reproducible: seeds, prompts, harnesses and reporting.",
    ),
    (
        "Transparency and safety",
        "Documentation, interpretability, red-teaming, refusal and "
        "misuse, and what openness changes for safety.",
    ),
    (
        "Data",
        "Open, high-quality datasets: collection, licensing, filtering, deduplication, "
        "multilinguality and data governance.",
    ),
    (
        "Scale",
        "Small and on-device models, distillation, quantisation and efficient "
        "inference on commodity hardware.",
    ),
    (
        "Community",
        "Collective, modular, GNU/Linux-style development of open LLMs: "
        "governance, contribution workflows, model merging and shared infrastructure.",
    ),
)

CALL = """\
Open-source large language models are built by communities, not just companies. This
workshop brings together people who **train, evaluate, document and share** open models, and
asks how the practices that made free software succeed carry over to LLMs.

We invite **full papers** (up to 8 pages) and **short papers** (up to 4 pages), excluding
references and appendices. Reviewing is double-blind: anonymise your PDF. Please disclose any
use of LLMs in preparing the paper, and link the code, data and weights you release.

Accepted papers are presented as posters; a few are selected for oral presentation. A
result like $\\mathcal{O}(n \\log n)$ renders as math in abstracts and reviews.
"""


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    affiliation: str
    role: str | None


PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("chair@example.org", "Ada Chair", "Open Models Lab", Role.CHAIR),
    DemoPerson("ac@example.org", "Alan Areachair", "University of Turing", Role.AREA_CHAIR),
    *(
        DemoPerson(
            f"reviewer{i}@example.org",
            name,
            affiliation,
            Role.REVIEWER,
        )
        for i, (name, affiliation) in enumerate(
            [
                ("Grace Reviewer", "Hopper Institute"),
                ("Edsger Reviewer", "TU Eindhoven"),
                ("Barbara Reviewer", "MIT"),
                ("Donald Reviewer", "Stanford University"),
                ("Frances Reviewer", "IBM Research"),
                ("John Reviewer", "Bell Labs"),
                ("Margaret Reviewer", "NASA"),
                ("Tim Reviewer", "CERN"),
            ],
            start=1,
        )
    ),
    DemoPerson("author1@example.org", "Alice Author", "Free University", None),
    DemoPerson("author2@example.org", "Bob Author", "Community College", None),
    DemoPerson("author3@example.org", "Carol Author", "Independent researcher", None),
)


def _user(person: DemoPerson) -> User:
    user = User.objects.filter(email=person.email).first()
    if user is None:
        user = User.objects.create_user(
            person.email, DEMO_PASSWORD, name=person.name, affiliation=person.affiliation
        )
    EmailAddress.objects.get_or_create(
        user=user, email=person.email, defaults={"verified": True, "primary": True}
    )
    return user


@dataclass(frozen=True)
class DemoWorkshop:
    slug: str
    name: str
    short_name: str
    call: str


MAIN = DemoWorkshop(DEMO_SLUG, "Workshop on Open-Source Large Language Models", "OSLLM 2027", CALL)
REVIEWING = DemoWorkshop(
    "osllm-eval-2026",
    "Open LLM Evaluation Day 2026",
    "EvalDay 2026",
    "A one-day workshop on evaluating open models. *This demo edition is in its bidding "
    "phase*: sign in as a reviewer to bid.",
)


IN_REVIEW = DemoWorkshop(
    "slm-2026",
    "Workshop on Small Language Models 2026",
    "SLM 2026",
    "Small, efficient and on-device language models. *This demo edition is being reviewed*: "
    "sign in as a reviewer to write reviews and discuss.",
)


DECIDED = DemoWorkshop(
    "osllm-2026",
    "Workshop on Open-Source Large Language Models 2026",
    "OSLLM 2026",
    "Last year's edition. *Its decisions are out*: see the accepted papers, or sign in as an "
    "author to read the reviews and prepare the camera-ready version.",
)


# Day offsets from "now" of each milestone, per demo phase (in MILESTONE order):
# opens, paper, supplementary, bidding, reviews, rebuttal opens/closes, discussion ends,
# notification, camera-ready.
PHASE_OFFSETS = {
    "call": (-14, 10, 12, 17, 35, 37, 41, 45, 50, 65),
    "bidding": (-40, -3, -2, 6, 27, 29, 33, 37, 42, 57),
    "reviewing": (-50, -20, -18, -10, 9, 11, 15, 19, 24, 40),
    "decided": (-90, -60, -58, -50, -30, -28, -24, -20, -10, 20),
}
MILESTONES = (
    "submission_opens",
    "paper_deadline",
    "supplementary_deadline",
    "bidding_deadline",
    "review_deadline",
    "rebuttal_opens",
    "rebuttal_closes",
    "discussion_ends",
    "notification_date",
    "camera_ready_deadline",
)


def phase_dates(phase: str, now: dt.datetime) -> dict[str, dt.datetime]:
    """Milestones that put a workshop in `phase` at `now`."""
    return {
        name: now + dt.timedelta(days=days)
        for name, days in zip(MILESTONES, PHASE_OFFSETS[phase], strict=True)
    }


def bidding_dates(now: dt.datetime) -> dict[str, dt.datetime]:
    return phase_dates("bidding", now)


def reviewing_dates(now: dt.datetime) -> dict[str, dt.datetime]:
    return phase_dates("reviewing", now)


def decided_dates(now: dt.datetime) -> dict[str, dt.datetime]:
    return phase_dates("decided", now)


def seed_people() -> dict[str, User]:
    return {person.email: _user(person) for person in PEOPLE}


@transaction.atomic
def seed_workshop(spec: DemoWorkshop, now: dt.datetime | None = None) -> tuple[Workshop, bool]:
    """The workshop (call open, deadlines relative to `now`), its topics and committee."""
    now = (now or timezone.now()).replace(microsecond=0)
    workshop, created = Workshop.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "short_name": spec.short_name,
            "call_for_papers": spec.call,
            "contact_email": f"chairs@{spec.slug}.example.org",
            "grace_minutes": 15,
            **phase_dates("call", now),
        },
    )
    for order, (name, description) in enumerate(TOPICS, start=1):
        Topic.objects.get_or_create(
            workshop=workshop, name=name, defaults={"description": description, "order": order}
        )
    people = seed_people()
    for person in PEOPLE:
        if person.role:
            membership_grant(workshop=workshop, user=people[person.email], role=person.role)
    return workshop, created


def seed_demo(now: dt.datetime | None = None) -> Workshop:
    """The main demo workshop (call open). Kept for callers that need just that one."""
    return seed_workshop(MAIN, now)[0]
