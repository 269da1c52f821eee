"""Every list of the API sorts by `?ordering=` (each declared key, both ways), tells an
unknown key in the error shape, and the schema names the keys."""

from __future__ import annotations

import pytest

from .sized_world import sized_world
from .world import auth

pytestmark = pytest.mark.django_db

ORDERED = {
    "workshops": ["deadline", "name"],
    "topics": ["order", "name"],
    "activity": ["at", "action"],
    "outbox": ["created", "status", "to", "kind"],
    "members": ["name", "email", "role"],
    "invitations": ["email", "status", "created"],
    "bids": ["paper", "value"],
    "my-bids": ["paper", "value"],
    "conflicts": ["paper"],
    "assignments": ["paper", "reviewer", "role"],
    "reviews": ["paper", "title"],
}


def test_each_list_sorts_by_each_key_both_ways_and_refuses_others(client):
    lists = sized_world(3)
    for name, keys in ORDERED.items():
        url, secret = lists[name]
        for key in keys:
            for value in (key, f"-{key}"):
                response = client.get(url, {"ordering": value}, **auth(secret))
                assert response.status_code == 200, (name, value, response.content)
        response = client.get(url, {"ordering": "password"}, **auth(secret))
        assert response.status_code == 400, name
        error = response.json()["error"]
        assert error["code"] == "invalid" and "ordering" in error["fields"], (name, error)


def test_topics_sorted_by_name_descending(client):
    url, secret = sized_world(4)["topics"]
    names = [
        t["name"] for t in client.get(url, {"ordering": "-name"}, **auth(secret)).json()["results"]
    ]
    assert len(names) >= 4 and names == sorted(names, reverse=True)
    names = [
        t["name"] for t in client.get(url, {"ordering": "name"}, **auth(secret)).json()["results"]
    ]
    assert names == sorted(names)


def test_the_schema_names_the_ordering_keys(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = schema["paths"]["/api/v1/workshops/{slug}/outbox/"]["get"]["parameters"]
    ordering = next(p for p in parameters if p["name"] == "ordering")
    assert {"created", "-created", "status", "-kind"} <= set(ordering["schema"]["enum"])
