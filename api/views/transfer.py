"""Import and export jobs (a migration driven by a script): upload a file with its format
(a dry run by default), read the job's progress and report, apply a dry run, export in a
format and download the file. The same rules as the admin's import page: the chairs of the
workshop (`transfer.import`, `transfer.export`), and a token needs its transfer scope
(`api.permissions.TransferScopeAllows`). Every job is made by `transfer.services`, whose
guarded enqueue hands it to the transfer workers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from transfer import services
from transfer.exporters import export_choices, export_download
from transfer.importers import format_choices
from transfer.models import JobKind, JobStatus, TransferJob
from workshop.errors import NotFound
from workshop.models import Workshop

from .. import access
from ..permissions import TokenScopeAllows, TransferScopeAllows
from .base import ApiView

IMPORT_REFUSED = "Only the chairs of this workshop import data."
EXPORT_REFUSED = "Only the chairs of this workshop export data."


class ProblemSerializer(serializers.Serializer):
    line = serializers.JSONField(help_text="A line (CSV, header = 1), `note 3`, a zip member…")
    message = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    line = serializers.JSONField()
    action = serializers.CharField(help_text="e.g. `paper.create`, `review.update`.")
    object = serializers.CharField()


class FateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="The kind of source record: paper, review, …")
    field = serializers.CharField(help_text="The other system's field.")
    fate = serializers.CharField(help_text="Mapped to …, kept for the chairs: …, dropped: …")
    count = serializers.IntegerField()


class MappingSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The other form's score field.")
    question = serializers.CharField(help_text="Our question it goes to.")
    table = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="[[their value, our score], …]",
    )
    identity = serializers.BooleanField(help_text="Every value stays as it is.")
    confirmed = serializers.BooleanField(
        help_text="False: a proposal, which applying the dry run confirms (or corrects)."
    )


class ReportSerializer(serializers.Serializer):
    """What the job found or did. Empty lists (and `ok` null) while it has not finished."""

    ok = serializers.BooleanField(allow_null=True)
    dry_run = serializers.BooleanField()
    errors = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True)
    changes = ChangeSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Per action.")
    fields = FateSerializer(many=True, help_text="Per kind of record and field: its fate.")
    mappings = MappingSerializer(many=True, help_text="How each score field maps onto ours.")


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[JobKind.IMPORT, JobKind.EXPORT])
    format = serializers.CharField()
    dry_run = serializers.BooleanField()
    status = serializers.ChoiceField(choices=JobStatus.choices)
    progress = ProgressSerializer()
    report = ReportSerializer()
    options = serializers.DictField(
        child=serializers.JSONField(), help_text="What the chair confirmed (`score_maps`)."
    )
    created_by = serializers.EmailField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    apply_url = serializers.CharField(
        allow_null=True, help_text="A dry run that found no problem: POST here to apply it."
    )
    download_url = serializers.CharField(allow_null=True, help_text="A finished export: its file.")


def _problems(items: Any) -> list[dict[str, Any]]:
    return [
        {"line": i.get("line", 0), "message": str(i.get("message", ""))}
        for i in items or []
        if isinstance(i, dict)
    ]


def job_data(job: TransferJob) -> dict[str, Any]:
    """A job as the API answers it: its report in one shape for every kind and state (an
    export's and an unfinished job's report lack some keys in the row)."""
    done, total = services.job_progress(job)
    percent = min(100, round(100 * done / total)) if total else (100 if job.finished else 0)
    report = job.report if isinstance(job.report, dict) else {}
    slug = job.workshop.slug
    ready = job.status == JobStatus.DONE and report.get("ok")
    return {
        "id": job.pk,
        "kind": job.kind,
        "format": job.format,
        "dry_run": job.dry_run,
        "status": job.status,
        "progress": {"done": done, "total": total, "percent": percent},
        "report": {
            "ok": report.get("ok") if job.finished else None,
            "dry_run": bool(report.get("dry_run", job.dry_run and job.kind == JobKind.IMPORT)),
            "errors": _problems(report.get("errors")),
            "warnings": _problems(report.get("warnings")),
            "changes": [c for c in report.get("changes") or [] if isinstance(c, dict)],
            "counts": report.get("counts") or {},
            "fields": report.get("fields") or [],
            "mappings": report.get("mappings") or [],
        },
        "options": job.options if isinstance(job.options, dict) else {},
        "created_by": job.created_by.email if job.created_by else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "apply_url": reverse("api:import-apply", args=[slug, job.pk])
        if job.kind == JobKind.IMPORT and job.dry_run and ready
        else None,
        "download_url": reverse("api:export-download", args=[slug, job.pk])
        if job.kind == JobKind.EXPORT and ready and job.result
        else None,
    }


class ImportCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file the other system exported (JSON, CSV, zip).")
    format = serializers.ChoiceField(choices=format_choices())
    dry_run = serializers.BooleanField(
        default=True, help_text="Show what would change, changing nothing (then apply it)."
    )


class ApplySerializer(serializers.Serializer):
    score_maps = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        required=False,
        help_text="Corrections of the dry run's proposed score mappings, by field: "
        '{"Overall evaluation": {"8": 4, …}} (every value the dry run showed).',
    )


class ExportCreateSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=export_choices(), default=services.EXPORT_FORMAT)


class TransferView(ApiView):
    permission_classes = [IsAuthenticated, TokenScopeAllows, TransferScopeAllows]
    serializer_class = JobSerializer
    orderings = {"created": ("created_at", "pk"), "status": ("status",)}
    kind: str = JobKind.IMPORT

    def _workshop(self, request, slug: str) -> Workshop:
        workshop = access.workshop_get(request, slug)
        if self.kind == JobKind.IMPORT:
            access.check(request, "transfer.import", workshop, IMPORT_REFUSED)
        else:
            access.check(request, "transfer.export", workshop, EXPORT_REFUSED)
        return workshop

    def _jobs(self, workshop: Workshop):
        return TransferJob.objects.filter(workshop=workshop, kind=self.kind).select_related(
            "workshop", "created_by"
        )

    def _job(self, request, slug: str, pk: int) -> TransferJob:
        job = self._jobs(self._workshop(request, slug)).filter(pk=pk).first()
        if job is None:
            raise NotFound()
        return job

    def _list(self, request, slug: str) -> Response:
        page = self.paginate_queryset(self._jobs(self._workshop(request, slug)))
        return self.get_paginated_response(
            JobSerializer([job_data(j) for j in page], many=True).data
        )

    @staticmethod
    def _created(job: TransferJob) -> Response:
        job = TransferJob.objects.select_related("workshop", "created_by").get(pk=job.pk)
        return Response(JobSerializer(job_data(job)).data, status=status.HTTP_201_CREATED)


class ImportList(TransferView):
    """The workshop's import jobs, newest first (chairs). POST uploads a file (multipart:
    `file`, `format`, `dry_run`, true by default) and queues its import; a file the
    format's parser cannot read is refused at once (400, every problem by line in
    `fields.file`). Poll the job for its progress and report; apply a dry run with
    `apply_url`."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses={200: JobSerializer(many=True)})
    def get(self, request, slug: str):
        return self._list(request, slug)

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: JobSerializer},
    )
    def post(self, request, slug: str):
        workshop = self._workshop(request, slug)
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.transfer_job_create(
            workshop=workshop,
            chair=request.user,
            kind=JobKind.IMPORT,
            fmt=data.validated_data["format"],
            data=data.validated_data["file"].read(),
            dry_run=data.validated_data["dry_run"],
            check_file=True,
        )
        return self._created(job)


class ImportDetail(TransferView):
    """One import job: its state, progress and report (errors and warnings by line, the
    changes, counts per action, and what became of each field of each kind of record)."""

    @extend_schema(responses={200: JobSerializer})
    def get(self, request, slug: str, pk: int):
        return Response(JobSerializer(job_data(self._job(request, slug, pk))).data)


class ImportApply(TransferView):
    """Apply a dry run that found no problem: a new job imports the same file for real
    (201, the new job), with the score mappings the dry run proposed (`report.mappings`)
    or the chair's corrections of them (`score_maps`). A dry run still running answers
    409; one with problems, or a correction that leaves a value without a score, 400."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]  # an empty body: any

    @extend_schema(
        request=ApplySerializer,
        responses={
            201: JobSerializer,
            409: OpenApiResponse(
                {"$ref": "#/components/schemas/Error"}, description="The dry run is not done."
            ),
        },
    )
    def post(self, request, slug: str, pk: int):
        job = self._job(request, slug, pk)
        data = ApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.transfer_job_confirm(
            job=job, chair=request.user, score_maps=data.validated_data.get("score_maps")
        )
        return self._created(new)


class ExportList(TransferView):
    """The workshop's export jobs, newest first (chairs). POST queues an export in a
    `format` (`archive` by default); download it from the job's `download_url` once done."""

    kind = JobKind.EXPORT
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(responses={200: JobSerializer(many=True)})
    def get(self, request, slug: str):
        return self._list(request, slug)

    @extend_schema(request=ExportCreateSerializer, responses={201: JobSerializer})
    def post(self, request, slug: str):
        workshop = self._workshop(request, slug)
        data = ExportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.transfer_job_create(
            workshop=workshop, chair=request.user, kind=JobKind.EXPORT,
            fmt=data.validated_data["format"],
        )  # fmt: skip
        return self._created(job)


class ExportDetail(TransferView):
    """One export job: its state and progress."""

    kind = JobKind.EXPORT

    @extend_schema(responses={200: JobSerializer})
    def get(self, request, slug: str, pk: int):
        return Response(JobSerializer(job_data(self._job(request, slug, pk))).data)


class ExportDownload(TransferView):
    """The exported file, as an attachment (named by the workshop and the format, as the
    admin's download); 409 while the export has not finished."""

    kind = JobKind.EXPORT
    serializer_class = None

    @extend_schema(
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="A zip: our archive, HotCRP's or EasyChair's files.",
            ),
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.BINARY, description="One JSON file: OpenReview's notes and groups."
            ),
            409: OpenApiResponse(
                {"$ref": "#/components/schemas/Error"}, description="Not finished, or failed."
            ),
        }
    )
    def get(self, request, slug: str, pk: int):
        job = self._job(request, slug, pk)
        if job.status != JobStatus.DONE or not job.result:
            if job.status == JobStatus.FAILED:
                raise services.JobNotFinished("The export failed: see its report, then start "
                                              "another.")  # fmt: skip
            percent = job_data(job)["progress"]["percent"]
            raise services.JobNotFinished(
                f"The export is still running ({percent}%): download it once its status is done."
            )
        return export_download(job)
