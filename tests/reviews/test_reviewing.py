"""Writing reviews: autosave, submit, versions, deadlines, pseudonyms, declining, the
discussion, meta-reviews, form changes, the Markdown preview and the chairs' progress view.

Runs on the world of tests/reviews/conftest.py (paper P with Reviewers A = R1 (submitted),
B = R2 (draft) and C = R3 (not started), the area chair of P, the chair of A, ...).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import TestCase
from django.urls import reverse

from reviews.models import (
    Answer,
    Assignment,
    Comment,
    MetaReview,
    QuestionKind,
    Review,
    ReviewQuestion,
    ReviewVersion,
)
from reviews.selectors.matching import matching_input
from reviews.selectors.progress import review_progress
from reviews.services.assignment import assignment_add, assignment_remove
from reviews.services.reviewing import default_form_create, review_save_draft, review_submit
from tests.factories import MembershipFactory, UserFactory, make_chair
from workshop.models import OutgoingMail, Role, Workshop

from .conftest import (
    AUTHOR_P,
    COMMENT,
    DRAFT,
    P_TITLE,
    R1_TEXT,
    World,
    identity_markers,
    mails_about,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    """The world built once for the module (tests/reviews/conftest.py `world_once`); each
    test gets its own copy and its writes are rolled back after it."""
    return world_once.checkout(settings, tmp_path / "world-media")


R1, R2, R3 = "R1-submitted", "R2-draft", "R3-not-started"


def url(world: World, name: str) -> str:
    return reverse(f"reviews:{name}", args=[world.workshop.slug, world.p.number])


def login(client, world: World, role: str):
    client.force_login(world.users[role])
    return client


def messages_of(client, response) -> list[str]:
    """The messages a redirect carries, read by following it (which also uses them up)."""
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


def paper_html(client, world: World, role: str) -> str:
    response = login(client, world, role).get(url(world, "paper"))
    assert response.status_code == 200
    return response.content.decode()


def textarea(html: str, question: ReviewQuestion) -> str:
    match = re.search(rf'<textarea id="q_{question.pk}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, f"no textarea for {question.label}"
    return match.group(1)


def checked_score(html: str, question: ReviewQuestion) -> str | None:
    match = re.search(rf'<input type="radio" name="q_{question.pk}" value="(\d+)" checked', html)
    return match.group(1) if match else None


def review_article(html: str, pseudonym: str) -> str:
    start = html.index(f'id="review-{pseudonym}"')
    return html[start : html.index("</article>", start)]


# --- Autosave and submit -----------------------------------------------------------------------
def test_autosave_stores_a_draft_answer_per_question(client, world):
    other_form = default_form_create(world.other)  # a question of another workshop
    summary, overall = world.questions["Summary"], world.questions["Overall recommendation"]
    login(client, world, R3)
    response = client.post(
        url(world, "autosave"),
        {f"q_{summary.pk}": "First words", f"q_{overall.pk}": "2",
         f"q_{other_form[0].pk}": "stray", "q_99999": "unknown"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Draft saved at" in response.content.decode()
    review = world.review_of(R3)
    assert (review.status, review.version) == ("draft", 0)
    assert dict(review.answers.values_list("question_id", "value")) == {
        summary.pk: "First words",
        overall.pk: 2,  # stored as a number
    }

    strengths = world.questions["Strengths"]
    response = client.post(
        url(world, "autosave"), {f"q_{summary.pk}": "More words", f"q_{strengths.pk}": "Good"}
    )
    assert "Draft saved at" in response.content.decode()
    assert dict(review.answers.values_list("question_id", "value")) == {
        summary.pk: "More words",
        overall.pk: 2,
        strengths.pk: "Good",
    }
    assert Review.objects.get(pk=review.pk).status == "draft"
    assert not ReviewVersion.objects.filter(review=review).exists()
    # The page shows the draft in the editor.
    html = paper_html(client, world, R3)
    assert textarea(html, summary) == "More words"
    assert checked_score(html, overall) == "2"
    assert "Draft</span>" in html


def test_autosave_refuses_a_score_off_the_scale(client, world):
    overall = world.questions["Overall recommendation"]
    response = login(client, world, R3).post(url(world, "autosave"), {f"q_{overall.pk}": "9"})
    assert response.status_code == 400
    assert "“Overall recommendation”: 9 is not one of its scores (1 to 5)." in (
        response.content.decode()
    )
    worded = login(client, world, R3).post(url(world, "autosave"), {f"q_{overall.pk}": "great"})
    assert "“Overall recommendation”: “great” is not a score: choose one of 1 to 5." in (
        worded.content.decode()
    )
    assert not Answer.objects.filter(review__assignment=world.assignments[R3]).exists()


def test_submit_names_the_missing_answers_submits_nothing_and_keeps_what_was_typed(client, world):
    q = world.questions
    login(client, world, R3)
    response = client.post(
        url(world, "submit"),
        {f"q_{q['Summary'].pk}": "ZQTYPED summary <b>", f"q_{q['Overall recommendation'].pk}": "5",
         f"q_{q['Confidential comment to the chairs'].pk}": "ZQTYPEDCONF"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url(world, "paper")
    review = world.review_of(R3)
    assert review is None or review.status == "draft"
    assert not ReviewVersion.objects.filter(review__assignment=world.assignments[R3]).exists()

    page = client.get(response["Location"])  # the page shows the message and what was typed
    assert [str(m) for m in page.context["messages"]] == [
        "Please answer: Strengths, Weaknesses, Confidence."
    ]
    html = page.content.decode()
    assert textarea(html, q["Summary"]) == "ZQTYPED summary &lt;b&gt;"
    assert textarea(html, q["Confidential comment to the chairs"]) == "ZQTYPEDCONF"
    assert checked_score(html, q["Overall recommendation"]) == "5"
    assert "Submit the review" in html


def test_a_submitted_review_can_be_updated_and_every_version_is_kept(client, world):
    q = world.questions
    login(client, world, R3)
    client.post(url(world, "submit"), world.post_data(Summary="Version one", Overall=2))
    review = world.review_of(R3)
    assert (review.status, review.version) == ("submitted", 1)
    first_at = review.submitted_at
    html = paper_html(client, world, R3)
    assert "Submitted (version 1)" in html
    assert "Update the submitted review" in html
    assert "data-autosave-url" not in html.split('id="review-form"')[1].split(">")[0]  # no autosave

    response = client.post(url(world, "submit"), world.post_data(Summary="Version two", Overall=4))
    assert response.status_code == 302
    assert messages_of(client, response) == [
        "Review submitted. Thank you! You can update it until the deadline."
    ]
    review.refresh_from_db()
    assert (review.status, review.version) == ("submitted", 2)
    assert review.submitted_at >= first_at
    versions = {v.number: v.answers for v in ReviewVersion.objects.filter(review=review)}
    summary, overall = str(q["Summary"].pk), str(q["Overall recommendation"].pk)
    assert sorted(versions) == [1, 2]
    assert (versions[1][summary], versions[1][overall]) == ("Version one", 2)
    assert (versions[2][summary], versions[2][overall]) == ("Version two", 4)
    assert world.answer(R3, "Summary") == "Version two"
    assert "Submitted (version 2)" in paper_html(client, world, R3)


def test_autosave_is_refused_on_a_submitted_review(client, world):
    summary = world.questions["Summary"]
    response = login(client, world, R1).post(
        url(world, "autosave"), {f"q_{summary.pk}": "sneaky edit"}
    )
    # Refused, with the stored text for the editor to show beside the typed one.
    assert response.status_code == 400
    assert "use “Update the submitted review”" in response.content.decode()
    assert response.json()["submitted"] is True
    assert world.answer(R1, "Summary").startswith(R1_TEXT)
    review = world.review_of(R1)
    assert (review.status, review.version) == ("submitted", 1)


# --- Rule 7: the deadline -----------------------------------------------------------------------
@pytest.fixture
def deadline(world) -> dt.datetime:
    """The review deadline with a 30-minute grace period: writes end at the returned instant."""
    Workshop.objects.filter(pk=world.workshop.pk).update(grace_minutes=30)
    world.workshop.refresh_from_db()
    return world.workshop.review_deadline + dt.timedelta(minutes=30)


def _state(world: World) -> tuple:
    return (
        sorted(Answer.objects.values_list("pk", "value"), key=lambda r: r[0]),
        sorted(Review.objects.values_list("pk", "status", "version")),
        ReviewVersion.objects.count(),
    )


def test_one_second_after_the_deadline_and_grace_reviewers_can_no_longer_write(
    client, world, deadline, frozen_now
):
    frozen_now(deadline + dt.timedelta(seconds=1))
    before = _state(world)
    summary = world.questions["Summary"]
    login(client, world, R2)
    response = client.post(url(world, "autosave"), {f"q_{summary.pk}": "too late"})
    assert response.status_code == 403
    assert "The review deadline has passed" in response.content.decode()
    response = client.post(url(world, "submit"), world.post_data(Summary="too late"))
    assert response.status_code == 403
    assert "That change was not made" in response.content.decode()
    assert "The review deadline has passed" in response.content.decode()
    # An update of a submitted review is refused too.
    response = login(client, world, R1).post(url(world, "submit"), world.post_data())
    assert response.status_code == 403
    assert _state(world) == before
    assert world.answer(R2, "Summary").startswith(DRAFT)

    # What the page shows: no editor that pretends to save.
    html = paper_html(client, world, R2)
    assert "The review deadline has passed; the review can no longer be changed." in html
    assert "data-autosave-url" not in html.split('id="review-form"')[1].split(">")[0]
    assert "Submit the review" not in html
    assert re.search(rf'<textarea id="q_{summary.pk}"[^>]* readonly>', html)


def test_one_second_before_the_end_of_the_grace_period_writes_are_accepted(
    client, world, deadline, frozen_now
):
    frozen_now(deadline - dt.timedelta(seconds=1))
    summary = world.questions["Summary"]
    login(client, world, R2)
    response = client.post(url(world, "autosave"), {f"q_{summary.pk}": "just in time"})
    assert response.status_code == 200 and "Draft saved at" in response.content.decode()
    assert world.answer(R2, "Summary") == "just in time"
    response = client.post(url(world, "submit"), world.post_data(Summary="submitted in time"))
    assert response.status_code == 302
    assert world.review_of(R2).status == "submitted"


def test_a_chair_still_corrects_a_review_after_the_deadline(world, deadline, frozen_now):
    frozen_now(deadline + dt.timedelta(days=3))
    chair = world.users["chair-A"]
    review = review_submit(
        assignment=world.assignments[R2], user=chair, answers=world.full_answers(Summary="fixed")
    )
    assert (review.status, review.version) == ("submitted", 1)
    assert world.answer(R2, "Summary") == "fixed"
    draft = review_save_draft(
        assignment=world.assignments[R3], user=chair,
        answers={world.q_id("Summary"): "chair's note"},
    )  # fmt: skip
    assert draft.status == "draft" and world.answer(R3, "Summary") == "chair's note"


# --- Pseudonyms (rule 3) --------------------------------------------------------------------------
def _new_reviewer(world: World, marker: str) -> Assignment:
    user = UserFactory(name=f"{marker} New", email=f"{marker.lower()}@new-lab.org")
    MembershipFactory(workshop=world.workshop, user=user, role=Role.REVIEWER)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment, _ = assignment_add(
            submission=world.p, reviewer=user, chair=world.users["chair-A"]
        )
    assignment.refresh_from_db()
    return assignment


def _pseudonyms(world: World) -> dict[str, str]:
    return dict(
        Assignment.objects.filter(submission=world.p, role=Role.REVIEWER).values_list(
            "reviewer__name", "pseudonym"
        )
    )


def test_pseudonyms_follow_assignment_order_and_stay_when_a_reviewer_is_added(client, world):
    assert [world.assignments[k].pseudonym for k in (R1, R2, R3)] == ["A", "B", "C"]
    before = _pseudonyms(world)
    new = _new_reviewer(world, "ZQNEWREVIEWER")
    assert new.pseudonym == "D"
    assert {k: v for k, v in _pseudonyms(world).items() if k in before} == before
    client.force_login(new.reviewer)
    html = client.get(url(world, "paper")).content.decode()
    assert "you are <strong>Reviewer D</strong>" in html


def test_a_removed_reviewers_letter_is_not_given_to_the_next_reviewer(world):
    assignment_remove(assignment=world.assignments[R2], chair=world.users["chair-A"])
    new = _new_reviewer(world, "ZQNEWREVIEWER")
    pseudonyms = _pseudonyms(world)
    assert pseudonyms[PEOPLE_NAME(R1)] == "A" and pseudonyms[PEOPLE_NAME(R3)] == "C"
    assert new.pseudonym == "D"


def PEOPLE_NAME(role: str) -> str:
    from .conftest import PEOPLE

    return PEOPLE[role][0]


def test_a_declined_reviewers_letter_is_kept(world):
    from reviews.services.reviewing import assignment_decline

    with TestCase.captureOnCommitCallbacks(execute=True):
        assignment_decline(assignment=world.assignments[R2], user=world.users[R2], reason="busy")
    assert _new_reviewer(world, "ZQNEWREVIEWER").pseudonym == "D"


# --- Declining -----------------------------------------------------------------------------------
def test_declining_needs_a_reason(client, world):
    response = login(client, world, R3).post(url(world, "decline"), {"reason": "   "})
    assert response.status_code == 302 and response["Location"] == url(world, "paper")
    assert messages_of(client, response) == ["Please give the chairs a reason."]
    assert Assignment.objects.get(pk=world.assignments[R3].pk).declined_at is None
    assert not OutgoingMail.objects.filter(kind="assignment_declined").exists()


def test_the_decline_form_is_offered_exactly_when_the_server_accepts_a_decline(
    client, world, frozen_now
):
    """`reviews.decline` has no window (the policy matrix: every phase, until one's review
    is submitted): after the review deadline the page still offers it, and the server takes
    it; a reviewer who submitted is offered nothing and refused."""
    frozen_now(world.workshop.review_deadline + dt.timedelta(days=1))
    html = paper_html(client, world, R2)
    assert "The review deadline has passed" in html
    assert "Cannot review this paper?" in html
    response = client.post(url(world, "decline"), {"reason": "ZQREASON no time after all"})
    assert messages_of(client, response) == ["You declined the paper; the chairs have been told."]

    assert "Cannot review this paper?" not in paper_html(client, world, R1)
    response = client.post(url(world, "decline"), {"reason": "Changed my mind"})
    assert Assignment.objects.get(pk=world.assignments[R1].pk).declined_at is None


def test_declining_mails_every_chair_and_removes_the_paper_from_the_reviewer(
    client, world, django_capture_on_commit_callbacks
):
    second_chair = make_chair(world.workshop, name="Second Chair", email="second@alpha-chairs.org")
    login(client, world, R3)
    assert P_TITLE in client.get(reverse("reviews:dashboard")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(world, "decline"), {"reason": "ZQREASON outside my area"})
    assert response.status_code == 302 and response["Location"] == reverse("reviews:dashboard")
    assert messages_of(client, response) == ["You declined the paper; the chairs have been told."]
    assignment = Assignment.objects.get(pk=world.assignments[R3].pk)
    assert assignment.declined_at is not None
    assert assignment.decline_reason == "ZQREASON outside my area"

    mails = list(OutgoingMail.objects.filter(kind="assignment_declined"))
    assert sorted(m.to for m in mails) == sorted([world.users["chair-A"].email, second_chair.email])
    for mail in mails:
        assert "ZQREASON outside my area" in mail.body_text
        assert f"#{world.p.number}" in mail.subject
        assert mail.status == "sent"

    # Gone from the reviewer's dashboard and pages.
    dashboard = client.get(reverse("reviews:dashboard")).content.decode()
    assert P_TITLE not in dashboard
    assert client.get(url(world, "paper")).status_code == 404
    assert client.post(url(world, "autosave"), {"q_1": "x"}).status_code == 404

    # The next matching run never proposes the pair again.
    instance = matching_input(world.workshop)
    i = instance.paper_index()[world.p.pk]
    j = instance.reviewer_index()
    assert instance.forbidden[i, j[world.users[R3].pk]]
    assert not instance.forbidden[i, j[world.users["unassigned"].pk]]
    assert not instance.forbidden[instance.paper_index()[world.q.pk], j[world.users[R3].pk]]


def test_a_submitted_review_cannot_be_declined(client, world):
    response = login(client, world, R1).post(url(world, "decline"), {"reason": "changed my mind"})
    assert messages_of(client, response) == [
        "You have submitted a review of this paper; it cannot be declined."
    ]
    assert Assignment.objects.get(pk=world.assignments[R1].pk).declined_at is None


# --- The discussion ----------------------------------------------------------------------------
def test_the_discussion_opens_only_after_ones_own_review(client, world):
    html = paper_html(client, world, R3)
    assert "The discussion opens for you once you have submitted your review." in html
    assert 'id="comment-body"' not in html and COMMENT not in html
    response = client.post(url(world, "comment"), {"body": "Can I join?"})
    assert response.status_code == 302
    assert messages_of(client, response) == [
        "You can join the discussion once you have submitted your review."
    ]
    assert not Comment.objects.filter(body="Can I join?").exists()

    messages_of(client, client.post(url(world, "submit"), world.post_data()))
    response = client.post(url(world, "comment"), {"body": "Now I can."})
    assert messages_of(client, response) == ["Comment posted; the others have been notified."]
    comment = Comment.objects.get(body="Now I can.")
    assert comment.signature == "Reviewer C"


def test_a_comment_is_signed_with_the_pseudonym_and_notifies_the_other_participants(
    client, world, django_capture_on_commit_callbacks
):
    login(client, world, R3).post(url(world, "submit"), world.post_data())  # a participant now
    body = (
        "Thanks @Reviewer C, see $x^2$ and **this**. <script>alert('zq')</script>\n\n"
        "[link](javascript:alert(1))"
    )
    login(client, world, R1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(world, "comment"), {"body": body})
    assert response.status_code == 302
    comment = Comment.objects.get(body=body.strip())
    assert (comment.author, comment.signature) == (world.users[R1], "Reviewer A")

    sent = mails_about(comment).filter(kind="discussion_comment")
    mails = {m.to: m for m in sent}
    expected = {world.users[k].email for k in (R3, "AC-of-P", "chair-A")}
    assert set(mails) == expected  # one each; not the writer, not the draft-only R2
    assert mails_about(comment).count() == 3
    n = world.p.number
    assert (
        mails[world.users[R3].email].subject
        == f"[WSA] You were mentioned in the discussion of #{n}"
    )
    assert (
        mails[world.users["AC-of-P"].email].subject
        == f"[WSA] New comment on the discussion of #{n}"
    )
    for mail in mails.values():
        assert mail.body_text.startswith(f"Reviewer A wrote on paper #{n}")
        assert "ZQREVIEWER1NAME" not in mail.body_text and "zqreviewer1@" not in mail.body_text
        assert not any(m.lower() in mail.body_text.lower() for m in AUTHOR_P)

    html = paper_html(client, world, R3)
    discussion = html[html.index('id="discussion"') :]
    assert "<strong>Reviewer A</strong>" in discussion
    assert '<span class="math inline">x^2</span>' in discussion
    assert "<strong>this</strong>" in discussion
    assert "&lt;script&gt;alert" in discussion
    assert "<script>alert" not in html
    assert 'href="javascript' not in discussion
    assert "ZQREVIEWER1NAME" not in html
    # The chair sees who wrote it.
    assert "<strong>Reviewer A</strong> (ZQREVIEWER1NAME Rone)" in paper_html(
        client, world, "chair-A"
    )


def test_mentioning_the_area_chair_marks_their_notice(
    world, client, django_capture_on_commit_callbacks
):
    login(client, world, R1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(world, "comment"), {"body": "@Area chair, please weigh in."})
    comment = Comment.objects.get(body="@Area chair, please weigh in.")
    mail = mails_about(comment).get(recipient=world.users["AC-of-P"])
    assert mail.subject.startswith("[WSA] You were mentioned")
    chair = mails_about(comment).get(recipient=world.users["chair-A"])
    assert chair.subject.startswith("[WSA] New comment")


# --- Meta-review ---------------------------------------------------------------------------------
def test_the_area_chairs_meta_review_is_saved_and_shown_to_the_chairs(client, world):
    login(client, world, "AC-of-P")
    response = client.post(url(world, "meta"), {"recommendation": "", "text": "no choice"})
    assert messages_of(client, response) == ["Choose a recommendation."]
    assert MetaReview.objects.get(submission=world.p).recommendation == "weak_accept"

    response = client.post(
        url(world, "meta"), {"recommendation": "reject", "text": "ZQMETA2 weak *baselines*"}
    )
    assert messages_of(client, response) == ["Meta-review saved."]
    meta = MetaReview.objects.get(submission=world.p)
    assert (meta.author, meta.recommendation) == (world.users["AC-of-P"], "reject")
    chair = paper_html(client, world, "chair-A")
    section = chair[chair.index('id="meta-h"') :]
    assert "<strong>Reject</strong>" in section and "ZQACPNAME" in section
    assert "ZQMETA2 weak <em>baselines</em>" in section
    assert "ZQMETA2" not in paper_html(client, world, R1)  # not for reviewers


# --- Changing the form after reviews exist -----------------------------------------------------
def test_retiring_a_question_keeps_old_answers_and_a_new_required_one_must_be_answered(
    client, world
):
    q = world.questions
    login(client, world, R3).post(url(world, "submit"), world.post_data(Strengths="ZQOLDSTRENGTHS"))
    ReviewQuestion.objects.filter(pk=q["Strengths"].pk).update(active=False)
    new = ReviewQuestion.objects.create(
        workshop=world.workshop, label="Reproducibility", kind=QuestionKind.TEXT,
        required=True, order=20,
    )  # fmt: skip

    chair = paper_html(client, world, "chair-A")
    article = review_article(chair, "C")
    assert "Strengths" in article and "ZQOLDSTRENGTHS" in article
    own = paper_html(client, world, R3)
    assert f'name="q_{q["Strengths"].pk}"' not in own  # retired: not in the editor
    assert f'name="q_{new.pk}"' in own

    response = client.post(url(world, "submit"), world.post_data(Strengths="ignored"))
    assert messages_of(client, response) == ["Please answer: Reproducibility."]
    assert world.review_of(R3).version == 1

    data = {**world.post_data(Strengths="ignored"), f"q_{new.pk}": "Code is public."}
    response = client.post(url(world, "submit"), data)
    assert messages_of(client, response) == [
        "Review submitted. Thank you! You can update it until the deadline."
    ]
    review = world.review_of(R3)
    assert review.version == 2
    assert world.answer(R3, "Strengths") == "ZQOLDSTRENGTHS"  # a retired answer never changes
    versions = {v.number: v.answers for v in review.versions.all()}
    assert versions[1][str(q["Strengths"].pk)] == "ZQOLDSTRENGTHS"
    assert str(new.pk) not in versions[1]
    assert versions[2][str(new.pk)] == "Code is public."
    article = review_article(paper_html(client, world, "chair-A"), "C")
    assert "ZQOLDSTRENGTHS" in article and "Code is public." in article


# --- Markdown preview ----------------------------------------------------------------------------
def test_the_markdown_preview_renders_math_and_strips_scripts(client, world):
    login(client, world, R3)
    text = (
        "Let $x^2$ hold.\n\n$$\\int_0^1 f$$\n\n**bold** <script>alert('zq')</script> "
        "<img src=x onerror=alert(1)> [a](javascript:alert(1))"
    )
    response = client.post(reverse("reviews:preview"), {"text": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="math inline">x^2</span>' in html
    assert '<div class="math block">' in html and "\\int_0^1 f" in html
    assert "<strong>bold</strong>" in html
    assert "&lt;script&gt;" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    # The editor posts the answer field itself.
    response = client.post(reverse("reviews:preview"), {f"q_{world.q_id('Summary')}": "$y$"})
    assert '<span class="math inline">y</span>' in response.content.decode()
    assert "Nothing to preview." in client.post(reverse("reviews:preview"), {}).content.decode()


def test_the_markdown_preview_needs_a_signed_in_post(client, world):
    response = client.post(reverse("reviews:preview"), {"text": "x"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(client, world, R3).get(reverse("reviews:preview")).status_code == 405


# --- The chairs' progress view ---------------------------------------------------------------
def progress_url(world: World) -> str:
    return reverse("admin:reviews_progress", args=[world.workshop.pk])


def _row(html: str, needle: str) -> str:
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if needle in r]
    assert len(rows) == 1, (needle, rows)
    return rows[0]


def test_progress_counts_reviews_per_paper_and_reviewer_and_flags_disagreement(client, world):
    client.force_login(world.users["chair-A"])
    html = client.get(progress_url(world)).content.decode()
    assert "<strong>1</strong> of 3 reviews submitted" in html
    assert "<td>1 / 3</td>" in _row(html, P_TITLE)
    assert "disagreement" not in html
    assert "<td>1 / 1</td>" in _row(html, "ZQREVIEWER1NAME")
    assert "<strong>1</strong>" in _row(html, "ZQREVIEWER2NAME")  # one still to do
    assert "the deadline has passed" not in html

    with TestCase.captureOnCommitCallbacks(execute=True):
        review_submit(assignment=world.assignments[R2], user=world.users[R2],
                      answers=world.full_answers(Overall=1))  # fmt: skip
        review_submit(assignment=world.assignments[R3], user=world.users[R3],
                      answers=world.full_answers(Overall=5))  # fmt: skip
    html = client.get(progress_url(world)).content.decode()
    row = _row(html, P_TITLE)
    assert "<td>3 / 3</td>" in row and "⚑ disagreement" in row
    scores = re.findall(r"<td>(.*?)</td>", row, re.S)[2].split("<strong")[0]
    assert sorted(int(x) for x in scores.split(",")) == [1, 4, 5]
    flagged = html[html.index("Flagged for discussion") : html.index("Per paper")]
    assert P_TITLE in flagged
    assert next(
        p for p in review_progress(world.workshop).papers if p.submission == world.p
    ).disagreement


def test_scores_one_apart_are_not_a_disagreement(world):
    review_submit(assignment=world.assignments[R2], user=world.users[R2],
                  answers=world.full_answers(Overall=3))  # fmt: skip
    paper = next(p for p in review_progress(world.workshop).papers if p.submission == world.p)
    assert sorted(paper.scores) == [3, 4] and not paper.disagreement


def test_progress_shows_late_reviews_after_the_deadline_and_reminds_once_a_day(
    client, world, frozen_now, django_capture_on_commit_callbacks
):
    after = world.workshop.review_deadline + dt.timedelta(seconds=1)
    frozen_now(after)
    client.force_login(world.users["chair-A"])
    html = client.get(progress_url(world)).content.decode()
    assert "the deadline has passed" in html
    assert '<tr class="desk-late">' in _row(html, P_TITLE)  # a paper with late reviews
    for role in (R2, R3):
        assert 'class="desk-missing">1</strong>' in _row(html, identity_markers(role)[0])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(progress_url(world), {"action": "remind"})
    assert response.status_code == 302
    assert messages_of(client, response) == ["2 reviewers reminded."]
    mails = list(OutgoingMail.objects.filter(kind="review_reminder"))
    assert sorted(m.to for m in mails) == sorted(world.users[k].email for k in (R2, R3))
    for mail in mails:
        assert f"#{world.p.number}" in mail.body_text and P_TITLE in mail.body_text
        assert not any(m.lower() in mail.body_text.lower() for m in AUTHOR_P)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(progress_url(world), {"action": "remind"})
    assert OutgoingMail.objects.filter(kind="review_reminder").count() == 2  # nothing new today

    frozen_now(after + dt.timedelta(days=1))
    client.force_login(world.users["chair-A"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(progress_url(world), {"action": "remind"})
    assert OutgoingMail.objects.filter(kind="review_reminder").count() == 4  # a new day


def test_only_chairs_of_the_workshop_send_reminders(client, world):
    client.force_login(world.users["chair-B"])
    assert client.post(progress_url(world), {"action": "remind"}).status_code == 404
    assert not OutgoingMail.objects.filter(kind="review_reminder").exists()
