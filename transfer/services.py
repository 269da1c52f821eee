"""Import and export jobs: create (chairs), run (a Celery task), confirm a dry run."""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import partial
from typing import Any

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import User, Workshop
from workshop.policy import require

from .archive import archive_restore
from .exporters import EXPORTS
from .importers import ARCHIVE, FORMATS, run_import
from .limits import check_size, max_upload_bytes
from .models import JobKind, JobStatus, TransferJob
from .preferences import score_table
from .report import Report

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "archive"
# A job is taken for lost when its task has not started this long after it was queued, or
# has reported no progress (its heartbeat) this long while running: a worker that was
# killed, or a message the broker lost. A running job reports at least every chunk.
LOST_AFTER = dt.timedelta(minutes=10)
# A lost running job starts again this many times (it changed nothing: its transaction
# died with its worker), then fails with a message that says so.
RESTARTS = 2


class UnreadableImport(ServiceError):
    """The uploaded file cannot be read in the format it was uploaded as: no job is made.
    `problems` are the parser's errors ({"line", "message"}), every one of them."""

    api_code = "invalid_file"

    def __init__(self, message: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.problems = problems

    @property
    def fields(self) -> dict[str, list[str]]:
        """Every problem, by line, as the file field's errors (the API's error shape)."""
        return {
            "file": [
                f"{p['line']}: {p['message']}" if p.get("line") else str(p["message"])
                for p in self.problems
            ]
        }


class JobNotFinished(ServiceError):
    """The job is still waiting or running: what was asked needs its outcome."""

    status_code = 409
    api_code = "not_finished"


# How many of a file's problems the refusal's message names (all are in `problems`).
NAMED_PROBLEMS = 5


def import_file_check(*, fmt: str, data: bytes) -> None:
    """Refuse (`UnreadableImport`) a file the format's parser finds errors in: not JSON,
    not a zip, a missing column, a value that is no e-mail address, each by line. Parsing
    reads no database and is quick next to the import itself, so an API client learns at
    upload what the job could only tell it after a dry run. Problems of meaning (an
    unknown reviewer, a paper of another number) are the dry run's to find."""
    if not data:
        raise UnreadableImport("The file is empty.", [{"line": 0, "message": "Empty file."}])
    report = Report()
    if fmt in FORMATS and check_size(data, report):
        try:
            FORMATS[fmt][1](data, report)
        except Exception as exc:  # a parser's defect: the upload is refused, not a 500
            logger.exception("The %s parser failed on an upload", fmt)
            report.error(0, f"The file could not be read ({type(exc).__name__}: {exc}).")
    if not report.errors:
        return
    label = FORMATS[fmt][0] if fmt in FORMATS else fmt
    named = "; ".join(
        f"{e['line']}: {e['message']}" if e["line"] else e["message"]
        for e in report.errors[:NAMED_PROBLEMS]
    )
    more = len(report.errors) - NAMED_PROBLEMS
    message = f"The file cannot be imported as {label}: {named}" + (
        f" (and {more} more problems)." if more > 0 else ""
    )
    raise UnreadableImport(message, report.errors)


def _progress_key(job_id: int) -> str:
    return f"transfer-progress:{job_id}"


def _heartbeat_key(job_id: int) -> str:
    return f"transfer-heartbeat:{job_id}"


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
    check_file: bool = False,
    options: dict[str, Any] | None = None,
) -> TransferJob:
    """Queue an import (`transfer.import`; a dry run unless told otherwise) or an export
    (`transfer.export`) of `workshop`. With `check_file` (the API), a file its format's
    parser cannot read is refused here (`UnreadableImport`) instead of in the job's report.
    `options`: what the chair confirmed after the dry run (`transfer_job_confirm`).

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
        if check_file:
            import_file_check(fmt=fmt, data=data)
    else:
        require(chair, "transfer.export", workshop, message="Only the chairs export data.")
        fmt = fmt or EXPORT_FORMAT
        if fmt not in EXPORTS:
            raise ServiceError(f"Unknown export format {fmt!r}: one of {', '.join(EXPORTS)}.")
        dry_run = False
    job = TransferJob(
        workshop=workshop, kind=kind, format=fmt, dry_run=dry_run, created_by=chair,
        options=options or {},
    )  # fmt: skip
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


def transfer_job_confirm(
    *, job: TransferJob, chair: User, score_maps: dict[str, Any] | None = None
) -> TransferJob:
    """Run for real the import (or restore) a successful dry run previewed (the same
    file). Confirming also confirms the dry run's score mappings (`confirmed_score_maps`):
    the ones it proposed, or the chair's corrections of them (`score_maps`)."""
    if job.kind == JobKind.EXPORT or not job.dry_run:
        raise ServiceError("Only a dry run can be confirmed.")
    if not job.finished:
        raise JobNotFinished(
            "The dry run has not finished yet: confirm it once its report is there."
        )
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
        options={**job.options, "score_maps": confirmed_score_maps(job, score_maps)},
    )


def confirmed_score_maps(
    job: TransferJob, corrections: dict[str, Any] | None = None
) -> dict[str, dict[str, int]]:
    """The score mappings a confirmation applies: each non-identity mapping the dry run
    showed, value by value, unless the chair corrected it (`corrections`, by field name:
    {"Overall evaluation": {"8": 4, ...}}). A correction must map every value the dry run
    showed, onto whole numbers; otherwise it is refused, naming the field and value."""
    maps: dict[str, dict[str, int]] = {}
    fixed = {str(k).lower(): v for k, v in (corrections or {}).items()}
    for mapping in (job.report or {}).get("mappings", []):
        if mapping.get("identity"):
            continue
        key = str(mapping["field"]).lower()
        proposal = {str(k): int(v) for k, v in mapping["table"]}
        given = fixed.get(key)
        if given is None:
            maps[key] = proposal
            continue
        table = score_table(given)
        for value in proposal:
            if int(value) not in table:
                raise ServiceError(
                    f"{mapping['field']}: the corrected mapping gives no score for {value}."
                )
        maps[key] = {str(k): v for k, v in table.items()}
    return maps


def _enqueue(job_id: int) -> bool:
    """Hand the job to the transfer workers (the `transfer` queue). A broker that cannot be
    reached raises nothing here: the job row waits, and `transfer_jobs_sweep` queues it."""
    from workshop.outbox import task_enqueue

    from .tasks import transfer_job_task

    return task_enqueue(transfer_job_task, job_id)


def transfer_job_run(job_id: int) -> str:
    """Run one job (idempotent: only a waiting job starts, so a message delivered twice
    runs it once; and only the run that started it may finish it, so a run the sweep gave
    up for lost cannot overwrite the outcome of its successor). Errors of the file end in
    the report with the job done; an unexpected error marks it failed and changes nothing.
    Progress goes to the cache (with the heartbeat the sweep reads) and, between the
    chunks that a committee list commits on their own, to the job's row."""
    started_at = timezone.now()
    started = TransferJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, started_at=started_at
    )
    if not started:
        return "skipped"
    job = TransferJob.objects.select_related("workshop", "created_by").get(pk=job_id)
    cache.set(_heartbeat_key(job_id), time.time(), 3600)

    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job_id), (done, total), 3600)
        cache.set(_heartbeat_key(job_id), time.time(), 3600)
        if not connection.in_atomic_block:
            TransferJob.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
                progress_done=done, progress_total=total
            )

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
            _, exporter, suffix = EXPORTS.get(job.format, EXPORTS[EXPORT_FORMAT])
            data = exporter(workshop=job.workshop, progress=progress)
            job.result.save(f"{job.workshop.slug}-{suffix}", ContentFile(data), save=False)
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
                options=job.options,
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
    finished = TransferJob.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, started_at=started_at
    ).update(
        report=report,
        status=status,
        progress_done=max(done, total),
        progress_total=max(done, total),
        finished_at=timezone.now(),
        workshop=job.workshop,
        result=job.result.name or "",
    )
    cache.delete_many([_progress_key(job_id), _heartbeat_key(job_id)])
    return status if finished else "superseded"


def transfer_jobs_sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Periodic (beat): find the jobs whose task was lost. A job queued `LOST_AFTER` ago
    and not started is queued again (once per `LOST_AFTER`: a long queue is not flooded);
    a running job without a heartbeat for `LOST_AFTER` starts again (up to `RESTARTS`
    times), then fails with a clear message. Returns how many of each."""
    now = now or timezone.now()
    cutoff = now - LOST_AFTER
    counts = {"requeued": 0, "restarted": 0, "failed": 0}
    waiting = TransferJob.objects.filter(status=JobStatus.PENDING, created_at__lt=cutoff)
    for job_id in waiting.values_list("pk", flat=True)[:500]:
        if cache.add(f"transfer-requeue:{job_id}", 1, int(LOST_AFTER.total_seconds())):
            counts["requeued"] += 1
            _enqueue(job_id)
    running = TransferJob.objects.filter(status=JobStatus.RUNNING, started_at__lt=cutoff)
    for job in running.only("pk", "started_at", "report")[:500]:
        beat = cache.get(_heartbeat_key(job.pk))
        if beat is not None and beat > cutoff.timestamp():
            continue
        mine = TransferJob.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at
        )
        restarts = (job.report or {}).get("restarts", 0) if isinstance(job.report, dict) else 0
        if restarts < RESTARTS:
            if mine.update(status=JobStatus.PENDING, report={"restarts": restarts + 1}):
                counts["restarted"] += 1
                _enqueue(job.pk)
            continue
        message = (
            f"The job stopped without finishing: the worker running it was lost (stopped, "
            f"restarted or out of memory) {restarts + 1} times, with no sign of life for "
            f"{int(LOST_AFTER.total_seconds() // 60)} minutes. Upload the file again (a dry "
            "run shows what is still to do), or ask the administrators to look at the "
            "transfer worker."
        )
        report = {
            "ok": False,
            "errors": [{"line": 0, "message": message}],
            "changes": [],
            "warnings": [],
            "counts": {},
        }
        if mine.update(status=JobStatus.FAILED, report=report, finished_at=now):
            counts["failed"] += 1
    return counts
