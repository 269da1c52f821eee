"""Import and export jobs: create (chairs), run (a Celery task), confirm a dry run."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import User, Workshop
from workshop.policy import require

from .archive import archive_export, archive_restore
from .importers import ARCHIVE, FORMATS, run_import
from .limits import max_upload_bytes
from .models import JobKind, JobStatus, TransferJob
from .report import Report

EXPORT_FORMAT = "archive"


def _progress_key(job_id: int) -> str:
    return f"transfer-progress:{job_id}"


def job_progress(job: TransferJob) -> tuple[int, int]:
    """(done, total) of a running job. An import reports progress from inside its
    transaction, where the job row cannot be seen by others until the end, so the figures
    go through the cache; a finished job's own row is the truth."""
    if job.finished:
        return job.progress_done, job.progress_total
    cached = cache.get(_progress_key(job.pk))
    return tuple(cached) if cached else (job.progress_done, job.progress_total)  # type: ignore[return-value]


@transaction.atomic
def transfer_job_create(
    *,
    workshop: Workshop,
    chair: User,
    kind: str,
    fmt: str,
    data: bytes = b"",
    dry_run: bool = True,
) -> TransferJob:
    """Queue an import (`transfer.import`; a dry run unless told otherwise) or an export
    (`transfer.export`) of `workshop`.

    Side effects: the job row with the uploaded file; one `transfer.export` activity entry
    for an export (an import writes its `transfer.import` entry when it runs); the task
    enqueued after commit.
    """
    if kind == JobKind.IMPORT:
        require(chair, "transfer.import", workshop, message="Only the chairs import data.")
        if fmt not in FORMATS:
            raise ServiceError(f"Unknown format {fmt!r}.")
        if len(data) > max_upload_bytes():
            raise ServiceError(
                f"The file is over the import limit of {max_upload_bytes():,} bytes."
            )
    else:
        require(chair, "transfer.export", workshop, message="Only the chairs export data.")
        fmt, dry_run = EXPORT_FORMAT, False
    job = TransferJob(workshop=workshop, kind=kind, format=fmt, dry_run=dry_run, created_by=chair)
    if data:
        job.upload.save(f"{workshop.slug}-{fmt}", ContentFile(data), save=False)
    job.save()
    if kind == JobKind.EXPORT:  # an import writes its own entry when it runs
        activity_record(
            actor=chair,
            action=f"transfer.{kind}",
            target=workshop,
            workshop=workshop,
            summary=f"{job.get_kind_display()} started ({fmt})",
        )
    transaction.on_commit(partial(_enqueue, job.pk))
    return job


@transaction.atomic
def transfer_restore_create(
    *, actor: User, data: bytes, slug: str = "", dry_run: bool = True, allow_unsigned: bool = False
) -> TransferJob:
    """Queue the restore of a workshop archive as a new workshop (`transfer.restore`: the
    deployment's administrators; a dry run unless told otherwise), under its own address or
    `slug`; an archive this deployment did not sign only with `allow_unsigned`. Side
    effects: the job row with the upload; the task enqueued after commit (the restore writes
    its `transfer.restore` entry when it runs)."""
    require(actor, "transfer.restore", None, message="Only administrators restore workshops.")
    if len(data) > max_upload_bytes():
        raise ServiceError(f"The file is over the import limit of {max_upload_bytes():,} bytes.")
    job = TransferJob(
        kind=JobKind.RESTORE, format=ARCHIVE, target_slug=slug, dry_run=dry_run,
        allow_unsigned=allow_unsigned, created_by=actor,
    )  # fmt: skip
    job.upload.save(f"{slug or 'restore'}-archive.zip", ContentFile(data), save=False)
    job.save()
    transaction.on_commit(partial(_enqueue, job.pk))
    return job


def transfer_job_confirm(*, job: TransferJob, chair: User) -> TransferJob:
    """Run for real the import (or restore) a successful dry run previewed (the same
    file)."""
    if job.kind == JobKind.EXPORT or not job.dry_run:
        raise ServiceError("Only a dry run can be confirmed.")
    if job.status != JobStatus.DONE or not job.report.get("ok"):
        raise ServiceError("The dry run found problems: fix the file and upload it again.")
    with job.upload.open("rb") as handle:
        data = handle.read()
    if job.kind == JobKind.RESTORE:
        return transfer_restore_create(
            actor=chair, data=data, slug=job.target_slug, dry_run=False,
            allow_unsigned=job.allow_unsigned,
        )  # fmt: skip
    return transfer_job_create(
        workshop=job.workshop,
        chair=chair,
        kind=JobKind.IMPORT,
        fmt=job.format,
        data=data,
        dry_run=False,
    )


def _enqueue(job_id: int) -> None:
    from .tasks import transfer_job_task

    transfer_job_task.delay(job_id)


def transfer_job_run(job_id: int) -> str:
    """Run one job (idempotent: only a waiting job starts). Errors of the file end in the
    report with the job done; an unexpected error marks it failed and changes nothing."""
    started = TransferJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=timezone.now()
    )
    if not started:
        return "skipped"
    job = TransferJob.objects.select_related("workshop", "created_by").get(pk=job_id)

    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job_id), (done, total), 3600)

    actor: Any = job.created_by
    try:
        if job.kind == JobKind.RESTORE:
            with job.upload.open("rb") as handle:
                data = handle.read()
            found = Report()
            restored = archive_restore(
                actor=actor, data=data, report=found, slug=job.target_slug or None,
                progress=progress, dry_run=job.dry_run, allow_unsigned=job.allow_unsigned,
            )  # fmt: skip
            report = found.as_dict()
            job.workshop = restored
        elif job.kind == JobKind.EXPORT:
            data = archive_export(workshop=job.workshop, progress=progress)
            job.result.save(f"{job.workshop.slug}-archive.zip", ContentFile(data), save=False)
            report: dict[str, Any] = {
                "ok": True,
                "errors": [],
                "changes": [],
                "warnings": [],
                "counts": {"bytes": len(data)},
            }
        else:
            with job.upload.open("rb") as handle:
                data = handle.read()
            report = run_import(
                workshop=job.workshop,
                actor=actor,
                fmt=job.format,
                data=data,
                dry_run=job.dry_run,
                progress=progress,
            ).as_dict()
        status = JobStatus.DONE
    except Exception as exc:  # noqa: BLE001 - recorded on the job, which the chair reads
        report = {
            "ok": False,
            "errors": [{"line": 0, "message": f"Internal error: {exc}"}],
            "changes": [],
            "warnings": [],
            "counts": {},
        }
        status = JobStatus.FAILED
    done, total = cache.get(_progress_key(job_id)) or (0, 0)
    job.report = report
    job.status = status
    job.progress_done, job.progress_total = max(done, total), max(done, total)
    job.finished_at = timezone.now()
    job.save()
    cache.delete(_progress_key(job_id))
    return status
