"""Tags, votes and ratings through the API (issue 28): the same rules as the paper page: a
fourth vote of three is refused (400, with how many remain), the chairs read the sums, the
review's writer reads its ratings without the raters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import PaperVote
from reviews.services.tags import vote_open
from tests.reviews.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def test_votes_tags_and_ratings_through_the_api(client, world):
    u, slug, number = world.users, world.workshop.slug, world.p.number
    vote = vote_open(actor=u["chair-A"], workshop=world.workshop, name="best", allowance=3)
    ballot = reverse("api:paper-ballot", args=[slug, number, vote.pk])
    client.force_login(u["R1-submitted"])
    assert client.put(ballot, {"count": 3}, content_type="application/json").json() == {"count": 3}
    other = reverse("api:paper-ballot", args=[slug, world.q.number, vote.pk])
    refused = client.put(other, {"count": 1}, content_type="application/json")
    assert refused.status_code == 400
    assert "at most 0" in refused.json()["error"]["message"]
    assert PaperVote.objects.filter(vote=vote).count() == 1
    mine = client.get(reverse("api:paper-votes", args=[slug, number])).json()
    assert mine[0]["mine"] == 3 and mine[0]["left"] == 0 and mine[0]["total"] == 3

    tags = reverse("api:paper-tags", args=[slug, number])
    created = client.post(tags, {"tag": "#order#3", "visibility": "private"},
                          content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["tag"] == "#order#3"
    bad = client.post(tags, {"tag": "two words"}, content_type="application/json")
    assert bad.status_code == 400

    client.force_login(u["conflicted"])
    assert client.get(tags).status_code == 404
    assert client.put(ballot, {"count": 1}, content_type="application/json").status_code == 404

    client.force_login(u["chair-A"])
    results = client.get(reverse("api:votes", args=[slug])).json()
    assert results[0]["results"] == [{"paper": number, "total": 3, "voters": 1}]
    assert client.get(tags).json() == []  # R1's private tag is R1's alone
    review = world.review_of("R1-submitted")
    ratings = reverse("api:review-ratings", args=[review.pk])
    rated = client.put(ratings, {"helpful": False, "reason": "ZQ vague"},
                       content_type="application/json")  # fmt: skip
    assert rated.json() == {"helpful": False, "reason": "ZQ vague"}
    assert client.get(ratings).json()["raters"][0]["name"] == u["chair-A"].name

    client.force_login(u["R1-submitted"])
    read = client.get(ratings).json()
    assert (read["not_helpful"], read["reasons"], read["raters"]) == (1, ["ZQ vague"], [])
    assert u["chair-A"].name not in str(read)
    assert (
        client.put(ratings, {"helpful": True}, content_type="application/json").status_code == 403
    )
