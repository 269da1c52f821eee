"""Assignments, reviews, decisions: chairs in bulk (with `dry_run`), reviewers their own,
authors what was released to them. Every change goes through `reviews.services`."""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from reviews.models import Answer, Assignment, Decision, Review, ReviewStatus
from reviews.selectors.reviewing import (
    reviewer_assignments,
    shown_answers,
    workshop_reviews_shown_to,
)
from reviews.services.assignment import AssignmentChange, assignments_bulk_change
from reviews.services.decisions import (
    AmbiguousDecision,
    author_visible_reviews,
    bulk_category,
    decision_mails_compose,
    decisions_bulk_record,
    decisions_release,
    reviews_release,
)
from reviews.services.reviewing import review_save_draft, review_submit
from submissions.models import Submission
from submissions.selectors import submission_for_viewer
from workshop.errors import NotFound, ServiceError
from workshop.policy import can

from .. import access
from ..serializers import (
    AssignmentBulkSerializer,
    AssignmentSerializer,
    BulkResultSerializer,
    ComposeSerializer,
    CountSerializer,
    DecisionBulkResultSerializer,
    DecisionBulkSerializer,
    DecisionSerializer,
    OwnAssignmentSerializer,
    ReleasedReviewSerializer,
    ReleaseSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
)
from .base import ApiView, dry_run_or_apply, number_param

DRY_RUN_NOTE = (
    "With `dry_run: true` every change runs through the real services inside a transaction "
    "that is then rolled back: the answer says what would change, nothing changes, no mail "
    "is queued. Without it, the changes are kept only if every one of them succeeds."
)


class AssignmentList(ApiView):
    """The workshop's assignments (chairs: `reviews.assign`)."""

    orderings = {
        "paper": ("submission__number",),
        "reviewer": ("reviewer__name",),
        "role": ("role",),
    }
    serializer_class = AssignmentSerializer

    @extend_schema(
        parameters=[OpenApiParameter("paper", int), OpenApiParameter("reviewer", str)],
        responses={200: AssignmentSerializer(many=True)},
    )
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.assign", workshop)
        queryset = Assignment.objects.filter(submission__workshop=workshop).select_related(
            "submission", "reviewer", "review"
        )
        if (number := number_param(request)) is not None:
            queryset = queryset.filter(submission__number=number)
        if request.query_params.get("reviewer"):
            queryset = queryset.filter(reviewer__email__iexact=request.query_params["reviewer"])
        page = self.paginate_queryset(queryset.order_by("submission__number", "role", "pk"))
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)


class AssignmentBulk(ApiView):
    __doc__ = "Add and remove assignments in bulk (chairs). " + DRY_RUN_NOTE

    serializer_class = AssignmentBulkSerializer

    @extend_schema(request=AssignmentBulkSerializer,
                   responses={200: BulkResultSerializer})  # fmt: skip
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "reviews.assign", workshop, "Only the chairs assign reviewers.")
        data = AssignmentBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def changes(key: str) -> list[AssignmentChange]:
            return [AssignmentChange(c["paper"], c["reviewer"], c["role"])
                    for c in data.validated_data[key]]  # fmt: skip

        def work():
            results = assignments_bulk_change(
                workshop=workshop, chair=request.user,
                add=changes("add"), remove=changes("remove"),
            )  # fmt: skip
            return [asdict(r) for r in results], all(r.ok for r in results)

        dry_run = data.validated_data["dry_run"]
        results, applied = dry_run_or_apply(dry_run, work)
        return Response({"dry_run": dry_run, "applied": applied, "results": results})


class MyAssignments(ApiView):
    """The caller's own active assignments (papers without their authors)."""

    serializer_class = OwnAssignmentSerializer

    @extend_schema(responses={200: OwnAssignmentSerializer(many=True)})
    def get(self, request):
        ids = access.scope_ids(request)
        rows = [a for a in reviewer_assignments(request.user)
                if ids is None or a.submission.workshop_id in ids]  # fmt: skip
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(OwnAssignmentSerializer(page, many=True).data)


def _review_data(request, assignment: Assignment, review: Review, *, chair: bool) -> dict:
    mine = assignment.reviewer_id == request.user.pk
    answers = [
        {"question": question.pk, "label": question.label, "value": value}
        for question, value in shown_answers(request.user, review, chair=chair)
    ]
    data = {
        "id": review.pk,
        "assignment": assignment.pk,
        "paper": assignment.submission.number,
        "reviewer": assignment.reviewer.email if chair else assignment.display_name,
        "status": review.status,
        "version": review.version,
        "revision": review.revision,
        "submitted_at": review.submitted_at,
        "answers": answers,
    }
    # The LLM-use declaration (issue 26), read as a chairs-only answer: by the chairs and
    # by the review's writer, never by other reviewers or the area chair.
    if mine or chair:
        data.update(llm_use=review.llm_use, llm_statement=review.llm_statement)
    return data


def _assignment(request, pk: int) -> tuple[Assignment, Review]:
    """An assignment whose paper the caller sees in review tools, and its review (an
    unsaved draft before one is started), which the caller may see (`reviews.see_review`)."""
    assignment = (
        Assignment.objects.select_related("submission__workshop", "reviewer").filter(pk=pk).first()
    )
    if assignment is None:
        raise NotFound()
    access.check_visible(request, "reviews.view_paper", assignment.submission)
    review = (
        Review.objects.filter(assignment=assignment)
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .first()
    ) or Review(assignment=assignment, status=ReviewStatus.DRAFT)
    review.assignment = assignment
    access.check_visible(request, "reviews.see_review", review)
    return assignment, review


class ReviewDetail(ApiView):
    """A review: its writer reads and saves it (draft, or `submit: true` with the form's
    validation); the chairs, the area chair and other reviewers read it per the rules."""

    serializer_class = ReviewSerializer

    @extend_schema(responses={200: ReviewSerializer})
    def get(self, request, pk: int):
        assignment, review = _assignment(request, pk)
        chair = can(request.user, "reviews.see_chairs_only_answers", assignment.submission)
        return Response(_review_data(request, assignment, review, chair=chair))

    @extend_schema(request=ReviewWriteSerializer, responses={200: ReviewSerializer})
    def put(self, request, pk: int):
        assignment, _ = _assignment(request, pk)
        data = ReviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            answers = {int(k): v for k, v in data.validated_data["answers"].items()}
        except ValueError:
            raise ServiceError("Answers are keyed by question id.") from None
        service = review_submit if data.validated_data["submit"] else review_save_draft
        service(assignment=assignment, user=request.user, answers=answers,
                revision=data.validated_data["revision"],
                llm_use=data.validated_data.get("llm_use"),
                llm_statement=data.validated_data.get("llm_statement"))  # fmt: skip
        assignment, review = _assignment(request, pk)
        chair = can(request.user, "reviews.see_chairs_only_answers", assignment.submission)
        return Response(_review_data(request, assignment, review, chair=chair))


class WorkshopReviews(ApiView):
    """The reviews the caller may read in a workshop: chairs all, area chairs and reviewers
    those of their papers the rules show them (`reviews.view_paper`, `reviews.see_review`)."""

    orderings = {"paper": ("number",), "title": ("title",)}
    serializer_class = ReviewSerializer

    @extend_schema(
        parameters=[OpenApiParameter("paper", int)],
        responses={200: ReviewSerializer(many=True)},
    )
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        papers = Submission.objects.filter(workshop=workshop).select_related("workshop")
        if not can(request.user, "reviews.assign", workshop):
            # Pre-filter for speed: the papers the caller is assigned to; the policy decides.
            papers = papers.filter(assignments__reviewer=request.user).distinct()
        if (number := number_param(request)) is not None:
            papers = papers.filter(number=number)
        page = self.paginate_queryset(papers.order_by("number", "pk"))
        out = [
            _review_data(request, shown.assignment, shown.review, chair=chair)
            for shown, chair in workshop_reviews_shown_to(request.user, list(page))
        ]
        return self.get_paginated_response(out)


class DecisionBulk(ApiView):
    __doc__ = (
        "Set decisions in bulk (chairs), each paper through `decision_record`: name the "
        "`category` (id or name); a bare `outcome` is refused with 400 "
        "(the choices in `fields.category`) where several categories share it. "
        "With `dry_run: true` nothing changes and no mail is queued."
    )

    serializer_class = DecisionBulkSerializer

    @extend_schema(request=DecisionBulkSerializer,
                   responses={200: DecisionBulkResultSerializer})  # fmt: skip
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "decisions.decide", workshop, "Only the chairs decide.")
        data = DecisionBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        numbers = data.validated_data["papers"]
        found = {s.number: s for s in Submission.objects.filter(
            workshop=workshop, number__in=numbers).select_related("workshop")}  # fmt: skip
        missing = sorted(set(numbers) - set(found))
        if missing:
            raise ServiceError(f"No such paper: {', '.join(f'#{n}' for n in missing)}.")

        choice = {
            "category": data.validated_data.get("category"),
            "outcome": data.validated_data.get("outcome"),
        }
        try:  # refused before any change: nothing named, or an ambiguous outcome
            bulk_category(workshop, **choice)
        except AmbiguousDecision as exc:
            raise ValidationError(
                {
                    "outcome": [exc.message],
                    "category": [f"{c.pk}: {c.name}" for c in exc.choices],
                }
            ) from None

        def work():
            changes = decisions_bulk_record(
                submissions=[found[n] for n in numbers], chair=request.user, **choice
            )
            return changes, True

        dry_run = data.validated_data["dry_run"]
        changes, applied = dry_run_or_apply(dry_run, work)
        return Response({
            "dry_run": dry_run, "applied": applied,
            "results": [{"paper": c.number, "title": c.title, "before": c.before,
                         "after": c.after, "changed": c.changed, "unchanged": c.unchanged,
                         "error": c.error} for c in changes],
        })  # fmt: skip


class DecisionMailsCompose(ApiView):
    """Compose the held decision mails (chairs; nothing is sent until released)."""

    serializer_class = ComposeSerializer

    @extend_schema(request=ComposeSerializer, responses={200: CountSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        data = ComposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = decision_mails_compose(
            workshop=workshop,
            chair=request.user,
            include_reviews=data.validated_data["include_reviews"],
        )
        return Response({"count": count})


class DecisionsRelease(ApiView):
    """Send the held decision mails and show decisions to authors (chairs)."""

    serializer_class = CountSerializer

    @extend_schema(request=None, responses={200: CountSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        return Response({"count": decisions_release(workshop=workshop, chair=request.user)})


class ReviewsRelease(ApiView):
    """Show (or hide) the author-visible parts of the reviews to authors (chairs)."""

    serializer_class = ReleaseSerializer

    @extend_schema(request=ReleaseSerializer, responses={200: ReleaseSerializer})
    def post(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        data = ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviews_release(workshop=workshop, chair=request.user,
                        released=data.validated_data["released"])  # fmt: skip
        return Response({"released": data.validated_data["released"]})


def _paper_for_author(request, pk: int) -> Submission:
    """The paper as on its author pages (`submission_for_viewer`), within the token's
    reach, else 404."""
    try:
        found = submission_for_viewer(request.user, pk, files=False)
    except Submission.DoesNotExist:
        raise NotFound() from None
    if not access.in_scope(request, found):
        raise NotFound()
    return found


class SubmissionDecision(ApiView):
    """The paper's decision, once released (`decisions.see`); 404 before there is one."""

    serializer_class = DecisionSerializer

    @extend_schema(responses={200: DecisionSerializer})
    def get(self, request, pk: int):
        paper = _paper_for_author(request, pk)
        access.check(request, "decisions.see", paper, "Decisions are not released yet.")
        decision = Decision.objects.select_related("category").filter(submission=paper).first()
        if decision is None:
            raise NotFound()
        return Response({"paper": paper.number, "outcome": decision.category.outcome,
                         "category": decision.category.name})  # fmt: skip


class SubmissionReleasedReviews(ApiView):
    """The reviews of the paper as its authors read them once released: author-visible
    answers only, reviewers as pseudonyms (`reviews.read_released`)."""

    serializer_class = ReleasedReviewSerializer
    pagination_class = None

    @extend_schema(responses={200: ReleasedReviewSerializer(many=True)})
    def get(self, request, pk: int):
        paper = _paper_for_author(request, pk)
        access.check(request, "reviews.read_released", paper, "Reviews are not released yet.")
        rows = [{"reviewer": name, "answers": [[q, v] for q, v in answers]}
                for name, answers in author_visible_reviews(paper)]  # fmt: skip
        return Response(rows)
