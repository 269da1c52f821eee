"""Ratings of reviews (issue 28, part 2): a chair rates a review; its writer sees the rating
without the rater; the chairs sort the reviewers by their record; who may rate (the paper's
area chair; the authors once reviews are out, where the workshop lets them; never the
writer, never a conflicted member)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviews.models import RatingSettings, ReviewRating
from reviews.selectors.ratings import rating_records, ratings_for
from reviews.services.ratings import rating_settings_set, review_rate
from tests.reviews.conftest import World
from workshop.errors import NotAllowed, NotFound, ServiceError
from workshop.models import Activity, Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def _r1_review(world):
    return world.review_of("R1-submitted")


def test_a_chair_rates_and_the_writer_sees_it_without_the_rater(client, world):
    review = _r1_review(world)
    chair, writer = world.users["chair-A"], world.users["R1-submitted"]
    client.force_login(chair)
    url = reverse("reviews:rate", args=[world.workshop.slug, world.p.number, review.pk])
    client.post(url, {"helpful": "yes", "reason": "ZQREASON precise and kind"})
    rating = ReviewRating.objects.get(review=review)
    assert (rating.rater, rating.helpful) == (chair, True)
    entry = Activity.objects.filter(action="review.rate").latest("pk")
    assert not entry.authors_see and chair.name not in entry.summary

    client.force_login(writer)
    page = client.get(reverse("reviews:paper", args=[world.workshop.slug, world.p.number]))
    html = page.content.decode()
    assert "1 helpful" in html and "ZQREASON precise and kind" in html
    assert "raters are not named" in html
    assert chair.name not in html and chair.email not in html
    summary = ratings_for(writer, [review])[review.pk]
    assert (summary.helpful, summary.named) == (1, [])
    # The chair reads the rater's name.
    assert ratings_for(chair, [review])[review.pk].named == [
        (chair.name, True, "ZQREASON precise and kind")
    ]


def test_who_may_rate(world):
    review = _r1_review(world)
    u = world.users
    review_rate(actor=u["AC-of-P"], review=review, helpful=False, reason="Too short")
    with pytest.raises(ServiceError):  # one's own review
        review_rate(actor=u["R1-submitted"], review=review, helpful=True)
    for nobody in ("conflicted", "author-Q", "chair-B", "unassigned", "AC-of-Q"):
        with pytest.raises(NotFound):
            review_rate(actor=u[nobody], review=review, helpful=True)
    # The authors: once reviews are out, and only where the workshop lets them.
    with pytest.raises(NotFound):
        review_rate(actor=u["author-P"], review=review, helpful=True)
    Workshop.objects.filter(pk=world.workshop.pk).update(reviews_released=True)
    review.assignment.submission.workshop.reviews_released = True
    with pytest.raises(NotAllowed):
        review_rate(actor=u["author-P"], review=review, helpful=True)
    RatingSettings.objects.create(workshop=world.workshop, authors_rate=True)
    fresh = world.review_of("R1-submitted")
    fresh.assignment.submission.workshop.reviews_released = True
    review_rate(actor=u["author-P"], review=fresh, helpful=True)
    assert ReviewRating.objects.filter(review=review).count() == 2
    # The conflicted member reads nothing of the ratings.
    assert ratings_for(u["conflicted"], [review]) == {}
    assert ratings_for(u["R2-draft"], [review]) == {}


def test_a_rating_changes_in_place_and_can_be_taken_back(world):
    review, chair = _r1_review(world), world.users["chair-A"]
    review_rate(actor=chair, review=review, helpful=True)
    review_rate(actor=chair, review=review, helpful=True)  # unchanged: no entry
    review_rate(actor=chair, review=review, helpful=False, reason="On reflection")
    assert ReviewRating.objects.get(review=review).helpful is False
    review_rate(actor=chair, review=review, helpful=None)
    assert not ReviewRating.objects.filter(review=review).exists()
    assert Activity.objects.filter(action="review.rate").count() == 3
    with pytest.raises(ServiceError):
        review_rate(actor=chair, review=review, helpful=True, reason="x" * 501)


def test_the_chairs_sort_reviewers_by_rating(client, world):
    u = world.users
    good, bad = _r1_review(world), None
    # R2 submits a review too, so that there are two to compare.
    from reviews.services.reviewing import review_submit

    bad = review_submit(assignment=world.assignments["R2-draft"], user=u["R2-draft"],
                        answers=world.full_answers())  # fmt: skip
    review_rate(actor=u["chair-A"], review=good, helpful=True)
    review_rate(actor=u["AC-of-P"], review=good, helpful=True)
    review_rate(actor=u["chair-A"], review=bad, helpful=False)
    best = rating_records(u["chair-A"], world.workshop, "-rating")
    names = [r.reviewer.pk for r in best if r.rated]
    assert names == [u["R1-submitted"].pk, u["R2-draft"].pk]
    worst = [r.reviewer.pk for r in rating_records(u["chair-A"], world.workshop, "rating")
             if r.rated]  # fmt: skip
    assert worst == [u["R2-draft"].pk, u["R1-submitted"].pk]
    assert best[0].helpful == 2 and best[0].reviews_rated == 1
    assert rating_records(u["R1-submitted"], world.workshop) == []
    client.force_login(u["chair-A"])
    page = client.get(reverse("admin:reviews_reviewrating_changelist"),
                      {"workshop": world.workshop.pk, "sort": "rating"})  # fmt: skip
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(u["R2-draft"].name) < html.index(u["R1-submitted"].name)
    client.force_login(u["chair-B"])
    page = client.get(reverse("admin:reviews_reviewrating_changelist"),
                      {"workshop": world.workshop.pk})  # fmt: skip
    assert page.status_code == 404


def test_the_chairs_let_the_authors_rate(world):
    rating_settings_set(actor=world.users["chair-A"], workshop=world.workshop, authors_rate=True)
    assert RatingSettings.objects.get(workshop=world.workshop).authors_rate
    with pytest.raises(NotAllowed):
        rating_settings_set(actor=world.users["AC-of-P"], workshop=world.workshop,
                            authors_rate=False)  # fmt: skip


def test_authors_rate_from_their_page_once_the_workshop_lets_them(client, world):
    review = _r1_review(world)
    author, slug, number = world.users["author-P"], world.workshop.slug, world.p.number
    Workshop.objects.filter(pk=world.workshop.pk).update(reviews_released=True)
    client.force_login(author)
    page = reverse("author_reviews", args=[world.p.pk])
    assert "Rate the reviews" not in client.get(page).content.decode()  # not chosen yet
    rate = reverse("reviews:rate", args=[slug, number, review.pk])
    client.post(rate, {"helpful": "yes", "back": "author"})
    assert not ReviewRating.objects.exists()
    RatingSettings.objects.create(workshop=world.workshop, authors_rate=True)
    html = client.get(page).content.decode()
    assert "Rate the reviews" in html and "Rate Reviewer A" in html
    response = client.post(rate, {"helpful": "no", "reason": "Missed our point", "back": "author"})
    assert response.status_code == 302 and response["Location"].endswith(page + "#ratings")
    rating = ReviewRating.objects.get()
    assert (rating.rater, rating.helpful) == (author, False)
    assert "you said not helpful" in client.get(page).content.decode()
