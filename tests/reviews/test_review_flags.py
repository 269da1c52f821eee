"""Copied and empty reviews flagged to the chairs, never shown to the reviewer or the
authors (issue 26, item 3): near copies found through MinHash band keys in a constant
number of queries, copies of the paper's abstract, reviews under the workshop's minimum."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import FlagKind, ReviewFlag, ReviewSignature
from reviews.selectors.flags import review_flags_for
from reviews.services.flags import review_flag_raise
from reviews.services.imports import ReviewImport, review_import_write_many
from reviews.services.reviewing import (
    default_form_create,
    review_import_write,
    review_submit,
)
from submissions.models import Submission
from tests.factories import AssignmentFactory, SubmissionFactory, WorkshopFactory, make_chair
from tests.workshop.admin_world import form_data
from transfer.archive import _models as archive_models
from transfer.archive import archive_export, archive_restore, archive_rows
from transfer.report import Report
from workshop.models import Activity, User
from workshop.policy import SYSTEM, can

pytestmark = pytest.mark.django_db

VOCABULARY = [
    f"{a}{b}"
    for a in ("bar", "cor", "dun", "fel", "gim", "hap", "jor", "kel", "lum", "mip")
    for b in ("ax", "et", "il", "on", "ur", "ys", "ab", "eg", "iz", "oq")
]
ABSTRACT = (
    "We present a method for compressing the attention cache of open language models that "
    "keeps the accuracy of the full model on long documents while halving the memory it "
    "needs, and we release the code and the weights of every model we trained for it."
)


def honest(seed: int, words: int = 120) -> str:
    """A review text of its own: random words, so that two seeds share no 5-shingle."""
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(words))


def answers_for(workshop, text: str) -> dict[int, object]:
    """The default form's answers with `text` as the free text (split over three answers)."""
    questions = {q.label: q.pk for q in workshop.review_questions.all()}
    words = text.split()
    third = max(1, len(words) // 3)
    return {
        questions["Summary"]: " ".join(words[:third]),
        questions["Strengths"]: " ".join(words[third : 2 * third]),
        questions["Weaknesses"]: " ".join(words[2 * third :]),
        questions["Overall recommendation"]: 3,
        questions["Confidence"]: 3,
    }


@pytest.fixture
def world():
    workshop = WorkshopFactory()
    default_form_create(workshop)
    chair = make_chair(workshop, name="Chair Person")
    return workshop, chair


def paper_with_reviewer(workshop, reviewer=None, abstract=ABSTRACT):
    paper = SubmissionFactory(workshop=workshop, abstract=abstract)
    kwargs = {"reviewer": reviewer} if reviewer else {}
    return AssignmentFactory(submission=paper, **kwargs)


def submit(assignment, text: str):
    return review_submit(
        assignment=assignment,
        user=assignment.reviewer,
        answers=answers_for(assignment.submission.workshop, text),
    )


def test_a_review_copied_from_the_same_reviewers_review_of_another_paper_is_flagged(world):
    workshop, _ = world
    first = paper_with_reviewer(workshop)
    source = submit(first, honest(1))
    second = paper_with_reviewer(workshop, reviewer=first.reviewer)
    copied_text = honest(1).replace(VOCABULARY[0], "changed", 1) + " and a last sentence"
    copy = submit(second, copied_text)

    flag = ReviewFlag.objects.get(review=copy)
    assert flag.kind == FlagKind.NEAR_COPY
    assert flag.matched_review == source
    assert flag.submission == second.submission
    assert flag.detail["same_reviewer"] is True
    assert flag.detail["matched_paper"] == first.submission.number
    assert flag.detail["similarity"] >= 0.8
    assert not ReviewFlag.objects.filter(review=source).exists()
    # Logged for the chairs, hidden from the authors.
    entry = Activity.objects.get(action="review.flag")
    assert entry.authors_see is False and entry.actor is None


def test_a_copy_of_another_reviewers_review_is_flagged_with_its_source(world):
    workshop, _ = world
    source = submit(paper_with_reviewer(workshop), honest(2))
    copy = submit(paper_with_reviewer(workshop), honest(2))
    flag = ReviewFlag.objects.get(review=copy)
    assert (flag.kind, flag.matched_review, flag.detail["same_reviewer"]) == (
        FlagKind.NEAR_COPY,
        source,
        False,
    )


def test_the_papers_own_abstract_as_a_review_is_flagged(world):
    workshop, _ = world
    review = submit(paper_with_reviewer(workshop), ABSTRACT + " Good work overall.")
    flag = ReviewFlag.objects.get(review=review)
    assert flag.kind == FlagKind.ABSTRACT_COPY and flag.detail["share"] >= 0.6
    # The same text on a paper with another abstract is no abstract copy.
    other = submit(
        paper_with_reviewer(workshop, abstract="Something else entirely, about graphs."),
        honest(9) + " " + ABSTRACT[:40],
    )
    assert not ReviewFlag.objects.filter(review=other).exists()


def test_a_review_under_the_workshops_minimum_is_flagged_until_it_is_long_enough(world):
    workshop, _ = world
    assignment = paper_with_reviewer(workshop)
    submit(assignment, honest(3, words=30))  # no minimum yet: nothing
    assert not ReviewFlag.objects.exists()
    workshop.review_min_words = 50
    workshop.save(update_fields=["review_min_words"])
    review = submit(assignment, honest(3, words=30))
    flag = ReviewFlag.objects.get(review=review)
    assert flag.kind == FlagKind.TOO_SHORT
    assert (flag.detail["words"], flag.detail["minimum"]) == (30, 50)
    # Submitted again, still short: the same flag, not a second one.
    submit(assignment, honest(4, words=31))
    assert ReviewFlag.objects.filter(review=review).count() == 1
    # Long enough now: the flag goes (the log keeps that it was raised).
    submit(assignment, honest(3, words=80))
    assert not ReviewFlag.objects.filter(review=review).exists()
    assert Activity.objects.filter(action="review.flag").count() == 1


def test_honest_reviews_are_not_flagged(world):
    workshop, _ = world
    workshop.review_min_words = 50
    workshop.save(update_fields=["review_min_words"])
    reviewer = paper_with_reviewer(workshop).reviewer
    for seed in range(6):
        submit(paper_with_reviewer(workshop, reviewer=reviewer), honest(100 + seed))
    assert not ReviewFlag.objects.exists()
    assert ReviewSignature.objects.filter(workshop=workshop).count() == 6


def test_raising_a_flag_twice_keeps_one_row_and_one_activity_entry(world):
    workshop, _ = world
    review = submit(paper_with_reviewer(workshop), honest(5))
    paper = review.assignment.submission
    flag, created = review_flag_raise(
        submission=paper, review=review, kind=FlagKind.TOO_SHORT, detail={"words": 3}
    )
    again, created_again = review_flag_raise(
        submission=paper, review=review, kind=FlagKind.TOO_SHORT, detail={"words": 4}
    )
    assert created and not created_again and again.pk == flag.pk
    assert again.detail == {"words": 4}
    assert Activity.objects.filter(action="review.flag").count() == 1
    with pytest.raises(ValueError):
        review_flag_raise(submission=paper, kind=FlagKind.TOO_SHORT)


def _submit_queries(workshop, others: int, seed: int) -> int:
    for i in range(others):
        submit(paper_with_reviewer(workshop), honest(seed * 1000 + i))
    assignment = paper_with_reviewer(workshop)
    answers = answers_for(workshop, honest(seed * 1000 + 999))
    with CaptureQueriesContext(connection) as ctx:
        review_submit(assignment=assignment, user=assignment.reviewer, answers=answers)
    return len(ctx.captured_queries)


def test_the_check_costs_the_same_queries_with_5_and_50_other_reviews(world):
    workshop, _ = world
    small = _submit_queries(workshop, 5, seed=7)
    large = _submit_queries(workshop, 45, seed=8)  # 50 other reviews in the workshop now
    assert ReviewSignature.objects.filter(workshop=workshop).count() == 52
    assert small == large


def test_only_the_chairs_see_a_flag(world, client):
    workshop, chair = world
    source = submit(paper_with_reviewer(workshop), honest(6))
    assignment = paper_with_reviewer(workshop)
    copy = submit(assignment, honest(6))
    paper = assignment.submission
    author = paper.created_by
    reviewer = assignment.reviewer
    assert ReviewFlag.objects.filter(review=copy, matched_review=source).exists()

    assert can(chair, "reviews.view_review_flags", paper)
    assert [f.kind for f in review_flags_for(chair, [paper])[paper.pk]] == [FlagKind.NEAR_COPY]
    other_chair = make_chair(WorkshopFactory())
    for person in (reviewer, author, source.assignment.reviewer, other_chair):
        assert not can(person, "reviews.view_review_flags", paper)
        assert not can(person, "reviews.view_review_flags", workshop)
        assert review_flags_for(person, [paper]) == {}

    # The chair's view of the paper's page shows it, with a link to the source's paper.
    client.force_login(chair)
    html = client.get(reverse("reviews:paper", args=[workshop.slug, paper.number])).content
    source_number = source.assignment.submission.number
    assert f"Reviewer A: near copy of #{source_number} Reviewer A" in html.decode()
    assert 'class="review-flags"' in html.decode()

    # The pages the reviewer and the author open say nothing of it.
    markers = ("near copy", "near_copy", "Near copy", "flagged", "review-flag")
    for person, url in (
        (reviewer, reverse("reviews:paper", args=[workshop.slug, paper.number])),
        (reviewer, reverse("reviews:dashboard")),
        (author, reverse("submissions:detail", args=[paper.pk])),
        (author, reverse("submissions:dashboard")),
    ):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for marker in markers:
            assert marker not in html, (url, marker)


def test_the_chairs_desk_shows_the_flag_with_a_link_to_the_source_and_the_csv_carries_it(
    world, client
):
    workshop, chair = world
    source_assignment = paper_with_reviewer(workshop)
    submit(source_assignment, honest(11))
    assignment = paper_with_reviewer(workshop)
    submit(assignment, honest(11))
    source_paper = source_assignment.submission
    client.force_login(chair)

    desk = reverse("admin:reviews_decisionboard_changelist") + f"?workshop={workshop.pk}"
    html = client.get(desk).content.decode()
    label = f"Reviewer A: near copy of #{source_paper.number} Reviewer A"
    assert label in html
    source_url = reverse("reviews:paper", args=[workshop.slug, source_paper.number])
    assert f'href="{source_url}#reviews-h"' in html

    export = client.get(reverse("admin:reviews_decisions_export") + f"?workshop={workshop.pk}")
    text = b"".join(export.streaming_content if export.streaming else [export.content]).decode()
    header, *lines = text.splitlines()
    assert header.endswith("review flags")
    flagged = [
        line
        for line in lines
        if line.startswith(f"{workshop.short_name},{assignment.submission.number},")
    ]
    assert len(flagged) == 1 and label in flagged[0]


def test_an_imported_review_is_checked_like_a_submitted_one(world):
    workshop, chair = world
    source = submit(paper_with_reviewer(workshop), honest(12))
    assignment = paper_with_reviewer(workshop)
    imported = review_import_write(
        assignment=assignment,
        chair=chair,
        answers=answers_for(workshop, honest(12)),
        submitted=True,
    )
    flag = ReviewFlag.objects.get(review=imported)
    assert (flag.kind, flag.matched_review) == (FlagKind.NEAR_COPY, source)


def test_the_chair_sets_the_minimum_on_the_settings_page(world, client):
    workshop, chair = world
    client.force_login(chair)
    url = reverse("admin:workshop_workshop_change", args=[workshop.pk])
    page = client.get(url)
    assert 'name="review_min_words"' in page.content.decode()
    data = form_data(page)
    data["review_min_words"] = "40"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    workshop.refresh_from_db()
    assert workshop.review_min_words == 40


def test_a_bulk_import_flags_the_later_of_two_copies_and_a_copy_of_an_earlier_review(world):
    workshop, chair = world
    earlier = submit(paper_with_reviewer(workshop), honest(13))
    first, second, third, honest_one = (paper_with_reviewer(workshop) for _ in range(4))
    reviews = review_import_write_many(
        workshop=workshop,
        chair=chair,
        items=[
            ReviewImport(
                assignment=first, answers=answers_for(workshop, honest(14)), submitted=True
            ),
            ReviewImport(
                assignment=second, answers=answers_for(workshop, honest(14)), submitted=True
            ),
            ReviewImport(
                assignment=third, answers=answers_for(workshop, honest(13)), submitted=True
            ),
            ReviewImport(
                assignment=honest_one, answers=answers_for(workshop, honest(15)), submitted=True
            ),
        ],
    )
    by_review = {f.review_id: f for f in ReviewFlag.objects.all()}
    assert set(by_review) == {reviews[1].pk, reviews[2].pk}
    assert by_review[reviews[1].pk].matched_review_id == reviews[0].pk
    assert by_review[reviews[2].pk].matched_review_id == earlier.pk
    assert ReviewSignature.objects.filter(workshop=workshop).count() == 5


def test_flags_and_signatures_travel_in_the_archive(world):
    workshop, _ = world
    submit(paper_with_reviewer(workshop), honest(16))
    copy = submit(paper_with_reviewer(workshop), honest(16))
    assert ReviewFlag.objects.filter(review=copy).exists()
    before = archive_rows(workshop)
    assert before["reviews.ReviewFlag"] and before["reviews.ReviewBand"]
    data = archive_export(workshop=workshop)
    emails = [row["email"] for row in before["workshop.User"]]
    Submission.objects.filter(workshop=workshop).update(paper=None)
    for _, model, path in reversed(archive_models()):
        model.objects.filter(**{path: workshop.pk}).delete()
    User.objects.filter(email__in=emails).delete()
    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report)
    assert report.ok, report.errors
    after = archive_rows(restored)
    for label in ("reviews.ReviewFlag", "reviews.ReviewSignature", "reviews.ReviewBand"):
        assert after[label] == before[label], label
    flag = ReviewFlag.objects.get(submission__workshop=restored)
    assert flag.kind == FlagKind.NEAR_COPY
    assert flag.matched_review.assignment.submission.workshop == restored
    assert flag.review.assignment.submission.workshop == restored


def test_the_chairs_find_a_new_flag_in_their_digest_and_nobody_else_is_told(world):
    """The issue's "a finding in the digest": one chairs' notice per new flag, waiting for
    their daily digest by default; none for the reviewer or the authors, none again when
    the same finding is raised twice."""
    from workshop.models import MailStatus, OutgoingMail

    workshop, chair = world
    first = paper_with_reviewer(workshop)
    submit(first, honest(7))
    second = paper_with_reviewer(workshop)
    copy = submit(second, honest(7))
    assert ReviewFlag.objects.filter(review=copy, kind=FlagKind.NEAR_COPY).exists()
    notices = OutgoingMail.objects.filter(kind="review_flag_found")
    assert [(m.to, m.status) for m in notices] == [(chair.email, MailStatus.DIGEST)]
    notice = notices.get()
    assert f"#{second.submission.number}" in notice.subject
    assert "near copy of" in notice.body_text and "Reviewer A" in notice.body_text
    reviewers = {first.reviewer.email, second.reviewer.email}
    authors = set(second.submission.authors.values_list("email", flat=True))
    assert not OutgoingMail.objects.filter(to__in=reviewers | authors, kind="review_flag_found")
    submit(second, honest(7))  # the same finding again: no second notice
    assert OutgoingMail.objects.filter(kind="review_flag_found").count() == 1
