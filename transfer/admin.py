"""Chair tools for import and export: upload, dry-run report, confirm, progress, download."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from workshop.admin_scoping import ChairScopedAdmin
from workshop.errors import ServiceError
from workshop.policy import can
from workshop.validators import whole_number

from . import services
from .exporters import export_download
from .forms import ExportForm, ImportForm, RestoreForm
from .models import JobKind, JobStatus, SourceRecord, TransferJob


@admin.register(TransferJob)
class TransferJobAdmin(ChairScopedAdmin):
    """Imports and exports of the chair's workshops. A job is never edited: an import is
    uploaded (a dry run by default), its report read, then confirmed as a new job."""

    policy_permission = "transfer.import"
    list_display = ["__str__", "workshop", "status", "created_by", "created_at", "finished_at"]
    list_filter = ["workshop", "kind", "status"]
    list_select_related = ["workshop", "created_by"]
    chairs_may_delete = False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_urls(self):  # type: ignore[no-untyped-def]
        wrap = self.admin_site.admin_view
        return [
            path("<int:job_id>/progress/", wrap(self.progress_view), name="transfer_progress"),
            path("<int:job_id>/confirm/", wrap(self.confirm_view), name="transfer_confirm"),
            path("<int:job_id>/download/", wrap(self.download_view), name="transfer_download"),
            path("export/", wrap(self.export_view), name="transfer_export"),
            path("restore/", wrap(self.restore_view), name="transfer_restore"),
            *super().get_urls(),
        ]

    def _job(self, request: HttpRequest, job_id: int) -> TransferJob:
        job = self.get_queryset(request).select_related("workshop").filter(pk=job_id).first()
        if job is None:
            raise Http404("No such job.")
        return job

    def _context(self, request: HttpRequest, **extra):  # type: ignore[no-untyped-def]
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def add_view(self, request, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        workshops = self.chaired_workshops(request)  # every workshop for administrators
        form = ImportForm(request.POST or None, request.FILES or None, workshops=workshops)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.transfer_job_create(
                    workshop=form.cleaned_data["workshop"],
                    chair=request.user,
                    kind=JobKind.IMPORT,
                    fmt=form.cleaned_data["format"],
                    data=form.cleaned_data["file"].read(),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("admin:transfer_transferjob_change", job.pk)
        recent = self.get_queryset(request).select_related("workshop")[:10]
        context = self._context(
            request, form=form, title="Import", recent=recent,
            perms_restore=can(request.user, "transfer.restore"),
        )  # fmt: skip
        return TemplateResponse(request, "transfer/admin_import.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse:
        workshops = self.chaired_workshops(request)
        form = ExportForm(request.POST or None, workshops=workshops)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.transfer_job_create(
                    workshop=form.cleaned_data["workshop"],
                    chair=request.user,
                    kind=JobKind.EXPORT,
                    fmt=form.cleaned_data["format"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("admin:transfer_transferjob_change", job.pk)
        context = self._context(request, form=form, title="Export a workshop")
        return TemplateResponse(request, "transfer/admin_export.html", context)

    def restore_view(self, request: HttpRequest) -> HttpResponse:
        """Administrators: a workshop archive becomes a new workshop (dry run, then
        confirm), e.g. one moved from another deployment."""
        if not can(request.user, "transfer.restore"):
            raise Http404("No such page.")
        form = RestoreForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = services.transfer_restore_create(
                    actor=request.user,
                    data=form.cleaned_data["file"].read(),
                    slug=form.cleaned_data["slug"],
                    dry_run=form.cleaned_data["dry_run"],
                    allow_unsigned=form.cleaned_data["allow_unsigned"],
                )
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("admin:transfer_transferjob_change", job.pk)
        context = self._context(request, form=form, title="Restore a workshop from its archive")
        return TemplateResponse(request, "transfer/admin_restore.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        job = self._job(request, whole_number(object_id) or 0)
        context = self._context(request, job=job, title=str(job), **self._state(job))
        return TemplateResponse(request, "transfer/admin_job.html", context)

    @staticmethod
    def _state(job: TransferJob) -> dict[str, object]:
        done, total = services.job_progress(job)
        percent = min(100, round(100 * done / total)) if total else (100 if job.finished else 0)
        return {
            "done": done,
            "total": total,
            "percent": percent,
            "JobStatus": JobStatus,
            "report": job.report or {},
            "proposed_maps": [
                m for m in (job.report or {}).get("mappings", []) if not m.get("identity")
            ],
        }

    def progress_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        if job.finished and request.htmx:
            response = HttpResponse()
            response["HX-Refresh"] = "true"  # the report replaces the progress bar
            return response
        context = {"job": job, **self._state(job)}
        return TemplateResponse(request, "transfer/_progress.html", context)

    @staticmethod
    def _corrections(request: HttpRequest) -> dict[str, dict[str, str]]:
        """The score mappings as the chair left them on the dry run's page: field ->
        {value in the file: score here} (the service checks them)."""
        maps: dict[str, dict[str, str]] = {}
        for key, field in request.POST.items():
            if key.startswith("map-field-"):
                prefix = f"map-{key.removeprefix('map-field-')}-"
                maps[field] = {
                    name.removeprefix(prefix): value
                    for name, value in request.POST.items()
                    if name.startswith(prefix)
                }
        return maps

    def confirm_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        if request.method != "POST":
            return redirect("admin:transfer_transferjob_change", job.pk)
        try:
            new = services.transfer_job_confirm(
                job=job, chair=request.user, score_maps=self._corrections(request)
            )
        except ServiceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect("admin:transfer_transferjob_change", job.pk)
        return redirect("admin:transfer_transferjob_change", new.pk)

    def download_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._job(request, job_id)
        if (
            job.kind != JobKind.EXPORT
            or not job.result
            or not can(request.user, "transfer.export", job.workshop)
        ):
            raise Http404("No export here.")
        return export_download(job)


@admin.register(SourceRecord)
class SourceRecordAdmin(ChairScopedAdmin):
    """Where each imported paper and review came from (the other system and its id there)
    and what the record held that has no field here: tags, custom fields, a reviewer's
    e-mail and versions, reviews by people outside the committee. Read only, the chairs'
    alone: none of it is shown to reviewers or authors."""

    policy_permission = "transfer.import"
    list_display = ["__str__", "workshop", "imported_as", "imported_at"]
    list_filter = ["workshop", "system", "kind"]
    list_select_related = ["workshop", "content_type"]
    search_fields = ["source_id"]
    readonly_fields = [
        "workshop", "system", "kind", "source_id", "imported_as", "data", "imported_at",
    ]  # fmt: skip
    fields = readonly_fields
    chairs_may_add = False
    chairs_may_delete = False

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).prefetch_related("target")

    @admin.display(description="imported as")
    def imported_as(self, record: SourceRecord) -> str:
        return str(record.target) if record.target is not None else "(deleted since)"

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
