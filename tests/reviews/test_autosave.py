"""Autosave that never fails and never loses text.

- Each save names the revision it is based on: a stale one that would change the text is
  refused (409, with the stored text), never silently written; the same text is a no-op
  (a retried save, or one that lands after the submission: the e2e flake of issue 17).
- Ten overlapping requests for one draft, on SQLite (a file database in a subprocess, with
  the project's settings: WAL, busy timeout, IMMEDIATE transactions) and on PostgreSQL
  (threads against the test database): no 5xx, exactly one of ten stale writers wins and the
  others are told, identical saves all succeed, and the stored text is the winner's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reviews.models import Answer, Assignment, Review
from reviews.services.reviewing import (
    StaleDraft,
    default_form_create,
    pseudonyms_fill,
    review_save_draft,
    review_submit,
)
from tests.reviews.conftest import R1_TEXT

R1, R3 = "R1-submitted", "R3-not-started"
ROOT = Path(__file__).resolve().parents[2]


def autosave_url(world) -> str:
    return reverse("reviews:autosave", args=[world.workshop.slug, world.p.number])


# --- The revision rule, through the service and the endpoint ------------------------------------
def test_a_stale_revision_is_refused_with_the_stored_text_and_changes_nothing(world):
    a, user, summary = world.assignments[R3], world.users[R3], world.q_id("Summary")
    first = review_save_draft(assignment=a, user=user, answers={summary: "tab one"}, revision=0)
    assert first.revision == 1
    second = review_save_draft(assignment=a, user=user, answers={summary: "tab one, more"},
                               revision=1)  # fmt: skip
    assert second.revision == 2
    with pytest.raises(StaleDraft) as refused:  # the second tab still thinks it is revision 1
        review_save_draft(assignment=a, user=user, answers={summary: "tab two"}, revision=1)
    assert refused.value.status_code == 409
    assert refused.value.saved[summary] == "tab one, more"
    assert "another tab or window" in refused.value.message
    assert world.answer(R3, "Summary") == "tab one, more"
    # The same text under an old revision is no conflict: nothing to write, nothing lost.
    same = review_save_draft(assignment=a, user=user, answers={summary: "tab one, more"},
                             revision=0)  # fmt: skip
    assert same.revision == 2


def test_the_endpoint_answers_json_and_the_stale_tab_is_shown_both_texts(client, world):
    summary = world.q_id("Summary")
    client.force_login(world.users[R3])
    url = autosave_url(world)
    ok = client.post(url, {f"q_{summary}": "draft one", "revision": "0"})
    assert ok.status_code == 200
    assert ok.json()["revision"] == 1 and ok.json()["status"] == "draft"
    assert ok.json()["message"].startswith("Draft saved at")
    stale = client.post(url, {f"q_{summary}": "other tab", "revision": "0"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["conflict"] is True and body["revision"] == 1
    assert body["saved"][f"q_{summary}"] == "draft one"
    assert world.answer(R3, "Summary") == "draft one"
    # The tab that chose to keep its text saves on the revision it was told.
    kept = client.post(url, {f"q_{summary}": "other tab", "revision": "1"})
    assert kept.status_code == 200 and kept.json()["revision"] == 2
    assert world.answer(R3, "Summary") == "other tab"


def test_a_save_that_lands_after_the_submission_with_the_same_text_is_answered_saved(client, world):
    """The e2e flake: the radio's autosave was still in flight when Submit was clicked; the
    submission won, and the late autosave (the same answers) was refused with a 400."""
    client.force_login(world.users[R3])
    data = world.post_data()
    assert client.post(reverse("reviews:submit", args=[world.workshop.slug, world.p.number]),
                       {**data, "revision": "0"}).status_code == 302  # fmt: skip
    late = client.post(autosave_url(world), {**data, "revision": "0"})
    assert late.status_code == 200
    assert late.json()["status"] == "submitted"
    review = world.review_of(R3)
    assert (review.status, review.version) == ("submitted", 1)


def test_a_stale_submission_is_refused_and_keeps_the_typed_text(client, world):
    summary = world.q_id("Summary")
    client.force_login(world.users[R3])
    client.post(autosave_url(world), {f"q_{summary}": "newer, elsewhere", "revision": "0"})
    paper = reverse("reviews:paper", args=[world.workshop.slug, world.p.number])
    response = client.post(
        reverse("reviews:submit", args=[world.workshop.slug, world.p.number]),
        {**world.post_data(Summary="ZQSTALETAB"), "revision": "0"},
    )
    assert response.status_code == 302 and response["Location"] == paper
    assert world.review_of(R3).status == "draft"
    assert world.answer(R3, "Summary") == "newer, elsewhere"
    html = client.get(paper).content.decode()
    assert "changed in another tab or window" in html
    assert "ZQSTALETAB" in html  # this page's text, in the form
    assert "The stored text" in html and "newer, elsewhere" in html  # and the stored one


def test_submitting_counts_as_a_revision(world):
    a, user = world.assignments[R3], world.users[R3]
    review = review_submit(assignment=a, user=user, answers=world.full_answers(), revision=None)
    assert review.revision == 1 and review.version == 1


def test_an_autosave_changing_a_submitted_review_is_refused(world):
    with pytest.raises(StaleDraft) as refused:
        review_save_draft(assignment=world.assignments[R1], user=world.users[R1],
                          answers={world.q_id("Summary"): "sneaky"})  # fmt: skip
    assert refused.value.submitted and refused.value.status_code == 400
    assert world.answer(R1, "Summary").startswith(R1_TEXT)


# --- Ten overlapping requests --------------------------------------------------------------------
def small_world() -> dict:
    """A reviewer with one assigned paper under review (for the concurrency runs)."""
    from tests.factories import (
        AuthorshipFactory,
        MembershipFactory,
        SubmissionFactory,
        UserFactory,
        WorkshopFactory,
    )
    from workshop.models import Role

    now = timezone.now()
    workshop = WorkshopFactory(slug="race", paper_deadline=now - timezone.timedelta(days=2),
                               bidding_deadline=now - timezone.timedelta(days=1))  # fmt: skip
    questions = default_form_create(workshop)
    owner = UserFactory(email="owner@race-owner.org")
    reviewer = UserFactory(email="racer@race-lab.org")
    MembershipFactory(workshop=workshop, user=reviewer, role=Role.REVIEWER)
    paper = SubmissionFactory(workshop=workshop, title="Race", created_by=owner, submitted_at=now,
                              contact=False)  # fmt: skip
    AuthorshipFactory(submission=paper, name="Owen", email=owner.email, affiliation="")
    assignment = Assignment.objects.create(submission=paper, reviewer=reviewer)
    pseudonyms_fill([paper.pk])
    return {
        "reviewer": reviewer.pk,
        "assignment": assignment.pk,
        "summary": questions[0].pk,
        "url": reverse("reviews:autosave", args=[workshop.slug, paper.number]),
    }


def hammer(facts: dict, bodies: list[dict]) -> list[tuple[int, dict]]:
    """Post `bodies` at once (a barrier), one thread and one database connection each."""
    from workshop.models import User

    user = User.objects.get(pk=facts["reviewer"])
    clients = []
    for _ in bodies:
        c = Client()
        c.force_login(user)
        clients.append(c)
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, dict]] = [(0, {})] * len(bodies)

    def one(i: int) -> None:
        try:
            barrier.wait()
            response = clients[i].post(facts["url"], bodies[i])
            try:
                data = response.json()
            except ValueError:
                data = {"raw": response.content.decode()[:300]}
            results[i] = (response.status_code, data)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def race(facts: dict) -> dict:
    """Two rounds: ten writers on the same old revision with different texts; then ten
    identical saves on the new revision. Returns what the assertions need."""
    q = f"q_{facts['summary']}"
    stale = hammer(facts, [{q: f"writer {i} " * 50, "revision": "0"} for i in range(10)])
    review = Review.objects.get(assignment_id=facts["assignment"])
    stored = Answer.objects.get(review=review, question_id=facts["summary"]).value
    same = hammer(facts, [{q: "the same words", "revision": str(review.revision)}] * 10)
    review.refresh_from_db()
    return {
        "stale": stale,
        "stored_after_stale": stored,
        "revision_after_stale": Review.objects.filter(pk=review.pk).values_list(
            "revision", flat=True
        )[0]
        - (1 if any(s == 200 for s, _ in same) else 0),
        "same": same,
        "stored_after_same": Answer.objects.get(review=review, question_id=facts["summary"]).value,
        "revision_after_same": review.revision,
    }


def check_race(outcome: dict) -> None:
    stale = outcome["stale"]
    assert all(status in (200, 409) for status, _ in stale), stale  # never a 5xx
    winners = [i for i, (status, _) in enumerate(stale) if status == 200]
    assert len(winners) == 1, stale
    assert outcome["stored_after_stale"] == f"writer {winners[0]} " * 50  # the winner's, whole
    for status, body in stale:
        if status == 409:  # each loser is told, and shown the stored text
            assert "another tab or window" in body["error"]
            assert body["saved"] and body["revision"] == 1
    same = outcome["same"]
    assert [status for status, _ in same] == [200] * 10, same
    assert outcome["stored_after_same"] == "the same words"
    assert outcome["revision_after_same"] == 2  # one write; nine no-ops


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL run")
@pytest.mark.django_db(transaction=True)
def test_ten_overlapping_autosaves_on_postgresql():
    facts = small_world()
    check_race(race(facts))


SCRIPT = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.reviews.test_autosave import race, small_world
from django.db import connection
print("VENDOR", connection.vendor, connection.cursor().execute("PRAGMA journal_mode").fetchone()[0])
print("RESULT", json.dumps(race(small_world())))
"""


def test_ten_overlapping_autosaves_on_sqlite_with_the_project_settings(tmp_path):
    """In a subprocess on a file database: the in-memory test database shares one cache and
    knows neither WAL nor the busy timeout, so it would test something else."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
           "REDIS_URL": "", "DJANGO_SETTINGS_MODULE": "workshop.settings",
           "DJANGO_ALLOWED_HOSTS": "testserver,localhost",
           "DJANGO_ALLOW_ASYNC_UNSAFE": "true"}  # fmt: skip
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["VENDOR"] == "sqlite wal"
    check_race(json.loads(lines["RESULT"]))
    assert "database is locked" not in done.stderr
