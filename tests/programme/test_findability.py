"""The published programme is found from the site's public pages (home, the workshop's page,
the accepted papers), and its paper titles lead to each paper's public page (issue 24)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from programme.models import ProgrammeSettings
from programme.services import paper_place, programme_publish
from workshop.models import Workshop

from .world import build_world, decided_workshop

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        for p, s in zip(built.accepted[:2], (built.orals, built.posters), strict=True):
            paper_place(actor=built.chair, submission=p, session=s)
        programme_publish(actor=built.chair, workshop=built.workshop)
        yield built
        transaction.set_rollback(True)


def _programme_link(world) -> str:
    return f'href="{reverse("programme:public", args=[world.workshop.slug])}"'


def _set_published(world, published: bool) -> None:
    ProgrammeSettings.objects.filter(workshop=world.workshop).update(published=published)


@pytest.mark.parametrize(
    "page",
    [
        lambda w: reverse("home"),
        lambda w: reverse("workshop:detail", args=[w.workshop.slug]),
        lambda w: reverse("submissions:accepted", args=[w.workshop.slug]),
    ],
    ids=["home", "workshop-page", "accepted-papers"],
)
def test_the_published_programme_is_linked_and_an_unpublished_one_is_not(client, world, page):
    html = client.get(page(world)).content.decode()
    assert _programme_link(world) in html
    _set_published(world, False)
    try:
        html = client.get(page(world)).content.decode()
        assert _programme_link(world) not in html
        # Not even for its chairs on the public pages: their draft is in their own tools.
        client.force_login(world.chair)
        assert _programme_link(world) not in client.get(page(world)).content.decode()
    finally:
        _set_published(world, True)


def test_home_links_each_listed_workshops_programme_in_constant_queries(
    client, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("home"))
    for n in range(5):
        other = decided_workshop(short_name=f"COPY {n}", slug=f"copy-{n}")
        ProgrammeSettings.objects.create(workshop=other, published=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = client.get(reverse("home")).content.decode()
    for n in range(5):
        assert reverse("programme:public", args=[f"copy-{n}"]) in html


def test_programme_titles_link_to_the_papers_forum_or_accepted_entry(client, world):
    url = reverse("programme:public", args=[world.workshop.slug])
    first, second = world.accepted[0], world.accepted[1]
    accepted = reverse("submissions:accepted", args=[world.workshop.slug])
    # Reviews stay private: the title leads to the paper's entry on the accepted papers page.
    Workshop.objects.filter(pk=world.workshop.pk).update(openness="closed")
    html = client.get(url).content.decode()
    assert f'<a href="{accepted}#paper-{first.number}">{first.title}</a>' in html
    assert f'<a href="{accepted}#paper-{second.number}">{second.title}</a>' in html
    # Open reviewing: the title leads to the paper's public forum.
    Workshop.objects.filter(pk=world.workshop.pk).update(openness="accepted")
    html = client.get(url).content.decode()
    forum = reverse("forum:paper", args=[world.workshop.slug, first.number])
    assert f'<a href="{forum}">{first.title}</a>' in html
    # Before decisions are out (the chairs' preview), no public page exists: plain titles.
    Workshop.objects.filter(pk=world.workshop.pk).update(decisions_released=False)
    client.force_login(world.chair)
    html = client.get(url).content.decode()
    assert f'<span class="paper-title">{first.title}</span>' in html
    Workshop.objects.filter(pk=world.workshop.pk).update(decisions_released=True)
