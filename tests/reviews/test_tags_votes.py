"""Tags and votes on papers (issue 28, part 4): private, chairs-only and shared tags with
values; votes with an allowance enforced by the server; what a conflicted member and the
authors see (nothing); the search language's `tag:` and `#tag`; the paper page's forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from reviews.models import PaperTag, PaperVote, TagVisibility, VoteKind
from reviews.selectors.tags import paper_tag_panel, tags_for, vote_results
from reviews.services.tags import (
    paper_tag_remove,
    paper_tag_set,
    paper_vote_cast,
    tag_parse,
    vote_close,
    vote_open,
)
from submissions.models import Submission
from tests.reviews.conftest import World
from workshop.errors import DeadlinePassed, NotAllowed, NotFound, ServiceError
from workshop.models import Activity, Workshop
from workshop.search import SearchContext, search_compile

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(world_once, db, _media_root, settings, tmp_path) -> World:
    return world_once.checkout(settings, tmp_path / "world-media")


def _names(user, paper) -> list[str]:
    return [str(t) for t in tags_for(user, [paper]).get(paper.pk, [])]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("#Discuss", ("discuss", None)), ("order#3", ("order", Decimal(3))),
     ("#order#-1.5", ("order", Decimal("-1.5"))), ("x#", ("x", None))],
)  # fmt: skip
def test_tag_text_is_parsed(text, expected):
    assert tag_parse(text) == expected


@pytest.mark.parametrize("text", ["", "#", "two words", "#a#b#c", "#x#abc", "#" + "a" * 41,
                                  "#x#1.234", "#x#1e9", "#-lead"])  # fmt: skip
def test_bad_tag_text_gets_a_clear_message(text):
    with pytest.raises(ServiceError) as caught:
        tag_parse(text)
    assert "tag" in caught.value.message or "number" in caught.value.message


def test_who_sees_which_tag(world):
    p, u = world.p, world.users
    paper_tag_set(actor=u["R1-submitted"], submission=p, text="#mine", visibility="private")
    paper_tag_set(actor=u["R2-draft"], submission=p, text="#order#3", visibility="shared")
    paper_tag_set(actor=u["chair-A"], submission=p, text="#accept-maybe", visibility="chairs")
    assert _names(u["R1-submitted"], p) == ["#mine", "#order#3"]
    assert _names(u["R2-draft"], p) == ["#order#3"]
    assert _names(u["unassigned"], p) == ["#order#3"]
    assert _names(u["chair-A"], p) == ["#accept-maybe", "#order#3"]
    for nobody in ("conflicted", "author-P", "author-Q", "chair-B", "anonymous"):
        user = u[nobody] or AnonymousUser()
        assert _names(user, p) == [], nobody
        assert paper_tag_panel(user, p) is None


def test_tag_value_changes_in_place_and_each_change_is_logged_once(world):
    p, r1 = world.p, world.users["R1-submitted"]
    before = Activity.objects.filter(action="tag.set").count()
    tag = paper_tag_set(actor=r1, submission=p, text="#order#3")
    paper_tag_set(actor=r1, submission=p, text="#order#3")  # no change, no entry
    again = paper_tag_set(actor=r1, submission=p, text="order#5")
    assert again.pk == tag.pk and again.value == 5
    entries = Activity.objects.filter(action="tag.set").order_by("pk")
    assert entries.count() == before + 2
    assert not entries.last().authors_see
    paper_tag_remove(actor=r1, submission=p, pk=tag.pk)
    assert not PaperTag.objects.filter(pk=tag.pk).exists()
    assert Activity.objects.filter(action="tag.remove").count() == 1


def test_a_private_tags_entry_names_no_tag(world):
    paper_tag_set(actor=world.users["R1-submitted"], submission=world.p, text="#secret-zq",
                  visibility="private")  # fmt: skip
    entry = Activity.objects.filter(action="tag.set").latest("pk")
    assert "secret-zq" not in entry.summary and entry.after is None


def test_refusals(world):
    p, u = world.p, world.users
    with pytest.raises(NotFound):
        paper_tag_set(actor=u["conflicted"], submission=p, text="#x")
    with pytest.raises(NotFound):
        paper_tag_set(actor=u["author-P"], submission=p, text="#x")
    with pytest.raises(NotAllowed):
        paper_tag_set(actor=u["R1-submitted"], submission=p, text="#x", visibility="chairs")
    with pytest.raises(ServiceError):
        paper_tag_set(actor=u["R1-submitted"], submission=p, text="#x", visibility="public")
    chairs = paper_tag_set(actor=u["chair-A"], submission=p, text="#c", visibility="chairs")
    private = paper_tag_set(actor=u["R2-draft"], submission=p, text="#p", visibility="private")
    # Another's private tag and a chairs' tag are "not found" for a member: no leak.
    for pk in (chairs.pk, private.pk):
        with pytest.raises(NotFound):
            paper_tag_remove(actor=u["R1-submitted"], submission=p, pk=pk)
    assert PaperTag.objects.filter(pk__in=[chairs.pk, private.pk]).count() == 2


def test_a_shared_tag_and_the_chairs_tag_of_the_same_name_are_two_tags(world):
    p, u = world.p, world.users
    paper_tag_set(actor=u["chair-A"], submission=p, text="#hot", visibility="chairs")
    paper_tag_set(actor=u["R1-submitted"], submission=p, text="#hot#2", visibility="shared")
    assert _names(u["R1-submitted"], p) == ["#hot#2"]
    assert sorted(_names(u["chair-A"], p)) == ["#hot", "#hot#2"]


def _vote(world, allowance=3, kind=VoteKind.ALLOTMENT, name="best"):
    return vote_open(actor=world.users["chair-A"], workshop=world.workshop, name=name,
                     allowance=allowance, kind=kind)  # fmt: skip


def test_a_fourth_vote_is_refused_with_a_clear_message(world):
    vote = _vote(world)
    r1, p, q = world.users["R1-submitted"], world.p, world.q
    paper_vote_cast(actor=r1, vote=vote, submission=p, count=2)
    paper_vote_cast(actor=r1, vote=vote, submission=q, count=1)
    with pytest.raises(ServiceError) as caught:
        paper_vote_cast(actor=r1, vote=vote, submission=q, count=2)
    assert "3 votes" in caught.value.message and "at most 1" in caught.value.message
    assert PaperVote.objects.get(vote=vote, member=r1, submission=q).count == 1
    # Taking votes back frees them.
    paper_vote_cast(actor=r1, vote=vote, submission=p, count=0)
    paper_vote_cast(actor=r1, vote=vote, submission=q, count=3)
    assert not PaperVote.objects.filter(vote=vote, member=r1, submission=p).exists()


def test_vote_sums_and_who_may_vote(world):
    vote = _vote(world)
    u, p = world.users, world.p
    paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=p, count=2)
    paper_vote_cast(actor=u["unassigned"], vote=vote, submission=p, count=3)
    paper_vote_cast(actor=u["AC-of-P"], vote=vote, submission=world.q, count=1)
    result = vote_results([vote])[vote.pk].results
    assert (result[p.pk].total, result[p.pk].voters) == (5, 2)
    assert result[world.q.pk].total == 1
    with pytest.raises(NotFound):
        paper_vote_cast(actor=u["conflicted"], vote=vote, submission=p, count=1)
    with pytest.raises(NotFound):
        paper_vote_cast(actor=u["author-P"], vote=vote, submission=p, count=1)
    # The conflicted member's panel of P is None; of Q, it shows the vote.
    assert paper_tag_panel(u["conflicted"], p) is None
    assert [v.vote.name for v in paper_tag_panel(u["conflicted"], world.q).voting] == ["best"]
    vote_close(actor=u["chair-A"], vote=vote)
    with pytest.raises(DeadlinePassed):
        paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=p, count=1)
    Workshop.objects.filter(pk=world.workshop.pk).update(decisions_released=True)
    reopened = vote_open(actor=u["chair-A"], workshop=world.workshop, name="best", allowance=3)
    paper = Submission.objects.get(pk=p.pk)
    with pytest.raises(DeadlinePassed):
        paper_vote_cast(actor=u["R1-submitted"], vote=reopened, submission=paper, count=1)


def test_only_chairs_open_votes_and_names_do_not_clash_with_tags(world):
    with pytest.raises(NotAllowed):
        vote_open(actor=world.users["AC-of-P"], workshop=world.workshop, name="x", allowance=3)
    paper_tag_set(actor=world.users["R1-submitted"], submission=world.p, text="#fav")
    with pytest.raises(ServiceError):
        _vote(world, name="fav")
    _vote(world, name="best")
    with pytest.raises(ServiceError):
        paper_tag_set(actor=world.users["R1-submitted"], submission=world.p, text="#best")
    with pytest.raises(ServiceError):
        _vote(world, allowance=0, name="other")


def test_ranking_combines_by_borda_and_swaps_places(world):
    vote = _vote(world, allowance=2, kind=VoteKind.RANK, name="rank")
    u, p, q = world.users, world.p, world.q
    paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=p, count=1)
    paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=q, count=2)
    paper_vote_cast(actor=u["unassigned"], vote=vote, submission=q, count=1)
    table = vote_results([vote])[vote.pk]
    # P: 2 points (1st of 2); Q: 1 + 2 = 3 points.
    assert [(sid, r.total) for sid, r in table.ranking()] == [(q.pk, 3), (p.pk, 2)]
    # R1 puts Q first: P takes Q's old place (2nd).
    paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=q, count=1)
    places = dict(PaperVote.objects.filter(vote=vote, member=u["R1-submitted"])
                  .values_list("submission_id", "count"))  # fmt: skip
    assert places == {q.pk: 1, p.pk: 2}
    with pytest.raises(ServiceError):
        paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=p, count=3)


def test_search_finds_tags_the_chairs_see(world):
    u, p = world.users, world.p
    paper_tag_set(actor=u["R1-submitted"], submission=p, text="#order#3")
    paper_tag_set(actor=u["chair-A"], submission=world.q, text="#c-only", visibility="chairs")
    paper_tag_set(actor=u["R2-draft"], submission=world.q, text="#mine", visibility="private")
    context = SearchContext(frozenset({world.workshop.pk}))

    def found(query: str) -> set[int]:
        return set(Submission.objects.filter(search_compile(query, context))
                   .values_list("number", flat=True))  # fmt: skip

    assert found("tag:order") == {p.number}
    assert found("#order") == {p.number}
    assert found("#order#3") == {p.number}
    assert found("tag:order#>2") == {p.number}
    assert found("tag:order#<3") == set()
    assert found("#c-only") == {world.q.number}
    assert found("#mine") == set()  # a private tag is its tagger's only
    assert found("-#order") >= {world.q.number}


def test_paper_page_tags_and_votes_through_the_forms(client, world):
    vote = _vote(world)
    r1 = world.users["R1-submitted"]
    client.force_login(r1)
    slug, number = world.workshop.slug, world.p.number
    page = reverse("reviews:paper", args=[slug, number])
    response = client.post(reverse("reviews:tag_add", args=[slug, number]),
                           {"tag": "#order#3", "visibility": "shared"}, follow=True)  # fmt: skip
    assert response.status_code == 200 and "#order#3" in response.content.decode()
    response = client.post(reverse("reviews:vote", args=[slug, number, vote.pk]), {"count": "4"},
                           follow=True)  # fmt: skip
    assert "at most 3 can go to this paper" in response.content.decode()
    assert not PaperVote.objects.filter(vote=vote).exists()
    client.post(reverse("reviews:vote", args=[slug, number, vote.pk]), {"count": "3"})
    assert PaperVote.objects.get(vote=vote, member=r1).count == 3
    assert "used 3 of your 3 votes" in client.get(page).content.decode()
    tag = PaperTag.objects.get(name="order")
    client.post(reverse("reviews:tag_remove", args=[slug, number, tag.pk]))
    assert not PaperTag.objects.filter(pk=tag.pk).exists()


def test_conflicted_member_and_authors_get_404_from_the_forms(client, world):
    vote = _vote(world)
    slug, number = world.workshop.slug, world.p.number
    tag = paper_tag_set(actor=world.users["chair-A"], submission=world.p, text="#x",
                        visibility=TagVisibility.SHARED)  # fmt: skip
    for who in ("conflicted", "author-P"):
        client.force_login(world.users[who])
        for url, data in (
            (reverse("reviews:tag_add", args=[slug, number]), {"tag": "#y"}),
            (reverse("reviews:tag_remove", args=[slug, number, tag.pk]), {}),
            (reverse("reviews:vote", args=[slug, number, vote.pk]), {"count": "1"}),
        ):
            assert client.post(url, data).status_code == 404, (who, url)
    assert PaperTag.objects.filter(submission=world.p).count() == 1
    assert not PaperVote.objects.exists()


def test_tags_votes_and_ratings_travel_in_the_archive(world):
    from reviews.models import RatingSettings, ReviewRating
    from reviews.services.ratings import review_rate
    from transfer.archive import _models as archive_models
    from transfer.archive import archive_export, archive_restore, archive_rows
    from transfer.report import Report
    from workshop.models import User
    from workshop.policy import SYSTEM

    u, p = world.users, world.p
    paper_tag_set(actor=u["R1-submitted"], submission=p, text="#mine", visibility="private")
    paper_tag_set(actor=u["chair-A"], submission=p, text="#order#2.5", visibility="chairs")
    vote = _vote(world)
    paper_vote_cast(actor=u["R1-submitted"], vote=vote, submission=p, count=2)
    review_rate(actor=u["chair-A"], review=world.review_of("R1-submitted"), helpful=True,
                reason="Kind")  # fmt: skip
    RatingSettings.objects.create(workshop=world.workshop, authors_rate=True)
    labels = ("reviews.PaperTag", "reviews.Vote", "reviews.PaperVote", "reviews.ReviewRating",
              "reviews.RatingSettings")  # fmt: skip
    before = archive_rows(world.workshop)
    assert all(before[label] for label in labels)
    data = archive_export(workshop=world.workshop)
    emails = [row["email"] for row in before["workshop.User"]]
    Submission.objects.filter(workshop=world.workshop).update(paper=None)
    for _, model, path in reversed(archive_models()):
        model.objects.filter(**{path: world.workshop.pk}).delete()
    User.objects.filter(email__in=emails).delete()
    report = Report()
    restored = archive_restore(actor=SYSTEM, data=data, report=report)
    assert report.ok, report.errors
    after = archive_rows(restored)
    for label in labels:
        assert after[label] == before[label], label
    private = PaperTag.objects.get(submission__workshop=restored, name="mine")
    assert private.owner.email == u["R1-submitted"].email
    assert PaperVote.objects.get(vote__workshop=restored).count == 2
    assert ReviewRating.objects.get(review__assignment__submission__workshop=restored).helpful
