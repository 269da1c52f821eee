"""Tracks through the API (issue 27, part 4): anyone who reads the workshop reads its tracks;
its chairs create and change them (one activity entry each); nobody else does."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import TopicFactory, UserFactory, WorkshopFactory, make_chair
from workshop.models import Activity, Track

pytestmark = pytest.mark.django_db


def test_chairs_configure_tracks_and_everyone_reads_them(client):
    workshop = WorkshopFactory(slug="api-tracks")
    topic = TopicFactory(workshop=workshop, name="Replication")
    other = TopicFactory(workshop=WorkshopFactory(slug="api-other"), name="Elsewhere")
    url = reverse("api:tracks", args=[workshop.slug])
    body = {"name": "Findings", "slug": "findings", "topics": [topic.pk]}

    client.force_login(UserFactory())
    assert client.post(url, body, content_type="application/json").status_code in (403, 404)
    assert not Track.objects.exists()

    client.force_login(make_chair(workshop))
    answer = client.post(url, body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["topics"] == [topic.pk]
    track = Track.objects.get(workshop=workshop, slug="findings")
    assert Activity.objects.filter(action="track.create", workshop=workshop).count() == 1
    # The same slug changes the track; another workshop's topic is refused, nothing changes.
    changed = client.post(url, {**body, "name": "Findings track"}, content_type="application/json")
    assert changed.status_code == 200 and Track.objects.get(pk=track.pk).name == "Findings track"
    refused = client.post(url, {**body, "topics": [other.pk]}, content_type="application/json")
    assert refused.status_code == 400
    assert list(Track.objects.get(pk=track.pk).topics.all()) == [topic]

    client.force_login(UserFactory())  # anyone who reads the workshop
    listed = client.get(url)
    assert listed.status_code == 200, listed.content
    body = listed.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [(t["slug"], t["name"]) for t in rows] == [("findings", "Findings track")]
