"""Submissions: authors create, edit, upload, submit, withdraw; chairs list, search and
export. Every change goes through `submissions.services`, validated by the author form."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

import reviews.search  # noqa: F401 - registers the chairs' search keywords
from submissions import selectors, services
from submissions.forms import SubmissionForm
from submissions.models import FileKind, Submission, SubmissionFile
from submissions.services.lifecycle import EDITABLE_FIELDS
from submissions.views import file_response
from workshop.errors import NotFound
from workshop.permissions import roles_prefill
from workshop.policy import can
from workshop.search import SearchContext, search_compile
from workshop.selectors import chaired_workshop_ids

from .. import access
from ..serializers import (
    FileSerializer,
    SubmissionSerializer,
    SubmissionWriteSerializer,
    UploadSerializer,
)
from .base import ApiView

ORDERINGS = {"number", "-number", "title", "-title", "updated_at", "-updated_at",
             "submitted_at", "-submitted_at"}  # fmt: skip

LIST_PARAMS = [
    OpenApiParameter("workshop", str, description="A workshop's slug."),
    OpenApiParameter("status", str, description="draft, submitted, withdrawn, accepted, …"),
    OpenApiParameter("q", str, description="The chairs' search language (e.g. `topic:eval`)."),
    OpenApiParameter("ordering", str, enum=sorted(ORDERINGS)),
]


def _submission(request, pk: int) -> Submission:
    """One paper the caller may see on its author pages (`submission_for_viewer`) and
    their token reaches, else 404."""
    try:
        found = selectors.submission_for_viewer(request.user, pk, files=False)
    except Submission.DoesNotExist:
        raise NotFound() from None
    if not access.in_scope(request, found):
        raise NotFound()
    return found


def _form(request, workshop, instance=None) -> SubmissionForm:
    """The browser's form, fed from JSON or multipart (missing fields keep their values)."""
    data = QueryDict(mutable=True)
    if instance is not None:
        for name in EDITABLE_FIELDS:
            attribute = f"{name}_id" if name in ("submission_type", "primary_topic") else name
            value = getattr(instance, attribute)
            if value not in (None, ""):
                data[name] = str(value)
        data.setlist("secondary_topics", [str(t.pk) for t in instance.secondary_topics.all()])
    incoming = request.data
    checked = SubmissionWriteSerializer(data=incoming, partial=True)
    checked.is_valid(raise_exception=True)  # types and bounds; the form does the rest
    for name in (*EDITABLE_FIELDS, "secondary_topics"):
        if name not in incoming:
            continue
        value = incoming.getlist(name) if hasattr(incoming, "getlist") else incoming[name]
        if name == "secondary_topics":
            values = value if isinstance(value, list) else [value]
            data.setlist(name, [str(v) for v in values])
        elif isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = "" if value is None else str(value)
    form = SubmissionForm(data, instance=instance, workshop=workshop)
    if not form.is_valid():
        raise serializers.ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


class SubmissionList(ApiView):
    """Papers the caller may see on author pages: their own, and those of the workshops
    they chair. Chairs filter with `q` (the admin's search language)."""

    serializer_class = SubmissionSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def queryset(self, request):
        queryset = access.narrow(request, selectors.submissions_listed_for(request.user))
        params = request.query_params
        if params.get("workshop"):
            queryset = queryset.filter(workshop__slug=params["workshop"])
        if params.get("status"):
            queryset = queryset.filter(status=params["status"])
        if params.get("q"):
            chaired = chaired_workshop_ids(request.user)
            searchable = (
                chaired
                if access.scope_ids(request) is None
                else (chaired & access.scope_ids(request))
            )
            queryset = queryset.filter(workshop_id__in=searchable).filter(
                search_compile(params["q"], SearchContext(frozenset(searchable)))
            )
        ordering = params.get("ordering", "number")
        if ordering not in ORDERINGS:
            raise serializers.ValidationError({"ordering": [f"One of {sorted(ORDERINGS)}."]})
        return selectors.with_details(queryset).order_by("workshop_id", ordering, "pk")

    @extend_schema(parameters=LIST_PARAMS,
                   responses={200: SubmissionSerializer(many=True)})  # fmt: skip
    def get(self, request):
        page = self.paginate_queryset(self.queryset(request))
        roles_prefill(request.user, {s.workshop_id for s in page})
        shown = [s for s in page if can(request.user, "submissions.view", s)]
        return self.get_paginated_response(SubmissionSerializer(shown, many=True).data)

    @extend_schema(request=SubmissionWriteSerializer,
                   responses={201: SubmissionSerializer})  # fmt: skip
    def post(self, request):
        checked = SubmissionWriteSerializer(data=request.data)
        checked.is_valid(raise_exception=True)
        workshop = access.workshop_get(request, checked.validated_data.get("workshop", ""))
        form = _form(request, workshop)
        submission = services.submission_create(
            workshop=workshop,
            user=request.user,
            secondary_topics=list(form.cleaned_data["secondary_topics"]),
            **form.service_fields(),
        )
        return Response(
            SubmissionSerializer(_submission(request, submission.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class SubmissionDetail(ApiView):
    serializer_class = SubmissionSerializer

    @extend_schema(responses={200: SubmissionSerializer})
    def get(self, request, pk: int):
        return Response(SubmissionSerializer(_submission(request, pk)).data)

    @extend_schema(request=SubmissionWriteSerializer,
                   responses={200: SubmissionSerializer})  # fmt: skip
    def patch(self, request, pk: int):
        submission = _submission(request, pk)
        access.check(request, "submissions.edit", submission,
                     "Only contact authors edit a paper, until the deadline.")  # fmt: skip
        form = _form(request, submission.workshop, instance=Submission.objects.get(pk=pk))
        services.submission_update(
            submission=submission,
            user=request.user,
            secondary_topics=list(form.cleaned_data["secondary_topics"]),
            **form.service_fields(),
        )
        return Response(SubmissionSerializer(_submission(request, pk)).data)


def _action(name: str, service, doc: str):
    class Action(ApiView):
        serializer_class = SubmissionSerializer
        __doc__ = doc

        @extend_schema(request=None, responses={200: SubmissionSerializer},
                       operation_id=f"submissions_{name}")  # fmt: skip
        def post(self, request, pk: int):
            service(submission=_submission(request, pk), user=request.user)
            return Response(SubmissionSerializer(_submission(request, pk)).data)

    Action.__name__ = Action.__qualname__ = f"Submission{name.title()}"
    return Action


SubmissionSubmit = _action(
    "submit",
    services.submission_submit,
    "Submit a draft (`submissions.submit`); receipts to every author.",
)
SubmissionWithdraw = _action(
    "withdraw", services.submission_withdraw, "Withdraw the paper (`submissions.withdraw`)."
)
SubmissionRestore = _action("restore", services.submission_restore,
                            "Restore a withdrawn paper (`submissions.restore`).")  # fmt: skip


class SubmissionUpload(ApiView):
    """Upload (or replace) the paper or the supplementary material (multipart, `file`),
    with the same checks as the browser (`submissions.services.submission_file_upload`)."""

    serializer_class = FileSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: FileSerializer},
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH,
                                     enum=[FileKind.PAPER, FileKind.SUPPLEMENTARY])],
    )  # fmt: skip
    def post(self, request, pk: int, kind: str):
        submission = _submission(request, pk)
        if kind not in (FileKind.PAPER, FileKind.SUPPLEMENTARY):
            raise NotFound()
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        stored = services.submission_file_upload(
            submission=submission,
            user=request.user,
            kind=FileKind(kind),
            upload=upload.validated_data["file"],
        )
        return Response(FileSerializer(stored).data, status=status.HTTP_201_CREATED)


class SubmissionFiles(ApiView):
    """Every kept version of the paper's files (its authors and its chairs)."""

    serializer_class = FileSerializer

    @extend_schema(responses={200: FileSerializer(many=True)})
    def get(self, request, pk: int):
        submission = _submission(request, pk)
        queryset = SubmissionFile.objects.filter(submission=submission).order_by(
            "-uploaded_at", "-pk"
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(FileSerializer(page, many=True).data)


class SubmissionFileDownload(ApiView):
    """One file version, as an attachment (the author pages' download and its rule)."""

    serializer_class = None

    @extend_schema(responses={
        (200, media): OpenApiResponse(OpenApiTypes.BINARY, description="The file: a PDF, or a "
                                      "zip of supplementary material.")
        for media in ("application/pdf", "application/zip")
    })  # fmt: skip
    def get(self, request, pk: int, file_pk: int):
        try:
            stored = selectors.submission_file_visible_to(request.user, pk, file_pk)
        except SubmissionFile.DoesNotExist:
            raise NotFound() from None
        if not access.in_scope(request, stored.submission):
            raise NotFound()
        return file_response(stored)


class SubmissionExport(ApiView):
    """The chairs' CSV export of a workshop's papers (the admin's export action)."""

    serializer_class = None

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Only the papers matching this.")],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="UTF-8 CSV, one row per paper."
            )
        },
    )
    def get(self, request, slug: str):
        workshop = access.workshop_get(request, slug)
        access.check(request, "workshop.manage", workshop)
        queryset = Submission.objects.filter(workshop=workshop)
        if request.query_params.get("q"):
            queryset = queryset.filter(
                search_compile(request.query_params["q"], SearchContext(frozenset({workshop.pk})))
            )
        queryset = queryset.select_related(
            "workshop", "submission_type", "primary_topic", "paper"
        ).prefetch_related(Prefetch("authors"), "secondary_topics")
        model_admin = admin.site._registry[Submission]
        return model_admin.export_csv(request._request, queryset)
