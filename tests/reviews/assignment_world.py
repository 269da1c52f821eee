"""The world of the assignment tests: a workshop in bidding, its chair, a paper owner (the
fixtures), members and papers with bids and affinities, and the matching run a chair starts.
Shared by the assignment flow, affinity and fit explanation tests."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    MatchingRun,
    ReviewerProfile,
    TopicExpertise,
)
from submissions.models import Authorship, Submission, SubmissionStatus
from tests.factories import (
    MembershipFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.demo import bidding_dates
from workshop.models import Role

MARK = "Qzxmarker"  # in every author's name and address; never in a reviewer's mail


RUN_ADD = "admin:reviews_matchingrun_add"


RUN_PAGE = "admin:reviews_matchingrun_change"


@pytest.fixture(name="workshop")
def workshop_in_bidding(db):
    """Workshop Alpha in its bidding phase, with three topics."""
    w = WorkshopFactory(
        name="Workshop Alpha",
        short_name="ALPHA",
        slug="alpha",
        reviews_per_paper=2,
        reviewer_max_load=3,
        **bidding_dates(timezone.now().replace(microsecond=0)),
    )
    for name in ("Evaluation", "Data", "Scale"):
        TopicFactory(workshop=w, name=name)
    return w


@pytest.fixture(name="chair")
def chair_of_workshop(workshop):
    return make_chair(workshop, email="carla@chair-house.org", name="Carla Chair")


@pytest.fixture(name="owner")
def paper_owner(db):
    return UserFactory(email="owen@owner-house.org", name="Owen Owner")


def member(
    workshop,
    key: str,
    name: str,
    *,
    text: str | None = None,
    levels=None,
    requested: int | None = None,
    approved: bool = False,
    **fields,
):
    """A reviewer of `workshop` at <key>@<key>-lab.org; a profile when any profile field is
    given (`levels`: {topic name: level})."""
    user = UserFactory(email=fields.pop("email", f"{key}@{key}-lab.org"), name=name, **fields)
    MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
    if text is not None or levels or requested is not None:
        profile = ReviewerProfile.objects.create(
            workshop=workshop,
            user=user,
            expertise_text=text or "",
            requested_max_load=requested,
            load_request_approved=approved,
        )
        for topic, level in (levels or {}).items():
            TopicExpertise.objects.create(
                profile=profile, topic=workshop.topics.get(name=topic), level=level
            )
    return user


def paper(
    workshop,
    owner,
    title: str,
    *,
    topic: str = "Evaluation",
    secondary=(),
    keywords: str = "",
    abstract: str = "",
    authors=None,
    status: str = SubmissionStatus.SUBMITTED,
) -> Submission:
    """A paper with the next number; `authors`: [(name, email)], default one MARK author."""
    number = workshop.submissions.count() + 1
    sub = Submission.objects.create(
        workshop=workshop,
        number=number,
        title=title,
        status=status,
        created_by=owner,
        keywords=keywords,
        abstract=abstract or f"We study {keywords or title.lower()}.",
        primary_topic=workshop.topics.get(name=topic),
    )
    sub.secondary_topics.set([workshop.topics.get(name=t) for t in secondary])
    default = [(f"Zed {MARK} Author{number}", f"zed{number}@{MARK.lower()}{number}.net")]
    for position, (name, email) in enumerate(authors or default, start=1):
        Authorship.objects.create(
            submission=sub,
            position=position,
            name=name,
            email=email.lower(),
            affiliation=f"{MARK} Institute",
        )
    return sub


def run_data(workshop, mode: str = "max_total", **extra) -> dict:
    data = {
        "workshop": workshop.pk,
        "mode": mode,
        "reviews_per_paper": 2,
        "min_load": 0,
        "max_load": "",
        "weight_bid": 1.0,
        "weight_topic": 0.5,
        "weight_text": 1.0,
        "prob_cap": 0.5,
        "seed": "",
    }
    data.update(extra)
    return data


def start_run(client, workshop, mode: str = "max_total", *, execute: bool = True, **extra):
    """POST the run form as the logged-in chair; `execute`: let the on-commit task run."""
    before = set(MatchingRun.objects.values_list("pk", flat=True))
    with TestCase.captureOnCommitCallbacks(execute=execute):
        response = client.post(reverse(RUN_ADD), run_data(workshop, mode, **extra))
    assert response.status_code == 302, response.context["form"].errors
    (run,) = MatchingRun.objects.exclude(pk__in=before)
    assert response.url == reverse(RUN_PAGE, args=[run.pk])
    return run
