"""The desk with tags and votes (issue 28): its "Tags and votes" column costs the same
number of queries whatever the number of tags and ballots; the votes page shows the sums
and the combined ranking."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import PaperTag, PaperVote, TagVisibility, Vote, VoteKind
from tests.factories import WorkshopFactory
from tests.reviews.desk import desk_build

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def desk(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield desk_build(WorkshopFactory(slug="desk-tags", short_name="TAGS"), 30)
        transaction.set_rollback(True)


def _board(client, desk) -> tuple[int, str]:
    client.force_login(desk.chair)
    url = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={desk.workshop.pk}"
    assert client.get(url).status_code == 200  # warm-up
    counts, html = [], ""
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        counts.append(len(ctx.captured_queries))
        html = response.content.decode()
    return min(counts), html


def _tag_and_vote(desk, papers, per_paper: int) -> None:
    best = Vote.objects.get_or_create(workshop=desk.workshop, name="best",
                                      defaults={"allowance": 50})[0]  # fmt: skip
    rank = Vote.objects.get_or_create(workshop=desk.workshop, name="rank", kind=VoteKind.RANK,
                                      defaults={"allowance": 50})[0]  # fmt: skip
    tags, ballots = [], []
    for i, paper in enumerate(papers):
        for k in range(per_paper):
            tags.append(PaperTag(submission=paper, name=f"t{k}", visibility=TagVisibility.SHARED,
                                 value=k or None))  # fmt: skip
        tags.append(PaperTag(submission=paper, name="c", visibility=TagVisibility.CHAIRS))
        tags.append(PaperTag(submission=paper, name="mine", visibility=TagVisibility.PRIVATE,
                             owner=desk.reviewers[0]))  # fmt: skip
        for member in desk.reviewers[:per_paper]:
            ballots.append(PaperVote(vote=best, submission=paper, member=member, count=1))
            ballots.append(PaperVote(vote=rank, submission=paper, member=member, count=i + 1))
    PaperTag.objects.bulk_create(tags)
    PaperVote.objects.bulk_create(ballots)


def test_the_desk_costs_the_same_queries_with_one_tag_or_many(client, desk):
    _tag_and_vote(desk, desk.papers[:1], 1)
    few, html = _board(client, desk)
    assert "#t0" in html and "#best: 1 vote" in html
    assert "#mine" not in html  # a reviewer's private tag is theirs alone
    _tag_and_vote(desk, desk.papers[1:], 5)
    many, html = _board(client, desk)
    assert few == many, (few, many)
    assert "#t4#4" in html and "#best: 5 votes" in html and "#rank:" in html
    assert html.count('class="desk-tag chairs"') >= 25


def test_the_votes_page_shows_sums_and_the_combined_ranking(client, desk):
    best = Vote.objects.create(workshop=desk.workshop, name="best", allowance=3)
    p1, p2 = desk.papers[0], desk.papers[1]
    PaperVote.objects.bulk_create([
        PaperVote(vote=best, submission=p1, member=desk.reviewers[0], count=1),
        PaperVote(vote=best, submission=p2, member=desk.reviewers[0], count=2),
        PaperVote(vote=best, submission=p2, member=desk.reviewers[1], count=3),
    ])  # fmt: skip
    client.force_login(desk.chair)
    url = reverse("admin:reviews_vote_changelist")
    html = client.get(url, {"workshop": desk.workshop.pk}).content.decode()
    assert html.index(f"#{p2.number} ") < html.index(f"#{p1.number} ")
    assert '<td class="num">5</td>' in html
    response = client.post(url, {"workshop": desk.workshop.pk, "name": "#second",
                                 "kind": "rank", "allowance": "2"})  # fmt: skip
    assert response.status_code == 302
    assert Vote.objects.get(workshop=desk.workshop, name="second").kind == VoteKind.RANK
    client.post(url, {"workshop": desk.workshop.pk, "name": "bad name", "allowance": "2"})
    assert not Vote.objects.filter(workshop=desk.workshop, name__contains="bad").exists()


def test_the_desk_links_the_votes_and_the_rating_record(client, desk):
    client.force_login(desk.chair)
    url = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={desk.workshop.pk}"
    html = client.get(url).content.decode()
    assert reverse("admin:reviews_vote_changelist") + f"?workshop={desk.workshop.pk}" in html
    assert reverse("admin:reviews_reviewrating_changelist") in html
