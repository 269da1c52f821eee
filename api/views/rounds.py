"""Review rounds and response rounds (issue 27, parts 2 and 3), for the chairs: list and
add rounds, send a paper to a later round with a revise-and-resubmit category, and assign
its reviewers again there. Every write goes through `reviews.services.rounds`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from reviews.models import DecisionCategory, PaperRound, ResponseRound, ReviewRound
from reviews.services.rounds import (
    paper_round_send,
    response_round_save,
    review_round_create,
    round_reviewers_assign,
)
from submissions.models import Submission

from .. import access
from .base import ApiView

CHAIRS_ONLY = "Only the chairs of this workshop configure its rounds."


class ReviewRoundSerializer(serializers.ModelSerializer):
    papers = serializers.SerializerMethodField()

    class Meta:
        model = ReviewRound
        fields = ["id", "number", "name", "review_deadline", "review_hard_deadline",
                  "resubmission_deadline", "papers"]  # fmt: skip
        read_only_fields = fields

    def get_papers(self, obj: ReviewRound) -> list[int]:
        """The numbers of the papers sent to this round."""
        return sorted(p.submission.number for p in obj.papers.all())


class ReviewRoundWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    review_deadline = serializers.DateTimeField()
    review_hard_deadline = serializers.DateTimeField(required=False, allow_null=True)
    resubmission_deadline = serializers.DateTimeField(required=False, allow_null=True)


class ResponseRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResponseRound
        fields = ["id", "name", "opens", "closes", "words_soft", "words_hard", "condition"]
        read_only_fields = fields


class ResponseRoundWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    opens = serializers.DateTimeField()
    closes = serializers.DateTimeField()
    words_soft = serializers.IntegerField(min_value=0, max_value=100000, default=0)
    words_hard = serializers.IntegerField(min_value=0, max_value=100000, default=0)
    condition = serializers.CharField(max_length=500, required=False, default="",
                                      allow_blank=True)  # fmt: skip


class PaperRoundSerializer(serializers.Serializer):
    paper = serializers.IntegerField(min_value=1, max_value=10**9)
    category = serializers.IntegerField(
        min_value=1, max_value=10**18, required=False,
        help_text="A revise-and-resubmit decision category (sending); omitted: assign the "
        "paper's reviewers again in its current round.",
    )  # fmt: skip


class ReviewRoundList(ApiView):
    """The workshop's review rounds with the papers sent to each (chairs). POST: add the
    next round (its own review deadline required)."""

    serializer_class = ReviewRoundSerializer

    @extend_schema(responses={200: ReviewRoundSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_rounds", workshop, CHAIRS_ONLY)
        rounds = ReviewRound.objects.filter(workshop=workshop).prefetch_related(
            "papers__submission"
        )
        page = self.paginate_queryset(rounds.order_by("number"))
        return self.get_paginated_response(ReviewRoundSerializer(page, many=True).data)

    @extend_schema(request=ReviewRoundWriteSerializer, responses={201: ReviewRoundSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_rounds", workshop, CHAIRS_ONLY)
        data = ReviewRoundWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = review_round_create(workshop=workshop, chair=request.user, **data.validated_data)
        return Response(ReviewRoundSerializer(made).data, status=201)


class ResponseRoundList(ApiView):
    """The workshop's author response rounds (chairs). POST: add one; its condition is a
    desk search (e.g. "round:2")."""

    serializer_class = ResponseRoundSerializer

    @extend_schema(responses={200: ResponseRoundSerializer(many=True)})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_rounds", workshop, CHAIRS_ONLY)
        page = self.paginate_queryset(
            ResponseRound.objects.filter(workshop=workshop).order_by("opens", "pk")
        )
        return self.get_paginated_response(ResponseRoundSerializer(page, many=True).data)

    @extend_schema(request=ResponseRoundWriteSerializer, responses={201: ResponseRoundSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.manage_rounds", workshop, CHAIRS_ONLY)
        data = ResponseRoundWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = response_round_save(workshop=workshop, chair=request.user, **data.validated_data)
        return Response(ResponseRoundSerializer(made).data, status=201)


class PaperRoundSend(ApiView):
    """POST {paper, category}: send the paper to the round of a revise-and-resubmit
    category (its authors are mailed). POST {paper}: assign its reviewers again in its
    current round (those already there are skipped)."""

    serializer_class = PaperRoundSerializer

    @extend_schema(request=PaperRoundSerializer, responses={200: ReviewRoundSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        data = PaperRoundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        paper = Submission.objects.filter(workshop=workshop, number=values["paper"]).first()
        if paper is None:
            raise NotFound()
        access.check(request, "reviews.send_to_round", paper,
                     "Only the chairs send a paper to another round.")  # fmt: skip
        if "category" in values:
            category = DecisionCategory.objects.filter(
                workshop=workshop, pk=values["category"]
            ).first()
            if category is None:
                raise NotFound()
            sent = paper_round_send(submission=paper, category=category, chair=request.user)
            assigned = []
        else:
            assigned = round_reviewers_assign(submission=paper, chair=request.user)
            sent = PaperRound.objects.filter(submission=paper).order_by("-round__number").first()
        return Response({
            "paper": paper.number,
            "round": sent.round.number if sent else 1,
            "assigned": sorted(a.reviewer_id for a in assigned),
        })  # fmt: skip
