"""The area chairs' console: their papers only, per workshop, progress, spread and
disagreement, the reviewers still to submit (by pseudonym) with a one-click reminder, and the
meta-review status."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from reviews.services.reviewing import review_submit
from tests.reviews.conftest import AUTHOR_P, P_TITLE, Q_TITLE, identity_markers, mails_about

CONSOLE = "/reviewing/area-chair/"


def console(client, world, role: str, query: str = ""):
    client.force_login(world.users[role])
    return client.get(reverse("reviews:area_chair") + query)


def test_the_url_is_the_consoles():
    assert reverse("reviews:area_chair") == CONSOLE


@pytest.mark.parametrize("role", ["R1-submitted", "unassigned", "chair-A", "author-P"])
def test_only_area_chairs_have_a_console(client, world, role):
    assert console(client, world, role).status_code == 404


def test_an_area_chair_sees_their_papers_only_with_progress_and_meta_status(client, world):
    html = console(client, world, "AC-of-P").content.decode()
    assert P_TITLE in html and Q_TITLE not in html
    assert "1 of 3" in html  # R1 submitted; R2 draft, R3 not started
    assert 'Reviewer B <small class="muted">(draft)' in html
    assert 'Reviewer C <small class="muted">(not started)' in html
    assert "Weak accept" in html  # the meta-review's status
    for key in ("R1-submitted", "R2-draft", "R3-not-started"):
        assert not any(m in html for m in identity_markers(key)), key
    assert not any(m in html for m in AUTHOR_P)
    other = console(client, world, "AC-of-Q").content.decode()
    assert Q_TITLE in other and P_TITLE not in other and "Not written" in other


def test_scores_two_apart_are_highlighted_and_filtered(client, world):
    html = console(client, world, "AC-of-P").content.decode()
    assert 'class="disagreement"' not in html
    review_submit(
        assignment=world.assignments["R3-not-started"],
        user=world.users["R3-not-started"],
        answers=world.full_answers(Overall=2),
    )
    html = console(client, world, "AC-of-P").content.decode()
    assert 'class="disagreement"' in html and "2, 4" in html
    only = console(client, world, "AC-of-P", "?show=disagreement").content.decode()
    assert P_TITLE in only
    assert P_TITLE not in console(client, world, "AC-of-P", "?show=no-meta").content.decode()


def test_one_click_reminds_the_papers_late_reviewers_once_a_day(client, world):
    client.force_login(world.users["AC-of-P"])
    url = reverse("reviews:remind", args=[world.workshop.slug, world.p.number])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"next": CONSOLE})
    assert response.status_code == 302 and response["Location"] == CONSOLE
    mails = mails_about(world.p).filter(kind="review_reminder")
    assert sorted(m.to for m in mails) == sorted(
        world.users[k].email for k in ("R2-draft", "R3-not-started")
    )
    client.post(url, {"next": CONSOLE})
    assert mails_about(world.p).filter(kind="review_reminder").count() == 2
    # The area chair of another paper may not (and learns nothing: 404).
    client.force_login(world.users["AC-of-Q"])
    assert client.post(url).status_code == 404
    client.force_login(world.users["R1-submitted"])
    response = client.post(url)
    assert response.status_code == 302
    assert mails_about(world.p).filter(kind="review_reminder").count() == 2
