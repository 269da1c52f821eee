"""External reviewers (issue 28) through the API: the same selectors and services as the
paper page, under the same permissions (`reviews.view_paper` to know the paper,
`reviews.request_external` to ask, `reviews.approve_external_review` to approve)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from reviews.models import ExternalReviewRequest
from reviews.selectors.external import external_requests_on_paper
from reviews.services.external import external_request_create, external_review_approve
from submissions.models import Submission
from workshop.errors import NotFound

from .. import access
from .base import ApiView


class ExternalRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    message = serializers.CharField(max_length=5000, allow_blank=True, required=False,
                                    default="", write_only=True)  # fmt: skip
    emergency = serializers.BooleanField(required=False, default=False,
                                         help_text="An area chair's short deadline.")  # fmt: skip
    status = serializers.CharField(read_only=True, help_text="held, pending, accepted, "
                                   "declined, refused or revoked")  # fmt: skip
    due_at = serializers.DateTimeField(read_only=True)
    reviewer = serializers.CharField(read_only=True, allow_null=True,
                                     help_text="The pseudonym, once accepted.")  # fmt: skip
    review_submitted = serializers.BooleanField(read_only=True)
    counts = serializers.BooleanField(read_only=True, help_text="Counts on the desk.")


def _paper(request, slug: str, number: int) -> Submission:
    workshop = access.workshop_get(request, slug)
    paper = Submission.objects.filter(workshop=workshop, number=number).first()
    if paper is None:
        raise NotFound()
    paper.workshop = workshop
    access.check_visible(request, "reviews.view_paper", paper)
    return paper


def _row(found: ExternalReviewRequest) -> dict:
    assignment = found.assignment
    review = getattr(assignment, "review", None) if assignment else None
    return {
        "id": found.pk, "email": found.email, "name": found.name,
        "emergency": found.emergency, "status": found.status, "due_at": found.due_at,
        "reviewer": assignment.display_name if assignment else None,
        "review_submitted": bool(review and review.status == "submitted"),
        "counts": found.counts,
    }  # fmt: skip


class PaperExternalRequests(ApiView):
    """The paper's external review requests the caller sees (all for its chairs and area
    chair, their own for a reviewer); POST asks an expert (held for the chairs when the
    address may be in conflict: `status` says `held`, never why)."""

    serializer_class = ExternalRequestSerializer
    pagination_class = None

    @extend_schema(responses={200: ExternalRequestSerializer(many=True)})
    def get(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        return Response([_row(r) for r in external_requests_on_paper(request.user, paper)])

    @extend_schema(request=ExternalRequestSerializer, responses={201: ExternalRequestSerializer})
    def post(self, request, slug: str, number: int):
        paper = _paper(request, slug, number)
        data = ExternalRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = external_request_create(
            submission=paper, requester=request.user, email=data.validated_data["email"],
            name=data.validated_data["name"], message=data.validated_data["message"],
            emergency=data.validated_data["emergency"],
        )  # fmt: skip
        return Response(_row(made), status=status.HTTP_201_CREATED)


class ExternalReviewApprove(ApiView):
    """The requester (or a chair) approves the submitted external review: it counts."""

    serializer_class = ExternalRequestSerializer

    @extend_schema(request=None, responses={200: ExternalRequestSerializer})
    def post(self, request, slug: str, number: int, pk: int):
        paper = _paper(request, slug, number)
        found = external_requests_on_paper(request.user, paper).filter(pk=pk).first()
        if found is None:
            raise NotFound()
        return Response(_row(external_review_approve(request=found, actor=request.user)))
