"""Open reviewing (issue 14, points 1 and 2): what each openness policy publishes in each
phase, to whom, on the public forum, its index and the Atom feed; moderation and the rate
limit of public comments; signed reviews; the call page; query counts.

One world for the module (rolled back at its end): the workshop OW of
tests/reviews/open_world.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.models import (
    PublicComment,
    PublicCommentStatus,
    Review,
    ReviewQuestion,
)
from reviews.permissions import PUBLIC_COMMENT_RATE
from reviews.services.openness import (
    RateLimited,
    openness_set,
    public_comment_moderate,
    public_comment_post,
)
from reviews.services.reviewing import review_submit
from submissions.models import Authorship, FileKind, Submission, SubmissionFile, SubmissionStatus
from workshop.errors import NotAllowed, NotFound
from workshop.models import Activity, OutgoingMail, User, Workshop
from workshop.policy import can

from .open_world import (
    ACC_AUTHOR,
    REJ_AUTHOR,
    World,
    add_paper,
    add_review,
    build_world,
    set_state,
)

HIDDEN_ALWAYS = (
    "ZQR1NAME", "zqr1@", "ZQR3NAME", "zqr3@", "zqr2@", "ZQACNAME", "zqac@", "ZQCHAIRNAME",
    "zqchair@", "ZQDRAFTTEXT", "ZQCONFIDENTIAL", "ZQCOMMITTEENOTE", "ZQCHAIRSONLYNOTE",
    "ZQHELDCOMMENT", "ZQREJECTEDCOMMENT", "ZQWDTITLE", "ZQWDREVIEW", "ZQCONFIDENCEHELP",
    *REJ_AUTHOR,
)  # fmt: skip
ACC_PUBLIC = ("ZQACCTITLE", "ZQR1SUMMARY", "ZQR2SUMMARY", "ZQR2NAME", "ZQMETATEXT", "ZQRESPONSE",
              "ZQAPPROVEDCOMMENT", "Reviewer A")  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


def user(world: World, key: str) -> Any:
    return AnonymousUser() if key == "anonymous" else User.objects.get(pk=world.users[key])


def login(client, world: World, key: str) -> None:
    if key != "anonymous":
        client.force_login(user(world, key))


def fresh(paper: Submission) -> Submission:
    """The stored paper with its workshop as it is now (the policy reads both)."""
    return Submission.objects.select_related("workshop").get(pk=paper.pk)


def main_of(response) -> str:
    """The page's <main> (the header names the signed-in viewer, who may be R1)."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def forum_url(world: World, number: int) -> str:
    return reverse("forum:paper", args=[world.workshop.slug, number])


# --- Each policy x phase x viewer -----------------------------------------------------------
POLICIES = ("closed", "accepted", "all")
PHASES = ("before", "reviews", "decisions", "both")
VIEWERS = ("anonymous", "stranger", "author", "r1")


def expected_public(openness: str, phase: str) -> set[int]:
    """The paper numbers whose forum is public (the table of the issue)."""
    if openness == "closed" or phase != "both":
        return set()
    return {1} if openness == "accepted" else {1, 2}


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("openness", POLICIES)
def test_what_each_viewer_sees_per_policy_and_phase(client, world, openness, phase, viewer):
    set_state(world, openness, phase)
    login(client, world, viewer)
    public = expected_public(openness, phase)
    where = f"{openness}/{phase} as {viewer}"
    pages = []
    for number in (1, 2, 3):
        response = client.get(forum_url(world, number))
        if number in public:
            assert response.status_code == 200, f"#{number} {where}"
            head = response.content.decode().split("</head>")[0]
            pages.append(head + main_of(response))
        else:
            assert response.status_code == 404, f"#{number} {where}: {response.status_code}"
    index = client.get(reverse("forum:index", args=[world.workshop.slug]))
    feed = client.get(reverse("forum:feed", args=[world.workshop.slug]))
    if not public:
        assert index.status_code == 404 and feed.status_code == 404, where
        return
    assert index.status_code == 200 and feed.status_code == 200, where
    assert feed["Content-Type"].startswith("application/atom+xml")
    index_html, feed_xml = main_of(index), feed.content.decode()
    everything = "\n".join([*pages, index_html, feed_xml])
    for marker in HIDDEN_ALWAYS:
        assert marker not in everything, f"{marker} leaked ({where})"
    acc = pages[0]
    for marker in ACC_PUBLIC:
        assert marker in acc, f"{marker} missing on the accepted paper's forum ({where})"
    assert "Reviewer B" not in acc  # R2 signed: shown by name, not by pseudonym
    assert ACC_AUTHOR[0] in acc and ACC_AUTHOR[2] in acc
    assert ACC_AUTHOR[1] not in everything  # authors' emails never
    assert '<meta name="citation_title" content="ZQACCTITLE">' in acc
    assert f'<meta name="citation_author" content="{ACC_AUTHOR[0]}">' in acc
    assert '<meta name="citation_conference_title" content="Open Workshop">' in acc
    assert 'name="citation_publication_date"' in acc
    assert "citation_pdf_url" in acc and f"/accepted/{world.workshop.slug}/1.pdf" in acc
    assert "ZQACCTITLE" in index_html and "ZQACCTITLE" in feed_xml
    assert ACC_AUTHOR[0] in index_html and ACC_AUTHOR[0] in feed_xml
    if 2 in public:
        rej = pages[1]
        assert "ZQREJREVIEW" in rej and "Anonymous authors" in rej
        assert "citation_author" not in rej
        assert "ZQREJTITLE" in index_html and "ZQREJTITLE" in feed_xml
    else:
        assert "ZQREJTITLE" not in everything and "ZQREJREVIEW" not in everything


@pytest.mark.django_db
def test_the_permissions_follow_the_policy(world):
    set_state(world, "all", "both")
    acc, rej, wd = (fresh(p) for p in (world.acc, world.rej, world.wd))
    anon, stranger = AnonymousUser(), user(world, "stranger")
    assert can(anon, "reviews.view_public_forum", acc) and can(
        anon, "reviews.view_public_forum", rej
    )
    assert not can(anon, "reviews.view_public_forum", wd)
    assert can(anon, "reviews.see_public_authors", acc)
    assert not can(anon, "reviews.see_public_authors", rej)
    assert not can(anon, "reviews.comment_publicly", acc)
    assert can(stranger, "reviews.comment_publicly", acc)
    assert not can(stranger, "reviews.moderate_public_comments", acc)
    assert can(user(world, "chair"), "reviews.moderate_public_comments", acc)
    assert not can(user(world, "otherchair"), "reviews.moderate_public_comments", acc)


# --- Public comments: moderation and rate limit -----------------------------------------------
@pytest.mark.django_db
def test_a_public_comment_is_held_until_approved_and_a_rejected_one_never_appears(client, world):
    set_state(world, "accepted", "both")
    url = forum_url(world, 1)
    login(client, world, "stranger")
    response = client.post(reverse("forum:comment", args=[world.workshop.slug, 1]),
                           {"body": "ZQNEWCOMMENT *kind* words"})  # fmt: skip
    assert response.status_code == 302
    assert "held for the chairs' moderation" in " ".join(
        str(m) for m in get_messages(response.wsgi_request)
    )
    new = PublicComment.objects.get(body__startswith="ZQNEWCOMMENT")
    assert new.status == PublicCommentStatus.HELD and new.signature == "ZQSTRANGERNAME"
    for viewer in ("stranger", "anonymous", "author", "chair"):
        client.logout()
        login(client, world, viewer)
        assert "ZQNEWCOMMENT" not in client.get(url).content.decode(), viewer
    # The chairs are told once while comments wait (a second comment adds no mail).
    mails = OutgoingMail.objects.filter(kind="public_comments_held")
    assert list(mails.values_list("to", flat=True)) == ["zqchair@people.example.org"]
    assert reverse("forum:moderation", args=[world.workshop.slug]) in mails.get().body_text
    public_comment_post(actor=user(world, "r1"), submission=world.acc, body="ZQSECONDHELD")
    assert OutgoingMail.objects.filter(kind="public_comments_held").count() == 1
    second = PublicComment.objects.get(body="ZQSECONDHELD")
    assert second.signature == "Reviewer A"  # the paper's reviewer comments by pseudonym

    client.logout()
    login(client, world, "chair")
    listing = client.get(reverse("forum:moderation", args=[world.workshop.slug]))
    assert "ZQNEWCOMMENT" in listing.content.decode()
    response = client.post(reverse("forum:moderation", args=[world.workshop.slug]),
                           {"comment": [str(new.pk)], "verdict": "approve"})  # fmt: skip
    assert response.status_code == 302
    response = client.post(reverse("forum:moderation", args=[world.workshop.slug]),
                           {"comment": [str(second.pk)], "verdict": "reject",
                            "reason": "Off topic"})  # fmt: skip
    assert Activity.objects.get(action="public_comment.reject", target_id=second.pk).reason == (
        "Off topic"
    )
    client.logout()
    page = client.get(url).content.decode()
    assert "ZQNEWCOMMENT" in page and "<em>kind</em>" in page  # rendered Markdown
    assert "ZQSECONDHELD" not in page
    entries = Activity.objects.filter(action__startswith="public_comment.", target_id__in=[
        new.pk, second.pk]).values_list("action", flat=True)  # fmt: skip
    assert sorted(entries) == ["public_comment.approve", "public_comment.post",
                               "public_comment.post", "public_comment.reject"]  # fmt: skip
    feed = client.get(reverse("forum:feed", args=[world.workshop.slug])).content.decode()
    assert "ZQNEWCOMMENT" in feed and "ZQSECONDHELD" not in feed


@pytest.mark.django_db
def test_the_rate_limit_holds(client, world):
    set_state(world, "all", "both")
    login(client, world, "stranger")
    comment_url = reverse("forum:comment", args=[world.workshop.slug, 2])
    for i in range(PUBLIC_COMMENT_RATE):
        client.post(comment_url, {"body": f"ZQRATE {i}"})
    assert PublicComment.objects.filter(body__startswith="ZQRATE").count() == PUBLIC_COMMENT_RATE
    response = client.post(comment_url, {"body": "ZQRATE one too many"})
    errors = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert errors and "the most we accept" in errors[0]
    assert PublicComment.objects.filter(body__startswith="ZQRATE").count() == PUBLIC_COMMENT_RATE
    page = client.get(forum_url(world, 1)).content.decode()
    assert "the most we accept" in page and 'name="body"' not in page
    with pytest.raises(RateLimited):
        public_comment_post(actor=user(world, "stranger"), submission=world.acc, body="more")
    # An hour later the slots are free again; others were never limited.
    PublicComment.objects.filter(body__startswith="ZQRATE").update(
        created_at=timezone.now() - dt.timedelta(minutes=61)
    )
    assert can(user(world, "stranger"), "reviews.comment_publicly", fresh(world.acc))
    assert can(user(world, "r3"), "reviews.comment_publicly", fresh(world.acc))


@pytest.mark.django_db
def test_who_may_post_and_moderate(client, world):
    set_state(world, "accepted", "both")
    with pytest.raises(NotFound):  # REJ has no public forum under "accepted"
        public_comment_post(actor=user(world, "stranger"), submission=world.rej, body="x")
    with pytest.raises(NotAllowed):
        public_comment_post(actor=AnonymousUser(), submission=world.acc, body="x")
    response = client.post(reverse("forum:comment", args=[world.workshop.slug, 1]),
                           {"body": "ZQANON"})  # fmt: skip
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    held = PublicComment.objects.get(pk=world.held)
    for key in ("stranger", "otherchair", "r1"):
        with pytest.raises(NotFound):
            public_comment_moderate(actor=user(world, key), comment=held, approve=True)
        client.force_login(user(world, key))
        assert (
            client.get(reverse("forum:moderation", args=[world.workshop.slug])).status_code == 404
        )
    assert PublicComment.objects.get(pk=world.held).status == PublicCommentStatus.HELD


@pytest.mark.django_db
def test_chairs_moderate_in_the_admin_scoped_to_their_workshops(client, world):
    set_state(world, "accepted", "both")
    changelist = reverse("admin:reviews_publiccomment_changelist")
    client.force_login(user(world, "otherchair"))
    assert "ZQHELDCOMMENT" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "approve", "_selected_action": [str(world.held)]})
    assert PublicComment.objects.get(pk=world.held).status == PublicCommentStatus.HELD
    moderation = reverse("forum:moderation", args=[world.workshop.slug])
    index = reverse("forum:index", args=[world.workshop.slug])
    assert moderation not in client.get(index).content.decode()
    client.force_login(user(world, "chair"))
    assert moderation in client.get(index).content.decode()
    assert "ZQHELDCOMMENT" in client.get(changelist).content.decode()
    client.post(changelist, {"action": "approve", "_selected_action": [str(world.held)]})
    assert PublicComment.objects.get(pk=world.held).status == PublicCommentStatus.APPROVED
    assert (
        Activity.objects.filter(action="public_comment.approve", target_id=world.held).count() == 1
    )
    assert "ZQHELDCOMMENT" in client.get(forum_url(world, 1)).content.decode()


# --- Signing, the policy setting, the call page, the accepted page ----------------------------
@pytest.mark.django_db
def test_a_reviewer_signs_in_the_editor_and_the_forum_names_them(client, world):
    set_state(world, "accepted", "both")
    assert "ZQR1NAME" not in client.get(forum_url(world, 1)).content.decode()
    Workshop.objects.filter(pk=world.workshop.pk).update(
        review_deadline=timezone.now() + dt.timedelta(days=1),
        paper_deadline=timezone.now() - dt.timedelta(days=1),
    )
    r1 = user(world, "r1")
    client.force_login(r1)
    editor = client.get(reverse("reviews:paper", args=[world.workshop.slug, 1])).content.decode()
    assert 'name="signed"' in editor and "Sign this review with my name" in editor
    review = Review.objects.get(assignment__reviewer=r1, assignment__submission=world.acc)
    data = {f"q_{a.question_id}": str(a.value) for a in review.answers.all()}
    data.update(sign_choice="1", signed="on", revision=str(review.revision))
    client.post(reverse("reviews:submit", args=[world.workshop.slug, 1]), data)
    assert Review.objects.get(pk=review.pk).signed
    client.logout()
    page = client.get(forum_url(world, 1)).content.decode()
    assert "ZQR1NAME" in page and "ZQR1SUMMARY" in page
    assert "zqr1@" not in page
    # Only the reviewer decides: a chair's correction leaves the choice as it is.
    review_submit(assignment=review.assignment, user=user(world, "chair"),
                  answers={}, signed=False)  # fmt: skip
    assert Review.objects.get(pk=review.pk).signed


@pytest.mark.django_db
def test_changing_the_policy_is_a_chair_action_with_an_entry(world):
    with pytest.raises(NotAllowed):
        openness_set(actor=user(world, "r1"), workshop=world.workshop, openness="all")
    workshop = Workshop.objects.get(pk=world.workshop.pk)
    Workshop.objects.filter(pk=workshop.pk).update(openness="closed")
    workshop.refresh_from_db()
    openness_set(actor=user(world, "chair"), workshop=workshop, openness="all")
    assert Workshop.objects.get(pk=workshop.pk).openness == "all"
    entry = Activity.objects.filter(action="workshop.configure", workshop=workshop).first()
    assert entry.before == {"openness": "closed"} and entry.after == {"openness": "all"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("openness", "sentence"),
    [("closed", "Reviews stay private"), ("accepted", "Open reviewing for accepted papers"),
     ("all", "every reviewed paper (accepted or rejected, not withdrawn)")],
)  # fmt: skip
def test_the_call_page_says_the_policy(client, world, openness, sentence):
    set_state(world, openness, "before")
    page = client.get(reverse("workshop:detail", args=[world.workshop.slug])).content.decode()
    assert sentence in page
    assert reverse("forum:index", args=[world.workshop.slug]) not in page


@pytest.mark.django_db
@pytest.mark.parametrize("openness", POLICIES)
def test_the_accepted_page_links_published_forums(client, world, openness):
    set_state(world, openness, "both")
    page = client.get(reverse("submissions:accepted", args=[world.workshop.slug])).content.decode()
    assert (forum_url(world, 1) in page) == (openness != "closed")


@pytest.mark.django_db
def test_the_admin_offers_the_policy_to_chairs(client, world):
    client.force_login(user(world, "chair"))
    page = client.get(reverse("admin:workshop_workshop_change", args=[world.workshop.pk]))
    assert 'name="openness"' in page.content.decode()


# --- Query counts ------------------------------------------------------------------------------
def _grow(world: World, n: int) -> None:
    """Add `n` accepted papers, each with two submitted reviews, a response and comments."""
    workshop = world.workshop
    questions = {q.label.split()[0]: q for q in ReviewQuestion.objects.filter(workshop=workshop)}
    base = Submission.objects.filter(workshop=workshop).count()
    r1, r2 = User.objects.get(pk=world.users["r1"]), User.objects.get(pk=world.users["r2"])
    for i in range(n):
        paper = add_paper(workshop, 100 + base + i, f"Grown {i}", SubmissionStatus.ACCEPTED, r1,
                       (f"Author {i}", f"a{i}-{base}@grown.example.net", "Lab"))  # fmt: skip
        Authorship.objects.create(submission=paper, position=2, name=f"Second {i}",
                                  email=f"b{i}-{base}@grown.example.net")  # fmt: skip
        add_review(paper, r1, "A", questions, {"Summary": "s", "Overall": 4})
        add_review(paper, r2, "B", questions, {"Summary": "t", "Overall": 3}, signed=True)
        PublicComment.objects.create(submission=paper, author=r1, signature="x", body="c",
                                     status=PublicCommentStatus.APPROVED)  # fmt: skip


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_index_and_the_feed_cost_the_same_whatever_the_number_of_papers(client, world):
    set_state(world, "all", "both")
    index = reverse("forum:index", args=[world.workshop.slug])
    feed = reverse("forum:feed", args=[world.workshop.slug])
    _grow(world, 2)
    small = (_count(client, index), _count(client, feed))
    _grow(world, 8)
    large = (_count(client, index), _count(client, feed))
    assert small == large, (small, large)
    assert small[0] <= 5 and small[1] <= 6, small  # measured: 5 and 6


@pytest.mark.django_db
def test_a_forum_costs_the_same_whatever_the_number_of_reviews_and_comments(client, world):
    set_state(world, "all", "both")
    url = forum_url(world, 2)
    small = _count(client, url)
    questions = {
        q.label.split()[0]: q for q in ReviewQuestion.objects.filter(workshop=world.workshop)
    }
    for key, letter in (("r1", "B"), ("r3", "C"), ("ac", "D")):
        add_review(world.rej, User.objects.get(pk=world.users[key]), letter, questions,
                {"Summary": f"more {letter}", "Overall": 2}, signed=key == "r3")  # fmt: skip
    for i in range(4):
        PublicComment.objects.create(submission=world.rej, author=User.objects.get(
            pk=world.users["stranger"]), signature="s", body=f"c{i}",
            status=PublicCommentStatus.APPROVED)  # fmt: skip
    assert _count(client, url) == small
    client.force_login(user(world, "stranger"))
    signed_in = _count(client, url)
    assert signed_in <= small + 6, (small, signed_in)  # session, user, rate limit
    assert small <= 8, small  # measured: 8


# --- The PDF ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_published_paper_without_camera_ready_offers_its_anonymised_copy_only(client, world):
    from django.core.files.base import ContentFile

    set_state(world, "all", "both")
    stored = SubmissionFile(
        submission=world.rej, kind=FileKind.PAPER, sha256="1" * 64, size=9,
        uploaded_by=User.objects.get(pk=world.users["r1"]),
    )  # fmt: skip
    stored.file.save("original.pdf", ContentFile(b"ZQORIGINAL ZQREJAUTHOR"), save=False)
    stored.save()
    Submission.objects.filter(pk=world.rej.pk).update(paper=stored)
    pdf = reverse("forum:pdf", args=[world.workshop.slug, 2])
    assert client.get(pdf).status_code == 404  # no anonymised copy yet: never the original
    assert pdf not in client.get(forum_url(world, 2)).content.decode()
    stored.reviewer_copy.save("copy.pdf", ContentFile(b"%PDF-ZQANONYMISED"), save=True)
    page = client.get(forum_url(world, 2)).content.decode()
    assert pdf in page and "citation_pdf_url" in page
    response = client.get(pdf)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body == b"%PDF-ZQANONYMISED"
    assert response["X-Content-Type-Options"] == "nosniff"
    set_state(world, "accepted", "both")
    assert client.get(pdf).status_code == 404
