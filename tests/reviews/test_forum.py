"""The paper's forum for every role: what each sees is the policy's (through the permission
matrix's roles), marker strings of what is hidden never reach the page (the score SVG, the
mention picker and the mails included), threads and replies, mentions (one mail), readers,
new-since-last-visit, previous/next; and the page's query count does not grow with the
number of reviews or notes."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Comment
from reviews.models.reviewing import CommentAudience
from reviews.services.reviewing import comment_post, review_submit
from tests.reviews.conftest import (
    AUTHOR_P,
    COMMENT,
    CONFIDENTIAL,
    DRAFT,
    META,
    R1_TEXT,
    build_world,
    identity_markers,
    mails_about,
)
from workshop.errors import ServiceError

R1, R2, R3 = "R1-submitted", "R2-draft", "R3-not-started"
CHAIRS_NOTE = "ZQCHAIRSONLYNOTE"


@pytest.fixture(scope="module")
def forum(django_db_setup, django_db_blocker):
    """One world for the module (rolled back at its end), with a chairs-only thread by the
    chair and a reply to R1's thread by the area chair."""
    from workshop.celery import app as celery_app

    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the autouse fixture is per test; this is not
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        first = Comment.objects.get(submission=world.p)
        with TestCase.captureOnCommitCallbacks(execute=True):
            comment_post(submission=world.p, user=world.users["chair-A"],
                         body=f"{CHAIRS_NOTE}: check the dual submission.",
                         audience=CommentAudience.CHAIRS)  # fmt: skip
            comment_post(submission=world.p, user=world.users["AC-of-P"],
                         body="ZQACREPLY: agreed.", parent=first)  # fmt: skip
        celery_app.conf.task_always_eager = eager
        yield world
        transaction.set_rollback(True)


def page_of(client, world, role: str) -> tuple[int, str]:
    client.force_login(world.users[role])
    response = client.get(reverse("reviews:paper", args=[world.workshop.slug, world.p.number]))
    return response.status_code, response.content.decode()


def assert_absent(html: str, markers, where: str) -> None:
    found = [m for m in markers if m.lower() in html.lower()]
    assert not found, f"{where} shows {found}"


AUTHOR_MARKERS = [*AUTHOR_P, "ZQCOAUTHORNAME"]
OTHER_IDENTITIES = {
    key: [m for k in (R1, R2, R3, "AC-of-P") if k != key for m in identity_markers(k)]
    for key in (R1, R2, R3, "AC-of-P")
}

# role -> (sees R1's review, sees the score summary, may discuss)
EXPECTED = {
    R1: (True, True, True),
    R2: (False, False, False),
    R3: (False, False, False),
    "AC-of-P": (True, True, True),
    "chair-A": (True, True, True),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_what_the_policy_allows_and_nothing_else(client, forum, role):
    status, html = page_of(client, forum, role)
    assert status == 200
    sees_r1, sees_scores, discusses = EXPECTED[role]
    assert (R1_TEXT in html) == sees_r1 or role == R1
    assert ('class="score-summary"' in html) == sees_scores
    assert ('id="comment-form"' in html) == discusses
    assert (COMMENT in html) == discusses
    # Never, for anyone in review tools: the authors (double-blind).
    assert_absent(html, AUTHOR_MARKERS, f"the forum for {role}")
    if role == "chair-A":
        assert CONFIDENTIAL in html and CHAIRS_NOTE in html and DRAFT in html
        assert "Readers: the chairs only" in html
        return
    # Committee members: no other reviewer's identity, no confidential answer, no draft
    # of someone else, no chairs-only note, no meta-review unless the area chair.
    assert_absent(html, OTHER_IDENTITIES[role], f"the forum for {role}")
    assert CHAIRS_NOTE not in html
    assert (CONFIDENTIAL in html) == (role == R1)  # one's own confidential answer only
    assert (DRAFT in html) == (role == R2)  # one's own draft only
    assert (META in html) == (role == "AC-of-P")


@pytest.mark.django_db
def test_the_score_svg_counts_only_readable_reviews_and_marks_the_viewers_own(client, forum):
    _, html = page_of(client, forum, "AC-of-P")
    svg = html[html.index('class="score-summary"') :]
    svg = svg[: svg.index("</figure>")]
    assert "<title" in svg and "Overall recommendation: 1 × 4" in svg  # R1's 4; R2's draft not
    assert 'class="bar own"' not in svg  # the area chair has no score of their own
    _, html = page_of(client, forum, R1)
    first = html[html.index('class="score-summary"') :]
    assert "your score 4" in first[: first.index("</figure>")]
    assert 'class="bar own"' in first[: first.index("</figure>")]
    assert_absent(first[: first.index("</section>")], OTHER_IDENTITIES[R1], "the scores")


@pytest.mark.django_db
def test_the_mention_picker_names_only_readers_by_pseudonym(client, forum):
    _, html = page_of(client, forum, R1)
    names = re.findall(r'data-mention="@([^"]+)"', html)
    assert names == ["Area chair", "Chair"]  # B (draft) and C (not started) cannot read it
    picker = html[html.index('id="mention-names"') :].split("</script>")[0]
    assert_absent(picker, OTHER_IDENTITIES[R1], "the mention list")
    _, html = page_of(client, forum, "AC-of-P")
    assert re.findall(r'data-mention="@([^"]+)"', html) == ["Chair", "Reviewer A"]


@pytest.mark.django_db
def test_threads_replies_and_readers_are_shown(client, forum):
    _, html = page_of(client, forum, R1)
    thread = html[html.index(COMMENT) - 1500 :]
    assert "ZQACREPLY" in thread and 'class="replies"' in thread
    assert "Readers: the paper&#x27;s reviewers who submitted theirs" in html  # the thread
    assert "its area chair, the chairs; authors once reviews are released" in html  # a review


@pytest.mark.django_db
def test_a_mention_notifies_the_mentioned_reader_once_and_nobody_who_cannot_read(client, forum):
    with TestCase.captureOnCommitCallbacks(execute=True):
        note = comment_post(submission=forum.p, user=forum.users[R1],
                            body="@Area chair and @Reviewer B, what do you think?")  # fmt: skip
    mails = list(mails_about(note))
    by_to = {m.to: m for m in mails}
    ac = forum.users["AC-of-P"].email
    assert sorted(by_to) == sorted([ac, forum.users["chair-A"].email])  # not R2: cannot read
    assert len([m for m in mails if m.to == ac]) == 1
    assert by_to[ac].subject.startswith("[WSA] You were mentioned")
    for m in mails:
        assert_absent(m.body_text + m.subject, [*AUTHOR_MARKERS, *OTHER_IDENTITIES[R1]], "a mail")


@pytest.mark.django_db
def test_a_chairs_only_note_reaches_the_chairs_only(client, forum):
    with TestCase.captureOnCommitCallbacks(execute=True):
        note = comment_post(submission=forum.p, user=forum.users[R1], body="ZQSECRET for chairs",
                            audience=CommentAudience.CHAIRS)  # fmt: skip
    assert {m.to for m in mails_about(note)} == {forum.users["chair-A"].email}
    _, html = page_of(client, forum, "AC-of-P")
    assert "ZQSECRET" not in html
    _, html = page_of(client, forum, R1)
    assert "ZQSECRET" in html  # its writer reads it
    with TestCase.captureOnCommitCallbacks(execute=True):
        reply = comment_post(submission=forum.p, user=forum.users["chair-A"], body="Noted.",
                             parent=note)  # fmt: skip
    assert reply.audience == CommentAudience.CHAIRS
    assert {m.to for m in mails_about(reply)} == {forum.users[R1].email}
    # The area chair cannot reply into a thread they cannot read.
    with pytest.raises(ServiceError):
        comment_post(submission=forum.p, user=forum.users["AC-of-P"], body="x", parent=note)


@pytest.mark.django_db
def test_new_since_the_last_visit_is_marked(client, forum):
    _, first = page_of(client, forum, "AC-of-P")
    assert "new</span> since your last visit" not in first
    with TestCase.captureOnCommitCallbacks(execute=True):
        comment_post(submission=forum.p, user=forum.users[R1], body="ZQFRESH note")
    _, second = page_of(client, forum, "AC-of-P")
    assert "1 new</span> since your last visit" in second
    fresh = second[: second.index("ZQFRESH")]
    assert fresh.rindex('data-new="1"') > fresh.rindex("<article")
    _, third = page_of(client, forum, "AC-of-P")
    assert "since your last visit" not in third


@pytest.mark.django_db
def test_previous_and_next_follow_the_viewers_own_list(client, forum):
    _, html = page_of(client, forum, "chair-A")
    assert 'rel="next"' in html and f"#{forum.q.number} →" in html
    assert "paper 1 of 2 in your list" in html
    _, html = page_of(client, forum, R1)  # R1 reviews P only
    assert 'rel="next"' not in html and 'rel="prev"' not in html
    assert "paper 1 of 1 in your list" in html


@pytest.mark.django_db
def test_the_own_submitted_review_is_rendered_with_an_edit_toggle(client, forum):
    _, html = page_of(client, forum, R1)
    own = html[html.index('id="own-review"') :]
    assert R1_TEXT in own[: own.index("</article>")]
    assert '<details class="edit-review" id="edit-review">' in html
    assert "Other reviews" in html and "None yet" in html


@pytest.mark.django_db
def test_the_meta_review_locks_when_decisions_are_out(client, forum):
    from reviews.services.reviewing import meta_review_save
    from workshop.errors import DeadlinePassed
    from workshop.models import Workshop

    Workshop.objects.filter(pk=forum.workshop.pk).update(decisions_released=True)
    forum.p.workshop.refresh_from_db()
    p = type(forum.p).objects.select_related("workshop").get(pk=forum.p.pk)
    with pytest.raises(DeadlinePassed, match="Decisions are out"):
        meta_review_save(submission=p, user=forum.users["AC-of-P"], recommendation="reject",
                         text="late")  # fmt: skip
    _, html = page_of(client, forum, "AC-of-P")
    assert "Decisions are out: the meta-review is locked." in html
    assert 'id="meta-rec"' not in html
    # A chair may still correct it.
    meta_review_save(submission=p, user=forum.users["chair-A"], recommendation="reject",
                     text="corrected")  # fmt: skip


# --- Query counts: constant in the number of reviews and notes -----------------------------------
def _count(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(world, reviewers: int, notes: int) -> None:
    from reviews.models import Assignment
    from reviews.services.reviewing import pseudonyms_fill
    from tests.factories import MembershipFactory, UserFactory
    from workshop.models import Role

    have = Assignment.objects.filter(submission=world.p, role=Role.REVIEWER).count()
    for i in range(have, reviewers):
        user = UserFactory(email=f"grow{i}@grow-lab{i}.org", name=f"Grow {i}")
        MembershipFactory(workshop=world.workshop, user=user, role=Role.REVIEWER)
        a = Assignment.objects.create(submission=world.p, reviewer=user)
        pseudonyms_fill([world.p.pk])
        a.refresh_from_db()
        review_submit(assignment=a, user=user, answers=world.full_answers(Overall=1 + i % 5))
    have = Comment.objects.filter(submission=world.p).count()
    first = Comment.objects.filter(submission=world.p, parent=None).first()
    for i in range(have, notes):
        comment_post(submission=world.p, user=world.users[R1], body=f"Note {i} $x_{i}$",
                     notify=False, parent=first if i % 3 else None)  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["R1-submitted", "AC-of-P", "chair-A"])
def test_the_forum_runs_the_same_queries_for_3_and_30_reviews_and_3_and_100_notes(
    client, forum, role
):
    url = reverse("reviews:paper", args=[forum.workshop.slug, forum.p.number])
    client.force_login(forum.users[role])
    _grow(forum, reviewers=3, notes=3)
    small = _count(client, url)
    _grow(forum, reviewers=30, notes=100)
    large = _count(client, url)
    html = client.get(url).content.decode()
    chairs_only = 0 if role == "chair-A" else 1  # the chair's note is theirs to read
    assert html.count('class="reply"') + html.count('class="comment"') == 100 - chairs_only
    print(f"\nforum queries ({role}): {small} at 3 reviews/3 notes, {large} at 30/100")
    assert small == large
