"""Issue 30, finding 1: a double-blind reviewer must not learn who wrote a paper by typing a
guessed name and watching which paper leaves their bidding list.

The probe of the attack run, repeated for every input a reviewer controls (a publication whose
co-author is the guessed author, exactly or by the fuzzy family-name-and-initial rule; a
declared person by name or address; a declared institution; an unverified address added to
the account; the account's affiliation; a co-author on a draft of their own): everything the
reviewer sees of the workshop (bidding page in order with its fits and counters, a search for
the paper, the bids API, the dashboard) is the same before and after, while the conflict
takes effect where the chairs and the matching look (the reasons, the matching input, a hand
assignment). Conflicts the reviewer's input cannot produce (their verified authorship, the
authors naming them, a chair's word) still hide the paper; so does every conflict on a
single-blind workshop, where the authors are named anyway.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.account.models import EmailAddress
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from reviews.models import Assignment, Bid, BidValue, ConflictOverride
from reviews.selectors.committee import bid_coverage
from reviews.selectors.conflicts import conflicts_for
from reviews.selectors.matching import matching_input
from reviews.services.assignment import assignment_add
from reviews.services.committee import declarations_replace
from reviews.services.expertise import publication_add, publication_set_excluded
from submissions.models import AuthorConflict, Submission, SubmissionStatus
from tests.factories import (
    AuthorshipFactory,
    MembershipFactory,
    SubmissionFactory,
    TopicFactory,
    UserFactory,
    WorkshopFactory,
    make_chair,
)
from workshop.demo import bidding_dates
from workshop.errors import ServiceError
from workshop.models import AnonymityMode, Role, User

pytestmark = pytest.mark.django_db

GUESSED = ("Alice Author", "alice@author-uni.edu", "Author University")
HINT = "you may be in conflict with some papers"


class World:
    workshop: WorkshopFactory
    chair: User
    reviewer: User
    target: Submission  # the paper by the guessed author
    declared_against: Submission  # the authors declared a conflict with an institution
    others: list[Submission]


def _paper(workshop, owner, number: int, title: str, authors,
           status: str = SubmissionStatus.SUBMITTED) -> Submission:  # fmt: skip
    sub = SubmissionFactory(
        workshop=workshop, number=number, title=title, created_by=owner, contact=False,
        abstract=f"{title}: we evaluate open language models.",
        primary_topic=workshop.topics.first(), status=status, submitted_at=None,
    )  # fmt: skip
    for i, (n, e, a) in enumerate(authors, start=1):
        AuthorshipFactory(submission=sub, name=n, email=e, affiliation=a, is_contact=i == 1)
    return sub


def _build(anonymity: str = AnonymityMode.DOUBLE_BLIND) -> World:
    world = World()
    now = timezone.now().replace(microsecond=0)
    w = WorkshopFactory(short_name="ORC", slug=f"orc-{anonymity[:4]}", anonymity=anonymity,
                        **bidding_dates(now))  # fmt: skip
    TopicFactory(workshop=w, name="Evaluation")
    world.workshop = w
    world.chair = make_chair(w)
    lab = "rev-lab" if anonymity == AnonymityMode.DOUBLE_BLIND else "rev-lab-two"
    owner = UserFactory(email=f"owner@{lab}-owners.org", name="Owner Person")
    world.reviewer = UserFactory(email=f"rita@{lab}.org", name="Rita Reviewer",
                                 affiliation="Reviewer Lab")  # fmt: skip
    MembershipFactory(workshop=w, user=world.reviewer, role=Role.REVIEWER)
    world.target = _paper(w, owner, 1, "Tokeniser drift", [GUESSED])
    world.others = [
        _paper(w, owner, 2, "Evaluation leaks", [("Bob Other", "bob@other-inst.org", "Other")]),
        _paper(w, owner, 3, "Data cards", [("Carol Third", "carol@third-lab.net", "Third Lab")]),
    ]
    world.declared_against = _paper(w, owner, 4, "Quiet paper",
                                    [("Dan Fourth", "dan@fourth.org", "Fourth")])  # fmt: skip
    AuthorConflict.objects.create(submission=world.declared_against, institution="Guessed Inst")
    # A bid placed before the probe: the bids API answers it before and after.
    for sub in (world.target, world.declared_against, world.others[0]):
        Bid.objects.create(submission=sub, user=world.reviewer, value=BidValue.WILLING)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def single_blind(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build(AnonymityMode.SINGLE_BLIND)
        transaction.set_rollback(True)


def seen(client, world: World) -> dict:
    """Everything the reviewer's pages and API say about the workshop's papers."""
    w = world.workshop
    bids = client.get(reverse("reviews:bids", args=[w.slug]))
    assert bids.status_code == 200
    page = bids.context["page"]
    html = bids.content.decode()
    search = client.get(reverse("reviews:bids", args=[w.slug]), {"q": "#1"}).context["page"]
    api = client.get(reverse("api:bids", args=[w.slug]))
    assert api.status_code == 200
    dashboard = client.get(reverse("reviews:dashboard"))
    return {
        "rows": [(r.submission.number, r.submission.title, r.fit, r.bid) for r in page.rows],
        "counters": (page.total, page.placed, page.requested, page.matching),
        "counter html": html.split('id="bid-counter">', 1)[1].split("</span>", 1)[0],
        "paper anchors": sorted(int(x.split('"')[0]) for x in html.split('id="paper-')[1:]),
        "search #1": [r.submission.number for r in search.rows],
        "api": api.json()["results"],
        "dashboard": [a.submission_id for a in dashboard.context["assignments"]],
    }


def chair_side_refuses(world: World, sub: Submission, reason: str) -> None:
    """The conflict takes effect for the chairs, the matching and a hand assignment."""
    reasons = conflicts_for(world.workshop, user_ids=[world.reviewer.pk]).reasons
    assert reason in reasons[(sub.pk, world.reviewer.pk)]
    instance = matching_input(world.workshop)
    pidx, ridx = instance.paper_index(), instance.reviewer_index()
    assert instance.forbidden[pidx[sub.pk], ridx[world.reviewer.pk]]
    assert reason in instance.conflict_reasons[(pidx[sub.pk], ridx[world.reviewer.pk])]
    with pytest.raises(ServiceError, match="in conflict"):
        assignment_add(submission=sub, reviewer=world.reviewer, chair=world.chair, notify=False)
    # The chairs' bid coverage does not count the reviewer's positive bid on it.
    coverage = {r["submission"].pk: r for r in bid_coverage(world.workshop)}
    assert (coverage[sub.pk]["positive"], coverage[sub.pk]["bids"]) == (0, 1)


# --------------------------------------------------------------------------- the probes


def _publication(*authors: str) -> Callable[[World], None]:
    def probe(world: World) -> None:
        r = world.reviewer
        pub = publication_add(actor=r, owner=r, title="A probe", year=timezone.now().year,
                              authors=["Rita Reviewer", *authors])  # fmt: skip
        # Left out of the expertise, so that the fits (and the order) cannot move either.
        publication_set_excluded(actor=r, publication=pub, excluded=True)

    return probe


def _declare(people=(), institutions=()) -> Callable[[World], None]:
    def probe(world: World) -> None:
        declarations_replace(workshop=world.workshop, user=world.reviewer,
                             people=list(people), institutions=list(institutions))  # fmt: skip

    return probe


def _unverified(address: str) -> Callable[[World], None]:
    def probe(world: World) -> None:
        EmailAddress.objects.create(user=world.reviewer, email=address, verified=False)

    return probe


def _affiliation(world: World) -> None:
    User.objects.filter(pk=world.reviewer.pk).update(affiliation="Guessed Inst")
    world.reviewer.refresh_from_db()


def _coauthored_draft(world: World) -> None:
    """The reviewer's own draft, naming the guessed author as a co-author."""
    _paper(world.workshop, world.reviewer, 9, "My draft",
           [("Rita Reviewer", world.reviewer.email, ""), GUESSED],
           status=SubmissionStatus.DRAFT)  # fmt: skip


PROBES = {
    "publication co-author": (_publication("Alice Author"), "target", "publication"),
    "publication, fuzzy name": (_publication("A. Author"), "target", "publication-similar"),
    "declared name": (_declare(people=["alice author"]), "target", "declared"),
    "declared address": (_declare(people=[GUESSED[1]]), "target", "declared"),
    "declared institution": (_declare(institutions=["author university"]), "target", "declared"),
    "unverified address": (_unverified(GUESSED[1]), "target", "authorship"),
    "unverified domain": (_unverified("rita@author-uni.edu"), "target", "domain"),
    "affiliation": (_affiliation, "declared_against", "author-declared"),
    "co-author on own draft": (_coauthored_draft, "target", "coauthor"),
}


@pytest.mark.parametrize("name", PROBES)
def test_a_guess_changes_nothing_the_reviewer_sees_but_binds_the_chairs(client, world, name):
    probe, which, reason = PROBES[name]
    sub = getattr(world, which)
    client.force_login(world.reviewer)
    before = seen(client, world)
    assert sub.pk in before["paper anchors"]
    assert {r["submission"].pk: r["positive"] for r in bid_coverage(world.workshop)}[sub.pk] == 1

    probe(world)

    assert seen(client, world) == before
    chair_side_refuses(world, sub, reason)
    # A bid on the paper is taken like any other (the matching ignores it: forbidden above).
    response = client.post(reverse("reviews:bid", args=[world.workshop.slug, sub.pk]),
                           {"value": "eager"}, headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 200
    assert Bid.objects.get(submission=sub, user=world.reviewer).value == BidValue.EAGER


def test_the_bidding_page_says_only_that_the_chairs_check(client, world):
    """One sentence whatever the reviewer declared: no count, nothing per paper."""
    client.force_login(world.reviewer)
    url = reverse("reviews:bids", args=[world.workshop.slug])
    before = client.get(url).content.decode()
    assert HINT in before.lower()
    _declare(people=["alice author"])(world)
    after = client.get(url).content.decode()
    assert after.lower().count(HINT) == before.lower().count(HINT) == 1
    profile = client.get(reverse("reviews:profile", args=[world.workshop.slug])).content.decode()
    assert HINT in profile.lower()


def test_an_assignment_made_before_a_guess_stays_as_it_was(client, world):
    """A declaration after the assignment does not take the paper away (that would answer
    the guess too); the chairs see the conflict and the reviewer may decline."""
    other = world.others[0]
    assignment, _ = assignment_add(submission=other, reviewer=world.reviewer, chair=world.chair,
                                   notify=False)  # fmt: skip
    client.force_login(world.reviewer)
    paper_url = reverse("reviews:paper", args=[world.workshop.slug, other.number])
    before = (seen(client, world), client.get(paper_url).status_code)
    assert other.pk in before[0]["dashboard"]

    _declare(people=["Bob Other"])(world)

    assert (seen(client, world), client.get(paper_url).status_code) == before
    reasons = conflicts_for(world.workshop, user_ids=[world.reviewer.pk]).reasons
    assert "declared" in reasons[(other.pk, world.reviewer.pk)]
    assert Assignment.objects.filter(pk=assignment.pk, declined_at__isnull=True).exists()


# --------------------------------------------------------------------------- still hidden


def _verified_secondary(world: World) -> None:
    EmailAddress.objects.create(user=world.reviewer, email=GUESSED[1], verified=True)


def _authors_name_the_reviewer(world: World) -> None:
    AuthorConflict.objects.create(submission=world.target, member=world.reviewer)


def _chair_sets(world: World) -> None:
    ConflictOverride.objects.create(
        submission=world.target, user=world.reviewer, conflicted=True, reason="advisor",
        set_by=world.chair,
    )  # fmt: skip


@pytest.mark.parametrize(
    "probe", [_verified_secondary, _authors_name_the_reviewer, _chair_sets],
    ids=["verified own address", "authors named the reviewer", "chair"],
)  # fmt: skip
def test_conflicts_no_guess_can_produce_still_hide_the_paper(client, world, probe):
    client.force_login(world.reviewer)
    probe(world)
    after = seen(client, world)
    assert world.target.pk not in after["paper anchors"]
    assert after["search #1"] == []
    assert 1 not in [row["paper"] for row in after["api"]]
    bid = reverse("reviews:bid", args=[world.workshop.slug, world.target.pk])
    assert client.post(bid, {"value": "eager"}).status_code == 404


def test_single_blind_keeps_hiding_declared_conflicts(client, single_blind):
    """The authors are named to the committee anyway: nothing to protect, nothing shown."""
    client.force_login(single_blind.reviewer)
    assert single_blind.target.pk in seen(client, single_blind)["paper anchors"]
    _declare(people=["alice author"])(single_blind)
    assert single_blind.target.pk not in seen(client, single_blind)["paper anchors"]
