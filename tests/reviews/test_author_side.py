"""The authors' side after review: released reviews and decisions, the author response
(rebuttal), reviews updated during the discussion, the camera-ready version, the public
page of accepted papers and the proceedings bundle.

Runs on the world of tests/reviews/conftest.py: paper P (#1) by ZQAUTHORNAME (contact
author, with co-author ZQCOAUTHORNAME), reviewed by Reviewer A (R1, submitted) and B (R2,
draft; submitted in the `released` fixture), C (R3) not started; paper Q (#2) by another
author. The review deadline is a week away.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from reviews.models import AuthorResponse, Review, ReviewStatus
from reviews.permissions import reviews_writable
from reviews.services.decisions import decision_record, default_categories_create
from reviews.services.reviewing import review_save_draft, review_submit
from submissions.models import (
    Authorship,
    BundleStatus,
    ProceedingsBundle,
    Submission,
    SubmissionFile,
    SubmissionType,
)
from submissions.services.camera_ready import camera_ready_update, camera_ready_upload
from tests.pdfs import make_pdf
from workshop.errors import DeadlinePassed
from workshop.models import MailStatus, OutgoingMail, Workshop

from .conftest import (
    AUTHOR_P,
    COMMENT,
    COMMITTEE_KEYS,
    CONFIDENTIAL,
    DRAFT,
    META,
    P_TITLE,
    Q_TITLE,
    R1_TEXT,
    World,
    identity_markers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    """The world built once for the module (tests/reviews/conftest.py `world_once`); each
    test gets its own copy and its writes are rolled back after it."""
    return world_once.checkout(settings, tmp_path / "world-media")


R1, R2, R3 = "R1-submitted", "R2-draft", "R3-not-started"
R2_TEXT = "ZQR2SUBMITTEDTEXT"
DAY = dt.timedelta(days=1)


def on_commit():
    return TestCase.captureOnCommitCallbacks(execute=True)


def reviews_url(world: World, paper: Submission | None = None) -> str:
    return reverse("author_reviews", args=[(paper or world.p).pk])


def set_workshop(world: World, **fields) -> Workshop:
    Workshop.objects.filter(pk=world.workshop.pk).update(**fields)
    world.workshop.refresh_from_db()
    world.p.refresh_from_db()
    world.q.refresh_from_db()
    return world.workshop


def as_user(client, world: World, role: str):
    client.force_login(world.users[role])
    return client


def messages_after(client, response) -> list[str]:
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


def decide(world: World, paper: Submission, name: str) -> None:
    categories = {c.name: c for c in default_categories_create(world.workshop)}
    decision_record(submission=paper, category=categories[name], chair=world.users["chair-A"])
    paper.refresh_from_db()


@pytest.fixture
def released(world: World) -> World:
    """Reviewer B submitted as well; the reviews are released to the authors."""
    with on_commit():
        review_submit(
            assignment=world.assignments[R2],
            user=world.users[R2],
            answers=world.full_answers(Summary=f"{R2_TEXT} Needs work.", Overall=2),
        )
    set_workshop(world, reviews_released=True)
    mail.outbox.clear()
    return world


@pytest.fixture
def rebuttal(released: World, frozen_now) -> World:
    """The review deadline has passed; the response window is open (frozen inside it)."""
    world = released
    deadline = world.workshop.review_deadline
    set_workshop(
        world,
        rebuttal_opens=deadline + DAY,
        rebuttal_closes=deadline + 4 * DAY,
        discussion_ends=deadline + 6 * DAY,
        rebuttal_word_limit=50,
    )
    frozen_now(deadline + 2 * DAY)
    return world


# --- The released reviews ----------------------------------------------------------------------
def test_nothing_released_gives_404(client, world):
    as_user(client, world, "author-P")
    assert client.get(reviews_url(world)).status_code == 404
    assert client.post(reviews_url(world), {"text": "Hello"}).status_code == 404
    assert not AuthorResponse.objects.exists()


def test_released_reviews_show_author_visible_answers_under_pseudonyms(client, released):
    world = released
    response = as_user(client, world, "author-P").get(reviews_url(world))
    assert response.status_code == 200
    html = response.content.decode()

    assert "<strong>Reviewer A</strong>" in html and "<strong>Reviewer B</strong>" in html
    assert "Reviewer C" not in html  # not submitted
    assert R1_TEXT in html and R2_TEXT in html
    assert "Overall recommendation" in html and "4 (Accept)" in html
    assert CONFIDENTIAL not in html  # chairs-only
    assert ">Confidence<" not in html and "Fairly confident" not in html  # committee-only
    for leaked in (DRAFT, META, COMMENT):
        assert leaked not in html
    for key in COMMITTEE_KEYS:
        for marker in identity_markers(key):
            assert marker not in html, (key, marker)
    assert "Decision:" not in html


def test_the_decision_is_shown_only_after_its_release(client, released):
    world = released
    decide(world, world.p, "Accept (oral)")
    html = as_user(client, world, "author-P").get(reviews_url(world)).content.decode()
    assert "Accept (oral)" not in html and "Decision:" not in html

    set_workshop(world, decisions_released=True)
    html = client.get(reviews_url(world)).content.decode()
    assert "<h2>Decision: Accept (oral)</h2>" in html
    assert reverse("submissions:camera_ready", args=[world.p.pk]) in html


def test_decisions_released_without_reviews_show_the_decision_only(client, world):
    decide(world, world.q, "Reject")
    set_workshop(world, decisions_released=True)
    response = as_user(client, world, "author-Q").get(reviews_url(world, world.q))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Decision: Reject</h2>" in html
    assert "The reviews have not been released yet." in html
    response = as_user(client, world, "author-P").get(reviews_url(world))
    assert R1_TEXT not in response.content.decode()


@pytest.mark.parametrize("role", ["author-Q", R1, "AC-of-P", "conflicted", "chair-B"])
def test_anyone_but_the_papers_authors_gets_404(client, released, role):
    world = released
    set_workshop(world, decisions_released=True)
    as_user(client, world, role)
    assert client.get(reviews_url(world)).status_code == 404
    assert client.post(reviews_url(world), {"text": "x"}).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, released):
    response = client.get(reviews_url(released))
    assert response.status_code == 302 and "login" in response["Location"]


# --- The author response -----------------------------------------------------------------------
def test_authors_respond_per_review_and_in_general_during_the_window(client, rebuttal):
    world = rebuttal
    as_user(client, world, "author-P")
    html = client.get(reviews_url(world)).content.decode()
    assert "The author response window is open" in html
    assert html.count('name="text"') == 3  # one per review and the general one

    with on_commit():
        response = client.post(
            reviews_url(world), {"review": "Reviewer A", "text": "We added the baseline."}
        )
    assert messages_after(client, response) == ["Response saved; the reviewers have been told."]
    with on_commit():
        client.post(reviews_url(world), {"text": "Thanks to all reviewers, $x^2$ fixed."})

    to_a = AuthorResponse.objects.get(submission=world.p, review__isnull=False)
    assert to_a.review == world.review_of(R1)
    assert to_a.text == "We added the baseline."
    assert to_a.author == world.users["author-P"]
    general = AuthorResponse.objects.get(submission=world.p, review__isnull=True)
    assert general.text == "Thanks to all reviewers, $x^2$ fixed."

    html = client.get(reviews_url(world)).content.decode()
    article_a = html[html.index("<strong>Reviewer A</strong>") : html.index("Reviewer B")]
    assert "Your response" in article_a and "We added the baseline." in article_a
    assert "Edit your response to Reviewer A" in article_a
    assert '<span class="math inline">x^2</span>' in html

    # Editing replaces, never duplicates.
    with on_commit():
        client.post(reviews_url(world), {"review": "Reviewer A", "text": "Baseline added."})
    assert AuthorResponse.objects.filter(submission=world.p).count() == 2
    assert AuthorResponse.objects.get(pk=to_a.pk).text == "Baseline added."


@pytest.mark.parametrize("name", ["Reviewer C", "Reviewer Z", "garbage"])
def test_a_response_to_a_review_the_authors_cannot_see_is_refused(client, rebuttal, name):
    """Reviewer C has no submitted review and Z none at all: the response is refused with a
    message, not quietly saved as the general response."""
    world = rebuttal
    as_user(client, world, "author-P")
    response = client.post(reviews_url(world), {"review": name, "text": "To whom it may concern"})
    assert messages_after(client, response) == ["That review is not among this paper's reviews."]
    assert not AuthorResponse.objects.exists()


def test_the_response_service_refuses_a_draft_review(rebuttal):
    """The server, not only the page, keeps responses to the reviews authors can see."""
    from reviews.services.responses import response_save
    from workshop.errors import NotAllowed

    world = rebuttal
    draft = Review.objects.create(assignment=world.assignments["R3-not-started"])
    assert draft.status == ReviewStatus.DRAFT
    with pytest.raises(NotAllowed):
        response_save(submission=world.p, user=world.users["author-P"], text="Hi", review=draft)
    assert not AuthorResponse.objects.exists()


def test_the_word_limit_is_enforced_and_the_typed_text_kept(client, rebuttal):
    world = rebuttal
    as_user(client, world, "author-P")
    text = " ".join(f"word{i}" for i in range(51))
    response = client.post(reviews_url(world), {"text": text})
    assert messages_after(client, response) == ["The response has 51 words; the limit is 50."]
    assert not AuthorResponse.objects.exists()
    assert not OutgoingMail.objects.filter(kind="author_response_notice").exists()

    response = client.post(reviews_url(world), {"text": text})
    html = client.get(response["Location"]).content.decode()
    general = re.search(r'<textarea id="general"[^>]*>(.*?)</textarea>', html, re.S)
    assert general and general.group(1) == text
    assert "at most 50 words" in html

    exactly = " ".join(f"word{i}" for i in range(50))
    with on_commit():
        client.post(reviews_url(world), {"text": exactly})
    assert AuthorResponse.objects.get(submission=world.p).text == exactly


def test_a_refused_response_to_one_review_comes_back_in_that_reviews_box(client, rebuttal):
    world = rebuttal
    as_user(client, world, "author-P")
    text = " ".join(f"word{i}" for i in range(51))
    response = client.post(reviews_url(world), {"review": "Reviewer A", "text": text})
    html = client.get(response["Location"]).content.decode()
    article_a = html[html.index("<strong>Reviewer A</strong>") : html.index("Reviewer B")]
    assert text in article_a
    general = re.search(r'<textarea id="general"[^>]*>(.*?)</textarea>', html, re.S)
    assert general and text not in general.group(1)


@pytest.mark.parametrize("when", ["before", "after", "not_released"])
def test_responses_are_refused_outside_the_window(client, rebuttal, frozen_now, when):
    world = rebuttal
    if when == "before":
        frozen_now(world.workshop.rebuttal_opens - dt.timedelta(minutes=1))
    elif when == "after":
        frozen_now(world.workshop.rebuttal_closes + dt.timedelta(minutes=1))
    else:
        set_workshop(world, reviews_released=False, decisions_released=True)
    as_user(client, world, "author-P")
    html = client.get(reviews_url(world)).content.decode()
    assert 'name="text"' not in html and "response window is open" not in html

    response = client.post(reviews_url(world), {"text": "Too late?"})
    if when == "not_released":
        assert response.status_code == 404
    else:
        assert messages_after(client, response) == ["The author response window is closed."]
    assert not AuthorResponse.objects.exists()
    assert not OutgoingMail.objects.filter(kind="author_response_notice").exists()


def test_the_grace_period_extends_the_window(client, rebuttal, frozen_now):
    world = rebuttal
    set_workshop(world, grace_minutes=15)
    frozen_now(world.workshop.rebuttal_closes + dt.timedelta(minutes=10))
    with on_commit():
        as_user(client, world, "author-P").post(reviews_url(world), {"text": "Just in time."})
    assert AuthorResponse.objects.filter(submission=world.p).exists()


def test_reviewers_who_submitted_are_notified_once(client, rebuttal):
    world = rebuttal
    as_user(client, world, "author-P")
    with on_commit():
        client.post(reviews_url(world), {"review": "Reviewer B", "text": "We disagree, see §3."})
    notices = OutgoingMail.objects.filter(kind="author_response_notice")
    assert sorted(m.to for m in notices) == sorted(
        [world.users[R1].email, world.users[R2].email]
    )  # not Reviewer C (nothing submitted), not the area chair
    assert {m.status for m in notices} == {MailStatus.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.to for m in notices)
    for m in notices:
        for marker in (*AUTHOR_P[:4], "ZQAUTHORNAME"):
            assert marker not in m.subject + m.body_text, marker

    with on_commit():  # the same text again, at the same moment: no second notice
        client.post(reviews_url(world), {"review": "Reviewer B", "text": "We disagree, see §3."})
    assert OutgoingMail.objects.filter(kind="author_response_notice").count() == 2


def test_reviewers_see_the_response_on_their_paper_page(client, rebuttal):
    world = rebuttal
    with on_commit():
        as_user(client, world, "author-P").post(
            reviews_url(world), {"review": "Reviewer A", "text": "ZQRESPONSETEXT baseline added."}
        )
    url = reverse("reviews:paper", args=[world.workshop.slug, world.p.number])
    for role in (R1, R2, "chair-A"):
        html = as_user(client, world, role).get(url).content.decode()
        assert "Author response" in html
        assert "To Reviewer A" in html and "ZQRESPONSETEXT baseline added." in html
        assert "ZQAUTHORNAME" not in html or role == "chair-A"
    html = as_user(client, world, "unassigned").get(url)
    assert html.status_code == 404


def test_a_submitted_review_can_be_updated_during_the_discussion_but_not_a_draft(world, frozen_now):
    review_save_draft(
        assignment=world.assignments[R3],
        user=world.users[R3],
        answers={world.q_id("Summary"): "ZQR3DRAFT"},
    )
    deadline = world.workshop.review_deadline
    set_workshop(
        world,
        rebuttal_opens=deadline + DAY,
        rebuttal_closes=deadline + 4 * DAY,
        discussion_ends=deadline + 6 * DAY,
        reviews_released=True,
    )
    frozen_now(deadline + 2 * DAY)

    updated = review_submit(
        assignment=world.assignments[R1],
        user=world.users[R1],
        answers=world.full_answers(Summary="ZQR1UPDATED after the response.", Overall=5),
    )
    assert updated.version == 2
    assert world.answer(R1, "Overall recommendation") == 5

    with pytest.raises(DeadlinePassed):
        review_submit(
            assignment=world.assignments[R3], user=world.users[R3], answers=world.full_answers()
        )
    assert Review.objects.get(assignment=world.assignments[R3]).status == ReviewStatus.DRAFT
    with pytest.raises(DeadlinePassed):
        review_save_draft(
            assignment=world.assignments[R3],
            user=world.users[R3],
            answers={world.q_id("Summary"): "more"},
        )


def test_reviews_writable_over_the_timeline(world):
    w = world.workshop
    deadline = w.review_deadline
    set_workshop(
        world,
        rebuttal_opens=deadline + DAY,
        rebuttal_closes=deadline + 4 * DAY,
        discussion_ends=deadline + 6 * DAY,
    )
    w = world.workshop
    minute = dt.timedelta(minutes=1)
    assert reviews_writable(w, submitted=False, now=deadline)
    assert not reviews_writable(w, submitted=True, now=deadline + minute)  # before the response
    assert reviews_writable(w, submitted=True, now=w.rebuttal_opens)
    assert not reviews_writable(w, submitted=False, now=w.rebuttal_opens + DAY)
    assert reviews_writable(w, submitted=True, now=w.discussion_ends)
    assert not reviews_writable(w, submitted=True, now=w.discussion_ends + minute)
    set_workshop(world, discussion_ends=None)
    w = world.workshop
    assert reviews_writable(w, submitted=True, now=w.rebuttal_closes)
    assert not reviews_writable(w, submitted=True, now=w.rebuttal_closes + minute)


# --- Camera-ready ------------------------------------------------------------------------------
def cr_url(paper: Submission) -> str:
    return reverse("submissions:camera_ready", args=[paper.pk])


def cr_pdf(pages: int, text: str = "Final version by ZQAUTHORNAME") -> SimpleUploadedFile:
    return SimpleUploadedFile("final.pdf", make_pdf(pages=pages, text=text), "application/pdf")


@pytest.fixture
def accepted(world: World) -> World:
    """P accepted, Q rejected, decisions released; the camera-ready deadline is ahead."""
    decide(world, world.p, "Accept (oral)")
    decide(world, world.q, "Reject")
    set_workshop(world, decisions_released=True)
    mail.outbox.clear()
    return world


def test_camera_ready_only_for_accepted_papers_after_the_release(client, world):
    decide(world, world.p, "Accept (oral)")
    decide(world, world.q, "Reject")
    as_user(client, world, "author-P")
    assert client.get(cr_url(world.p)).status_code == 404  # not released yet
    assert client.post(cr_url(world.p), {"file": cr_pdf(2)}).status_code == 404
    set_workshop(world, decisions_released=True)
    response = client.get(cr_url(world.p))
    assert response.status_code == 200
    assert "at most 9 pages" in response.content.decode()
    assert as_user(client, world, "author-Q").get(cr_url(world.q)).status_code == 404
    for role in ("author-Q", R1, "chair-B"):
        assert as_user(client, world, role).get(cr_url(world.p)).status_code == 404
    assert Submission.objects.get(pk=world.p.pk).camera_ready is None


def test_the_upload_respects_the_camera_ready_page_limit(client, accepted):
    world = accepted
    as_user(client, world, "author-P")
    with on_commit():
        response = client.post(cr_url(world.p), {"file": cr_pdf(10)})
    assert messages_after(client, response) == [
        "The file was not accepted: The PDF has too many pages: it has 10 pages, "
        "and the limit is 9."
    ]
    assert Submission.objects.get(pk=world.p.pk).camera_ready is None

    with on_commit():
        response = client.post(cr_url(world.p), {"file": cr_pdf(9)})
    assert messages_after(client, response) == ["Camera-ready PDF uploaded (9 pages)."]
    stored = Submission.objects.get(pk=world.p.pk).camera_ready
    assert stored is not None and stored.kind == "camera_ready" and stored.pages == 9
    assert Submission.objects.get(pk=world.p.pk).paper_id != stored.pk  # the submission stays

    SubmissionType.objects.filter(workshop=world.workshop).update(camera_ready_page_limit=3)
    with on_commit():
        response = client.post(cr_url(world.p), {"file": cr_pdf(4)})
    assert messages_after(client, response) == [
        "The file was not accepted: The PDF has too many pages: it has 4 pages, and the limit is 3."
    ]
    assert Submission.objects.get(pk=world.p.pk).camera_ready_id == stored.pk


def test_the_licence_and_the_terms_are_required(client, accepted):
    world = accepted
    as_user(client, world, "author-P")
    data = {"title": "Final title", "abstract": "Final $y$ abstract.", "keywords": "a, b"}
    response = client.post(cr_url(world.p), {**data, "licence": "CC-BY-4.0"})
    assert messages_after(client, response) == ["Please accept the licence and consent terms."]
    response = client.post(cr_url(world.p), {**data, "accept_terms": "on"})
    assert messages_after(client, response) == ["Choose a licence."]
    response = client.post(cr_url(world.p), {**data, "licence": "GPL", "accept_terms": "on"})
    assert messages_after(client, response) == ["Choose a licence."]
    paper = Submission.objects.get(pk=world.p.pk)
    assert paper.licence == "" and paper.licence_accepted_at is None
    assert paper.title.startswith(P_TITLE)

    with on_commit():
        response = client.post(
            cr_url(world.p), {**data, "licence": "CC-BY-4.0", "accept_terms": "on"}
        )
    assert messages_after(client, response) == ["Final details and licence saved."]
    paper = Submission.objects.get(pk=world.p.pk)
    assert (paper.title, paper.abstract, paper.licence) == (
        "Final title",
        "Final $y$ abstract.",
        "CC-BY-4.0",
    )
    assert paper.licence_accepted_at is not None
    assert paper.licence_accepted_by == world.users["author-P"]
    html = client.get(cr_url(world.p)).content.decode()
    assert 'value="CC-BY-4.0" checked' in html


def test_after_the_camera_ready_deadline_everything_is_refused(client, accepted, frozen_now):
    world = accepted
    frozen_now(world.workshop.camera_ready_deadline + dt.timedelta(minutes=1))
    as_user(client, world, "author-P")
    html = client.get(cr_url(world.p)).content.decode()
    assert "the camera-ready deadline has passed" in html
    assert 'type="file"' not in html
    response = client.post(cr_url(world.p), {"file": cr_pdf(2)})
    assert messages_after(client, response) == ["The camera-ready deadline has passed."]
    response = client.post(
        cr_url(world.p),
        {"title": "T", "abstract": "A", "licence": "CC0-1.0", "accept_terms": "on"},
    )
    assert messages_after(client, response) == ["The camera-ready deadline has passed."]
    paper = Submission.objects.get(pk=world.p.pk)
    assert paper.camera_ready is None and paper.licence == ""


def test_uploads_and_details_send_receipts_to_every_author(client, accepted):
    world = accepted
    earlier = list(OutgoingMail.objects.values_list("pk", flat=True))
    as_user(client, world, "author-P")
    with on_commit():
        client.post(cr_url(world.p), {"file": cr_pdf(3)})
    receipts = OutgoingMail.objects.filter(
        kind="submission_receipt", workshop=world.workshop
    ).exclude(pk__in=earlier)
    assert sorted(m.to for m in receipts) == sorted([AUTHOR_P[1], AUTHOR_P[4]])
    assert {m.status for m in receipts} == {MailStatus.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([AUTHOR_P[1], AUTHOR_P[4]])
    assert all("Camera-ready PDF uploaded" in m.body for m in mail.outbox)

    with on_commit():
        response = client.post(
            cr_url(world.p),
            {"title": "T", "abstract": "A", "licence": "CC0-1.0", "accept_terms": "on"},
        )
    assert messages_after(client, response)[-1] == "Final details and licence saved."
    assert receipts.all().count() == 4


# --- The public page of accepted papers --------------------------------------------------------
@pytest.fixture
def public(accepted: World) -> World:
    """P accepted with its camera-ready and artifacts; S accepted without one; Q rejected;
    W withdrawn."""
    world = accepted
    author = world.users["author-P"]
    Submission.objects.filter(pk=world.p.pk).update(
        abstract="We study $x^2$ things.",
        code_url="https://code.example.org/zq",
        code_licence="MIT",
        data_url="https://data.example.org/zq",
    )
    world.p.refresh_from_db()
    world.p.secondary_topics.add(
        world.workshop.topics.create(name="Data", description="Data things.")
    )
    with on_commit():
        camera_ready_upload(submission=world.p, user=author, upload=cr_pdf(3, "ZQCAMERAREADY"))
        camera_ready_update(
            submission=world.p,
            user=author,
            title=world.p.title,
            abstract=world.p.abstract,
            keywords="llm, eval",
            licence="CC-BY-4.0",
            accept_terms=True,
        )
    world.p.refresh_from_db()
    world.s = plain_submission(world, "ZQSECONDACCEPTED Short one", "accepted", pdf=b"ZQPDF")
    world.w = plain_submission(world, "ZQWITHDRAWNTITLE", "withdrawn")
    return world


def plain_submission(world: World, title: str, status: str, pdf: bytes = b"") -> Submission:
    """A paper of author-Q made in the database (the call is closed by now)."""
    owner = world.users["author-Q"]
    paper = Submission.objects.create(
        workshop=world.workshop,
        number=world.workshop.submissions.count() + 1,
        title=title,
        status=status,
        created_by=owner,
        primary_topic=world.workshop.topics.first(),
    )
    Authorship.objects.create(
        submission=paper,
        position=1,
        name="ZQOTHERAUTHOR Qauthor",
        email=owner.email,
        is_contact=True,
    )
    if pdf:
        stored = SubmissionFile(
            submission=paper, kind="paper", sha256="0" * 64, size=len(pdf), uploaded_by=owner
        )
        stored.file.save("upload", ContentFile(pdf), save=True)
        Submission.objects.filter(pk=paper.pk).update(paper=stored)
        paper.refresh_from_db()
    return paper


def test_the_accepted_page_is_404_before_the_release(client, public):
    world = public
    set_workshop(world, decisions_released=False)
    assert client.get(reverse("submissions:accepted", args=["wsa"])).status_code == 404
    pdf = reverse("submissions:accepted_pdf", args=["wsa", world.p.number])
    assert client.get(pdf).status_code == 404


def test_the_accepted_page_lists_accepted_papers_only(client, public):
    world = public
    response = client.get(reverse("submissions:accepted", args=["wsa"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 papers" in html
    assert world.p.title in html and "ZQSECONDACCEPTED Short one" in html
    assert Q_TITLE not in html and "ZQWITHDRAWNTITLE" not in html
    assert AUTHOR_P[1] not in html and AUTHOR_P[4] not in html  # no email addresses
    paper = html[html.index('id="paper-1"') : html.index("</article>", html.index('id="paper-1"'))]
    assert "ZQAUTHORNAME Pauthor" in paper and "ZQCOAUTHORNAME Co" in paper
    assert "ZQAFFIL Institute" in paper
    assert '<span class="math inline">x^2</span>' in paper
    assert "Evaluation, Data" in paper
    assert "CC BY 4.0" in paper
    assert '<a href="https://code.example.org/zq" rel="noopener noreferrer nofollow">Code</a>' in (
        paper
    )
    assert "(MIT)" in paper and 'href="https://data.example.org/zq"' in paper
    assert f'href="{reverse("submissions:accepted_pdf", args=["wsa", 1])}"' in paper
    second = html[html.index(f'id="paper-{world.s.number}"') :]
    assert "PDF coming soon" in second.split("</article>")[0]


def test_the_public_pdf_is_the_camera_ready_version_only(client, public):
    world = public
    response = client.get(reverse("submissions:accepted_pdf", args=["wsa", world.p.number]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    with world.p.camera_ready.file.open("rb") as fh:
        assert body == fh.read()
    with world.p.paper.file.open("rb") as fh:
        assert body != fh.read()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="wsa-paper-1.pdf"' in response["Content-Disposition"]

    for number in (world.s.number, world.q.number, world.w.number, 99):
        url = reverse("submissions:accepted_pdf", args=["wsa", number])
        assert client.get(url).status_code == 404, number


# --- Proceedings -------------------------------------------------------------------------------
def test_the_chair_builds_and_downloads_the_proceedings(client, public):
    world = public
    as_user(client, world, "chair-A")
    add = reverse("admin:submissions_proceedingsbundle_add")
    page = client.get(add)
    assert page.status_code == 200
    assert "Workshop Alpha" in page.content.decode()
    assert "Workshop Beta" not in page.content.decode()
    with on_commit():
        response = client.post(add, {"workshop": world.workshop.pk})
    assert response.status_code == 302
    bundle = ProceedingsBundle.objects.get(workshop=world.workshop)
    assert (bundle.status, bundle.progress, bundle.papers) == (BundleStatus.DONE, 100, 2)
    assert bundle.requested_by == world.users["chair-A"]

    changelist = client.get(reverse("admin:submissions_proceedingsbundle_changelist"))
    download = reverse("admin:submissions_bundle_download", args=[bundle.pk])
    assert download in changelist.content.decode()

    response = client.get(download)
    assert response.status_code == 200
    assert 'filename="wsa-proceedings.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert names == {
        "papers/wsa-1.pdf",
        f"papers/wsa-{world.s.number}.pdf",
        "papers.csv",
        "papers.json",
    }
    with world.p.camera_ready.file.open("rb") as fh:
        assert archive.read("papers/wsa-1.pdf") == fh.read()

    rows = list(csv.DictReader(io.StringIO(archive.read("papers.csv").decode())))
    by_number = {r["number"]: r for r in rows}
    assert set(by_number) == {"1", str(world.s.number)}
    assert by_number["1"]["title"] == world.p.title
    assert by_number["1"]["authors"] == "ZQAUTHORNAME Pauthor; ZQCOAUTHORNAME Co"
    assert by_number["1"]["licence"] == "CC-BY-4.0"
    assert by_number["1"]["pdf"] == "papers/wsa-1.pdf"
    assert by_number[str(world.s.number)]["title"] == "ZQSECONDACCEPTED Short one"

    records = {r["number"]: r for r in json.loads(archive.read("papers.json"))}
    assert records[1]["title"] == world.p.title
    assert [a["name"] for a in records[1]["authors"]] == [
        "ZQAUTHORNAME Pauthor",
        "ZQCOAUTHORNAME Co",
    ]
    assert records[1]["camera_ready"] is True and records[world.s.number]["camera_ready"] is False
    assert records[1]["code"] == "https://code.example.org/zq"
    assert records[1]["topics"] == ["Evaluation", "Data"]
    assert Q_TITLE not in json.dumps(records) and "ZQWITHDRAWNTITLE" not in json.dumps(records)


def test_a_chair_of_another_workshop_can_neither_build_nor_download(client, public):
    world = public
    with on_commit():
        as_user(client, world, "chair-A").post(
            reverse("admin:submissions_proceedingsbundle_add"), {"workshop": world.workshop.pk}
        )
    bundle = ProceedingsBundle.objects.get(workshop=world.workshop)
    as_user(client, world, "chair-B")
    download = reverse("admin:submissions_bundle_download", args=[bundle.pk])
    assert client.get(download).status_code == 404
    response = client.post(
        reverse("admin:submissions_proceedingsbundle_add"), {"workshop": world.workshop.pk}
    )
    assert response.status_code == 404
    assert ProceedingsBundle.objects.filter(workshop=world.workshop).count() == 1
    changelist = client.get(reverse("admin:submissions_proceedingsbundle_changelist"))
    assert download not in changelist.content.decode()
    for role in ("author-P", R1):
        response = as_user(client, world, role).get(download)
        assert response.status_code == 302 and "/login/" in response["Location"]
