"""Tags, votes and review ratings (issue 28) through the API: the same selectors and
services as the paper page, under the same permissions (`reviews.tag`, `reviews.vote`,
`reviews.manage_votes`, `reviews.rate_review`, `reviews.see_review_ratings`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from reviews.models import Review, TagVisibility, Vote, VoteKind
from reviews.selectors.ratings import own_ratings, ratings_for
from reviews.selectors.tags import paper_voting, tags_for, vote_results, workshop_votes
from reviews.services.ratings import review_rate
from reviews.services.tags import (
    paper_tag_find,
    paper_tag_remove,
    paper_tag_set,
    paper_vote_cast,
    vote_close,
    vote_open,
)
from submissions.models import Submission
from workshop.errors import NotFound

from .. import access
from .base import ApiView


class TagSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    tag = serializers.CharField(max_length=60, help_text="name or name#value, e.g. #order#3")
    name = serializers.CharField(read_only=True)
    value = serializers.DecimalField(max_digits=9, decimal_places=2, read_only=True,
                                     allow_null=True)  # fmt: skip
    visibility = serializers.ChoiceField(choices=TagVisibility.choices,
                                         default=TagVisibility.SHARED)  # fmt: skip


class BallotSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        min_value=0, max_value=100, help_text="Votes (allotment) or place (rank); 0 clears."
    )


class PaperVoteSerializer(serializers.Serializer):
    """One vote of the workshop on one paper, as the caller sees it."""

    vote = serializers.CharField()
    vote_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=VoteKind.choices)
    allowance = serializers.IntegerField()
    is_open = serializers.BooleanField()
    mine = serializers.IntegerField(help_text="The caller's votes (or place) for this paper.")
    used = serializers.IntegerField(help_text="The caller's votes used in this vote.")
    left = serializers.IntegerField(help_text="The caller's votes left in this vote.")
    total = serializers.IntegerField(help_text="The paper's votes (or points) in all.")
    voters = serializers.IntegerField()


class VoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=41)
    kind = serializers.ChoiceField(choices=VoteKind.choices, default=VoteKind.ALLOTMENT)
    allowance = serializers.IntegerField(min_value=1, max_value=100)
    is_open = serializers.BooleanField(read_only=True)


class RatingSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(
        allow_null=True, help_text="true, false, or null to take it back."
    )
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class RaterSerializer(serializers.Serializer):
    name = serializers.CharField()
    helpful = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class ReviewRatingsSerializer(serializers.Serializer):
    """A review's ratings as the caller may read them: their own rating, and for the review's
    writer the counts and reasons (no raters), for the chairs the raters too."""

    mine = RatingSerializer(allow_null=True)
    helpful = serializers.IntegerField(required=False)
    not_helpful = serializers.IntegerField(required=False)
    reasons = serializers.ListField(child=serializers.CharField(), required=False)
    raters = RaterSerializer(many=True, required=False)


def _paper(request, slug: str, number: int) -> Submission:
    workshop = access.workshop_get(request, slug)
    paper = Submission.objects.filter(workshop=workshop, number=number).first()
    if paper is None:
        raise NotFound()
    paper.workshop = workshop
    access.check_visible(request, "reviews.tag", paper)
    return paper


def _tag(tag) -> dict:
    return {"id": tag.pk, "tag": str(tag), "name": tag.name, "value": tag.value,
            "visibility": tag.visibility}  # fmt: skip


class PaperTags(ApiView):
    """The paper's tags the caller sees (shared, their own private, and for chairs the
    chairs-only ones); POST adds one or changes its value. 404 for a conflicted member or an
    author."""

    serializer_class = TagSerializer
    pagination_class = None

    @extend_schema(responses={200: TagSerializer(many=True)})
    def get(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        return Response([_tag(t) for t in tags_for(request.user, [paper]).get(paper.pk, [])])

    @extend_schema(request=TagSerializer, responses={201: TagSerializer})
    def post(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        data = TagSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = paper_tag_set(actor=request.user, submission=paper, text=data.validated_data["tag"],
                            visibility=data.validated_data["visibility"])  # fmt: skip
        return Response(_tag(tag), status=status.HTTP_201_CREATED)


class PaperTagDetail(ApiView):
    serializer_class = TagSerializer

    @extend_schema(responses={200: TagSerializer})
    def get(self, request, slug: str, number: int, pk: int):
        paper = _paper(request, slug, number)
        return Response(_tag(paper_tag_find(request.user, paper, pk)))

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str, number: int, pk: int):
        paper = _paper(request, slug, number)
        paper_tag_remove(actor=request.user, submission=paper, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PaperVotes(ApiView):
    """The workshop's votes on this paper as the caller sees them: their own ballot, what
    they have left, and the paper's total."""

    serializer_class = PaperVoteSerializer
    pagination_class = None

    @extend_schema(responses={200: PaperVoteSerializer(many=True)})
    def get(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        return Response([
            {"vote": v.vote.name, "vote_id": v.vote.pk, "kind": v.vote.kind,
             "allowance": v.vote.allowance, "is_open": v.vote.is_open, "mine": v.mine,
             "used": v.used, "left": v.left, "total": v.total, "voters": v.voters}
            for v in paper_voting(request.user, paper)
        ])  # fmt: skip


class PaperBallot(ApiView):
    """PUT the caller's votes (or place) for the paper in one vote; refused beyond the
    allowance with how many remain (400)."""

    serializer_class = BallotSerializer

    @extend_schema(request=BallotSerializer, responses={200: BallotSerializer})
    def put(self, request, slug: str, number: int, pk: int):
        paper = _paper(request, slug, number)
        vote = Vote.objects.filter(pk=pk, workshop_id=paper.workshop_id).first()
        if vote is None:
            raise NotFound()
        data = BallotSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ballot = paper_vote_cast(actor=request.user, vote=vote, submission=paper,
                                 count=data.validated_data["count"])  # fmt: skip
        return Response({"count": ballot.count if ballot else 0})


class WorkshopVotes(ApiView):
    """The chairs' votes: GET the votes with their results (paper number, total, members),
    best first; POST opens one."""

    serializer_class = VoteSerializer
    pagination_class = None

    @extend_schema(responses={200: VoteSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_votes", workshop)
        votes = workshop_votes(workshop)
        tables = vote_results(votes)
        numbers = dict(Submission.objects.filter(workshop=workshop).values_list("pk", "number"))
        return Response([
            {"id": v.pk, "name": v.name, "kind": v.kind, "allowance": v.allowance,
             "is_open": v.is_open,
             "results": [{"paper": numbers[sid], "total": r.total, "voters": r.voters}
                         for sid, r in tables[v.pk].ranking() if sid in numbers]}
            for v in votes
        ])  # fmt: skip

    @extend_schema(request=VoteSerializer, responses={201: VoteSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_votes", workshop)
        data = VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vote = vote_open(actor=request.user, workshop=workshop, **data.validated_data)
        return Response({"id": vote.pk, "name": vote.name, "kind": vote.kind,
                         "allowance": vote.allowance, "is_open": vote.is_open},
                        status=status.HTTP_201_CREATED)  # fmt: skip


class VoteClose(ApiView):
    serializer_class = VoteSerializer

    @extend_schema(request=None, responses={200: VoteSerializer})
    def post(self, request, slug: str, pk: int):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_votes", workshop)
        vote = Vote.objects.filter(workshop=workshop, pk=pk).first()
        if vote is None:
            raise NotFound()
        vote = vote_close(actor=request.user, vote=vote)
        return Response({"id": vote.pk, "name": vote.name, "kind": vote.kind,
                         "allowance": vote.allowance, "is_open": vote.is_open})  # fmt: skip


def _review(request, pk: int) -> Review:
    review = Review.objects.filter(pk=pk).select_related("assignment__submission__workshop").first()
    if review is None or not access.in_scope(request, review):
        raise NotFound()
    return review


class ReviewRatings(ApiView):
    """GET: the review's ratings for its writer (counts and reasons, no raters) or the
    chairs (with the raters), and the caller's own rating. PUT: rate it."""

    serializer_class = RatingSerializer

    @extend_schema(responses={200: ReviewRatingsSerializer})
    def get(self, request, pk: int):
        review = _review(request, pk)
        summary = ratings_for(request.user, [review]).get(review.pk)
        mine = own_ratings(request.user, [review]).get(review.pk)
        if summary is None and mine is None:
            access.check_visible(request, "reviews.see_review_ratings", review)
        body = {"mine": {"helpful": mine.helpful, "reason": mine.reason} if mine else None}
        if summary is not None:
            body.update(helpful=summary.helpful, not_helpful=summary.not_helpful,
                        reasons=summary.reasons,
                        raters=[{"name": n, "helpful": h, "reason": r}
                                for n, h, r in summary.named])  # fmt: skip
        return Response(body)

    @extend_schema(request=RatingSerializer, responses={200: RatingSerializer})
    def put(self, request, pk: int):
        review = _review(request, pk)
        data = RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = review_rate(actor=request.user, review=review, **data.validated_data)
        return Response({"helpful": rating.helpful if rating else None,
                         "reason": rating.reason if rating else ""})  # fmt: skip
