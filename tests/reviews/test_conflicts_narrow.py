"""One person's conflicts through the author rows' match keys (issue 29).

`conflicts_for` for a few people reads only the author rows that can concern them, through
the indexed match keys (`_authors_matching`), instead of every author of the workshop. The
answer must be the same: a seeded world where names, addresses, domains, institutions and
co-authors collide on purpose is asked both ways, for every member, and must agree reason
for reason. The number of queries must not grow with the workshop's papers, and the keys
must follow every way an author row is written.
"""

from __future__ import annotations

import random

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.models import Bid, BidValue, ConflictDeclaration, ConflictOverride, Publication
from reviews.models.committee import DeclarationKind
from reviews.selectors import conflicts as conflicts_module
from reviews.selectors.conflicts import conflicts_for, hidden_submission_ids
from submissions.models import AuthorConflict, Authorship, SubmissionStatus
from tests.factories import (
    AuthorshipFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
    WorkshopFactory,
)
from workshop.models import Role

pytestmark = pytest.mark.django_db

FIRST = ["Ana", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana"]
LAST = ["Li", "Smith", "Okafor", "Novak", "Garcia", "Ito"]
DOMAINS = ["cs.ox.ac.uk", "ox.ac.uk", "uni-x.edu", "lab.uni-x.edu", "gmail.com", "ethz.ch"]
PLACES = ["University of Oxford", "Uni X", "ETH Zurich", "Google", ""]


def _world(seed: int, papers: int, tag: str = ""):
    rng = random.Random(seed)
    workshop = WorkshopFactory()
    people = []
    for i in range(14):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        user = UserFactory(
            email=f"m{i}{tag}@{rng.choice(DOMAINS)}", name=name, affiliation=rng.choice(PLACES)
        )
        MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
        if rng.random() < 0.4:
            EmailAddress.objects.create(
                user=user, email=f"alt{i}{tag}@{rng.choice(DOMAINS)}", verified=rng.random() < 0.5
            )
        people.append(user)
    subs = []
    for n in range(papers):
        status = SubmissionStatus.DRAFT if rng.random() < 0.1 else SubmissionStatus.SUBMITTED
        sub = SubmissionFactory(workshop=workshop, status=status, contact=False)
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.25:  # a committee member writes this paper
                who = rng.choice(people)
                name, email = who.name, who.email
            else:
                name = f"{rng.choice(FIRST)} {rng.choice(['Q.', ''])} {rng.choice(LAST)}"
                email = (
                    "" if rng.random() < 0.1 else f"a{n}x{rng.randrange(30)}@{rng.choice(DOMAINS)}"
                )
            if email and sub.authors.filter(email=email).exists():
                continue
            AuthorshipFactory(submission=sub, name=name.replace("  ", " "), email=email,
                              affiliation=rng.choice(PLACES))  # fmt: skip
        subs.append(sub)
    for user in people:
        for _ in range(rng.randint(0, 2)):
            kind = rng.choice([DeclarationKind.PERSON, DeclarationKind.INSTITUTION])
            if kind == DeclarationKind.PERSON:
                named = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                value = rng.choice(
                    [named, f"a{rng.randrange(papers)}x{rng.randrange(30)}@ox.ac.uk"]
                )
            else:
                value = rng.choice(["Oxford", "Uni X", "ETH"])
            ConflictDeclaration.objects.get_or_create(
                workshop=workshop, user=user, kind=kind, value=value
            )
        if rng.random() < 0.5:
            Publication.objects.create(
                user=user, title=f"P {user.pk}", year=2026,
                authors=[user.name, f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                         f"{rng.choice(FIRST)[0]}. {rng.choice(LAST)}"],
            )  # fmt: skip
        for sub in rng.sample(subs, 2):
            if rng.random() < 0.3:
                Bid.objects.create(user=user, submission=sub, value=BidValue.CONFLICT)
            if rng.random() < 0.2:
                ConflictOverride.objects.get_or_create(
                    user=user, submission=sub, defaults={"conflicted": rng.random() < 0.5}
                )
    for sub in rng.sample(subs, 4):
        AuthorConflict.objects.create(submission=sub, member=rng.choice(people))
    AuthorConflict.objects.create(submission=subs[0], institution="University of Oxford")
    return workshop, people


def _as_dicts(found):
    return (
        {p: set(r) for p, r in found.reasons.items() if r},
        {p: set(r) for p, r in found.evident.items() if r},
        set(found.lifted),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_persons_conflicts_through_the_keys_equal_those_from_every_author(seed, monkeypatch):
    workshop, people = _world(seed, papers=40)
    narrow = {}
    for user in people:
        for drafts in (False, True):
            found = conflicts_for(workshop, user_ids=[user.pk], include_drafts=drafts)
            narrow[user.pk, drafts] = _as_dicts(found)
    monkeypatch.setattr(conflicts_module, "NARROW_UP_TO", 0)
    kinds = set()
    for user in people:
        for drafts in (False, True):
            full = _as_dicts(conflicts_for(workshop, user_ids=[user.pk], include_drafts=drafts))
            assert narrow[user.pk, drafts] == full, (user, drafts)
            kinds |= set().union(*full[0].values()) if full[0] else set()
    # The world is varied enough to mean something: most sources occur in it.
    assert {"authorship", "domain", "coauthor", "bid", "declared", "publication"} <= kinds, kinds


def _reviewer_with_every_source(papers: int):
    """A member of a seeded world with every kind of input: an own paper with a co-author
    who wrote another paper, a second address, declarations of both kinds, a publication."""
    workshop, _ = _world(7, papers=papers, tag=f"w{papers}")
    user = UserFactory(email=f"rita{papers}@ox.ac.uk", name="Rita Novak", affiliation="Uni X")
    MembershipFactory(workshop=workshop, user=user, role=Role.REVIEWER)
    EmailAddress.objects.create(user=user, email=f"rn{papers}@uni-x.edu", verified=False)
    own = SubmissionFactory(workshop=workshop, created_by=user)
    AuthorshipFactory(submission=own, name="Bo Ito", email="bo@ethz.ch")
    other = SubmissionFactory(workshop=workshop, contact=False)
    AuthorshipFactory(submission=other, name="Bo Ito", email="bo@ethz.ch")
    for kind, value in ((DeclarationKind.PERSON, "Chen Li"), (DeclarationKind.INSTITUTION, "ETH")):
        ConflictDeclaration.objects.create(workshop=workshop, user=user, kind=kind, value=value)
    Publication.objects.create(user=user, title="T", year=2026, authors=["Rita Novak", "E. Garcia"])
    return workshop, user


def test_one_persons_conflicts_take_the_same_queries_at_30_and_300_papers():
    counts = []
    for papers in (30, 300):
        workshop, user = _reviewer_with_every_source(papers)
        with CaptureQueriesContext(connection) as ctx:
            hidden_submission_ids(workshop, user)
        counts.append(len(ctx.captured_queries))
        # No query reads the workshop's authors without a key to look them up by.
        keys = ("name_key", "initial_key", "org_domain", "affiliation_key", '"email" IN',
                '"submission_id" IN')  # fmt: skip
        for query in ctx.captured_queries:
            if 'FROM "submissions_authorship"' in query["sql"]:
                assert any(key in query["sql"] for key in keys), query["sql"]
    assert counts[0] == counts[1], counts


def test_match_keys_follow_save_bulk_create_and_update_fields():
    sub = SubmissionFactory(contact=False)
    row = Authorship.objects.create(
        submission=sub, position=1, name="José  Q. García-Ruiz", email="jg@CS.Ox.ac.uk",
        affiliation="Univ. of Oxford",
    )  # fmt: skip
    row.refresh_from_db()
    assert (row.name_key, row.initial_key, row.affiliation_key, row.org_domain) == (
        "josé q garcía ruiz", "j ruiz", "univ of oxford", "ox.ac.uk",
    )  # fmt: skip
    row.name, row.email = "Ana Li", "ana@gmail.com"
    row.save(update_fields=["name", "email"])
    row.refresh_from_db()
    assert (row.name_key, row.initial_key, row.org_domain) == ("ana li", "a li", "")
    [bulk] = Authorship.objects.bulk_create(
        [Authorship(submission=sub, position=2, name="Bo Ito", email="bo@uni-x.edu")]
    )
    bulk = Authorship.objects.get(pk=bulk.pk)
    assert (bulk.name_key, bulk.initial_key, bulk.org_domain) == ("bo ito", "b ito", "uni-x.edu")
