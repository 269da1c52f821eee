"""Every list of the API asks a constant number of queries whatever its length: each list
is read at two sizes and must cost the same, pinned to the number below."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .sized_world import sized_world
from .world import auth

pytestmark = pytest.mark.django_db

# (list, who reads it): queries per page, whatever its length (authentication and the
# token's workshops included). Pinned: a change here must be a deliberate one.
PINNED = {
    "submissions": 9,
    "assignments": 6,
    "activity": 6,
    "outbox": 6,
    "reviews": 8,
    "my-assignments": 12,  # the conflict map of each workshop (one per workshop, not per row)
    "workshops": 5,  # the caller's roles in the listed workshops: which settings each shows
    "topics": 5,
    "members": 6,
    "invitations": 6,
    "bids": 6,
    "my-bids": 15,  # the member's conflict map, once per request
    "conflicts": 6,
    "declared-conflicts": 6,
    "profiles": 8,  # the profiles and their topic levels (one prefetch)
}


def _count(client, url: str, secret: str) -> tuple[int, int]:
    client.get(url, **auth(secret))  # warm: last_used_at is written once a minute
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **auth(secret))
    assert response.status_code == 200, response.content
    body = response.json()
    rows = len(body["results"]) if isinstance(body, dict) else len(body)
    return len(queries), rows


@pytest.mark.parametrize("name", sorted(PINNED))
def test_lists_cost_a_constant_number_of_queries(client, name):
    small_url, small_secret = sized_world(2)[name]
    large_url, large_secret = sized_world(9)[name]
    small, small_rows = _count(client, small_url, small_secret)
    large, large_rows = _count(client, large_url, large_secret)
    assert large_rows > small_rows or name == "workshops"
    assert small == large == PINNED[name], (
        f"{name}: {small} queries for {small_rows} rows, {large} for {large_rows}"
    )
