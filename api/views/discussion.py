"""A paper's discussion and its meta-review, in review tools (`reviews.view_paper`, then
`reviews.discuss` / `reviews.see_meta_review` / `reviews.write_meta_review`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from reviews.models import Comment, MetaReview, ReviewerProfile
from reviews.models.reviewing import CommentAudience, MetaRecommendation
from reviews.services.committee import profile_update
from reviews.services.reviewing import comment_post, comment_visible, meta_review_save
from submissions.models import Submission
from submissions.views import file_response
from workshop.errors import NotFound

from .. import access
from ..serializers import ID_BOUNDS
from .base import ApiView


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True)
    signature = serializers.CharField(help_text="Reviewer B, Area chair, Chair: never a name.")
    audience = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class CommentWriteSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000)
    parent = serializers.IntegerField(required=False, allow_null=True, **ID_BOUNDS)
    audience = serializers.ChoiceField(choices=CommentAudience.choices,
                                       default=CommentAudience.COMMITTEE)  # fmt: skip


class MetaReviewSerializer(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=MetaRecommendation.choices)
    text = serializers.CharField(allow_blank=True, max_length=20000)


def _paper(request, slug: str, number: int) -> Submission:
    workshop = access.workshop_get(request, slug)
    paper = (
        Submission.objects.filter(workshop=workshop, number=number).select_related("paper").first()
    )
    if paper is None:
        raise NotFound()
    paper.workshop = workshop
    access.check_visible(request, "reviews.view_paper", paper)
    return paper


def _shown(note: Comment) -> dict:
    return {
        "id": note.pk,
        "parent": note.parent_id,
        "signature": note.signature,
        "audience": note.audience,
        "body": note.body,
        "created_at": note.created_at,
    }


class CommentList(ApiView):
    """The threads of the paper's discussion the caller reads; POST a note or a reply."""

    serializer_class = CommentSerializer
    pagination_class = None

    @extend_schema(responses={200: CommentSerializer(many=True)})
    def get(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        access.check(
            request,
            "reviews.discuss",
            paper,
            "You can join the discussion once you have submitted your review.",
        )
        notes = list(paper.comments.order_by("created_at", "pk"))
        threads = {n.pk: n for n in notes if n.parent_id is None}
        readable = {pk for pk, thread in threads.items()
                    if comment_visible(request.user, paper, thread)}  # fmt: skip
        shown = [_shown(n) for n in notes if (n.parent_id or n.pk) in readable]
        return Response(shown)

    @extend_schema(request=CommentWriteSerializer, responses={201: CommentSerializer})
    def post(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        data = CommentWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = None
        if data.validated_data.get("parent"):
            parent = Comment.objects.filter(submission=paper, pk=data.validated_data["parent"],
                                            parent__isnull=True).first()  # fmt: skip
            if parent is None or not comment_visible(request.user, paper, parent):
                raise NotFound()
        note = comment_post(submission=paper, user=request.user, body=data.validated_data["body"],
                            parent=parent, audience=data.validated_data["audience"])  # fmt: skip
        return Response(_shown(note), status=status.HTTP_201_CREATED)


class MetaReviewDetail(ApiView):
    """The paper's meta-review: its area chair and the chairs read it and write it."""

    serializer_class = MetaReviewSerializer

    @extend_schema(responses={200: MetaReviewSerializer})
    def get(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        access.check(request, "reviews.see_meta_review", paper)
        meta = MetaReview.objects.filter(submission=paper).first()
        if meta is None:
            raise NotFound()
        return Response({"recommendation": meta.recommendation, "text": meta.text})

    @extend_schema(request=MetaReviewSerializer, responses={200: MetaReviewSerializer})
    def put(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        data = MetaReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meta = meta_review_save(submission=paper, user=request.user, **data.validated_data)
        return Response({"recommendation": meta.recommendation, "text": meta.text})


class PaperPdf(ApiView):
    """The paper's PDF in review tools (`reviews.view_paper`): the anonymised reviewer copy
    (metadata stripped); the original upload only to those who may see the submission
    itself (its chairs), exactly as the reviewers' PDF view."""

    serializer_class = None

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The reviewer copy; the original for its chairs."
            )
        }
    )
    def get(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        stored = paper.paper
        if stored is None:
            raise NotFound()
        if not stored.reviewer_copy and not access.allows(request, "submissions.view", paper):
            raise NotFound()  # the anonymised copy is not ready yet
        stored.submission = paper
        return file_response(stored, reviewer_copy=True)


class ProfileSerializer(serializers.Serializer):
    expertise_text = serializers.CharField(allow_blank=True, max_length=20000)
    dblp_url = serializers.URLField(allow_blank=True, required=False, default="")
    semantic_scholar_url = serializers.URLField(allow_blank=True, required=False, default="")
    openreview_url = serializers.URLField(allow_blank=True, required=False, default="")
    requested_max_load = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=1000
    )


class ReviewerProfileDetail(ApiView):
    """The caller's reviewer profile in the workshop (`reviews.edit_profile`): expertise,
    links, a load request (which the chairs approve)."""

    serializer_class = ProfileSerializer

    @extend_schema(responses={200: ProfileSerializer})
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.edit_profile", workshop)
        profile = ReviewerProfile.objects.filter(workshop=workshop, user=request.user).first()
        return Response(_profile(profile))

    @extend_schema(request=ProfileSerializer, responses={200: ProfileSerializer})
    def put(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        data = ProfileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = profile_update(workshop=workshop, user=request.user, **data.validated_data)
        return Response(_profile(profile))


def _profile(profile) -> dict:
    fields = ("expertise_text", "dblp_url", "semantic_scholar_url", "openreview_url")
    out = {name: getattr(profile, name, "") if profile else "" for name in fields}
    out["requested_max_load"] = profile.requested_max_load if profile else None
    return out
