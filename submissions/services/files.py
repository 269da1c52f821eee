"""Uploads (checked in the request) and the deep check (in a worker, in a sandbox)."""

from __future__ import annotations

import logging
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from workshop.errors import ServiceError
from workshop.models import User
from workshop.outbox import chairs_mail_queue, mail_queue, task_enqueue
from workshop.policy import SYSTEM

from ..filechecks import check_pdf, check_supplementary, run_deep_check
from ..filechecks.errors import read_limited
from ..filechecks.findings import authors_summary, check_findings
from ..models import CheckStatus, FileKind, Submission, SubmissionAction, SubmissionFile
from ..permissions import page_limit_for
from .lifecycle import history_record, lock_for
from .notify import receipts_queue

log = logging.getLogger(__name__)


@transaction.atomic
def submission_file_upload(
    *,
    submission: Submission,
    user: User,
    kind: FileKind,
    upload: UploadedFile,
    notify: bool = True,
) -> SubmissionFile:
    """Check an uploaded file and make it the current version of its kind.

    Asks `submissions.edit` for the paper, `submissions.upload_supplementary` for the
    supplementary material. Raises FileCheckError (with a message naming the problem) and
    changes nothing when the file is refused: the previous valid version stays in place.
    Side effects: one `submission.upload` entry; a receipt to every author once the paper
    is submitted; the deep check enqueued after commit.
    """
    if kind not in (FileKind.PAPER, FileKind.SUPPLEMENTARY):
        raise ServiceError("Unknown kind of file.")
    if kind == FileKind.SUPPLEMENTARY:
        submission = lock_for(
            submission,
            user,
            "submissions.upload_supplementary",
            closed="The deadline for supplementary material has passed.",
        )
    else:
        submission = lock_for(submission, user, "submissions.edit")
    data = read_limited(upload, submission.workshop.upload_limit_bytes)
    return submission_file_write(
        submission=submission, user=user, kind=kind, data=data, notify=notify
    )


def submission_file_write(
    *, submission: Submission, user: User, kind: FileKind, data: bytes, notify: bool = True
) -> SubmissionFile:
    """The writer behind `submission_file_upload`, which importers call too (a HotCRP
    export's PDFs): the same checks, the same stored version, history entry and deep check.
    Asks nothing: its callers asked (the upload its permission, an import
    `transfer.import`); `submission` is locked by the caller. Raises FileCheckError and
    changes nothing when the file is refused."""
    limit = submission.workshop.upload_limit_bytes
    if kind == FileKind.PAPER:
        info = check_pdf(data, max_bytes=limit, max_pages=page_limit_for(submission))
        content_type = "application/pdf"
    else:
        info = check_supplementary(data, max_bytes=limit)
        content_type = "application/zip" if info.kind == "zip" else "application/pdf"
    stored = SubmissionFile(
        submission=submission,
        kind=kind,
        content_type=content_type,
        sha256=info.sha256,
        size=info.size,
        pages=getattr(info, "page_count", None),
        uploaded_by=user,
        check_status=CheckStatus.PENDING
        if content_type == "application/pdf"
        else CheckStatus.SKIPPED,
    )
    stored.file.save("upload", ContentFile(data), save=False)
    stored.save()
    current = "paper" if kind == FileKind.PAPER else "supplementary"
    setattr(submission, current, stored)
    submission.save(update_fields=[current, "updated_at"])
    pages = f", {stored.pages} pages" if stored.pages else ""
    entry = history_record(
        submission=submission,
        actor=user,
        action=SubmissionAction.UPLOAD,
        summary=f"{stored.get_kind_display()} uploaded ({stored.size:,} bytes{pages}; "
        f"SHA-256 {stored.sha256[:16]}…)",
    )
    if notify and submission.is_submitted:
        receipts_queue(submission=submission, activity=entry)
    if stored.check_status == CheckStatus.PENDING:
        transaction.on_commit(partial(_enqueue_check, stored.pk))
    return stored


def _enqueue_check(file_id: int) -> None:
    from ..tasks import submission_file_check_task

    task_enqueue(submission_file_check_task, file_id)  # else the pending-checks sweep will


def _identities(submission: Submission) -> list[str]:
    found: list[str] = []
    for author in submission.authors.all():
        found += [author.name, author.email, author.affiliation]
    return sorted({i for i in found if i and len(i) >= 3})


def submission_file_check(file_id: int) -> SubmissionFile | None:
    """Run the deep check of one PDF in a sandboxed subprocess and store what it found.

    Runs as the system (a worker, no person asked). Idempotent: a file already checked is
    left alone. Side effects: one `submission.check` entry whose summary never names the
    hidden-text findings (those are for chairs: `submissions.view_check_findings`); the
    metadata-stripped reviewer copy is stored; anonymity hits mail a warning to the authors
    (once per file); hidden-text and anonymity flags are set for the chairs. Flags never
    reject anything.
    """
    stored = (
        SubmissionFile.objects.select_related("submission__workshop")
        .filter(pk=file_id, check_status=CheckStatus.PENDING)
        .first()
    )
    if stored is None:
        return None
    submission = stored.submission
    with stored.file.open("rb") as fh:
        data = fh.read()
    report = run_deep_check(data, identities=_identities(submission))
    with transaction.atomic():
        locked = SubmissionFile.objects.select_for_update().get(pk=file_id)
        if locked.check_status != CheckStatus.PENDING:
            return locked
        locked.check_report = report.to_dict(include_copy=False)
        if not report.ok:
            locked.check_status = CheckStatus.FAILED
        else:
            locked.check_status = CheckStatus.DONE
            locked.anonymity_flag = bool(report.anonymity_hits)
            locked.hidden_text_flag = bool(report.hidden_text)
            if report.reviewer_copy:
                locked.reviewer_copy.save("copy", ContentFile(report.reviewer_copy), save=False)
        locked.save()
        # Authors read this summary: it never reveals what the chairs are told about hidden
        # text (the findings live in check_report, shown in the admin only).
        if not report.ok:
            summary = "the automatic check could not run; the chairs will look at the file"
        else:
            summary = authors_summary(locked.check_report)
        history_record(
            submission=submission, actor=SYSTEM, action=SubmissionAction.CHECK, summary=summary
        )
        _findings_to_chairs(locked, submission)
        if report.ok and report.anonymity_hits:
            for author in submission.authors.exclude(email=""):
                mail_queue(
                    key=f"anonymity:{locked.pk}:{author.email}",
                    template="submission_anonymity_warning",
                    to=author.email,
                    context={"submission": submission, "hits": report.anonymity_hits[:10]},
                    workshop=submission.workshop,
                    target=submission,
                )
    return locked


def _findings_to_chairs(stored: SubmissionFile, submission: Submission) -> None:
    """Tell the workshop's chairs what the check found, in the admin's words
    (`check_findings`): by default in their daily digest, or at once if they chose so."""
    findings = [f for f in check_findings(stored.check_report) if f[0] != "note"]
    if not findings:
        return
    chairs_mail_queue(
        workshop=submission.workshop,
        key=f"check-findings:{stored.pk}",
        template="check_findings",
        context={"submission": submission, "file": stored, "findings": findings},
        target=submission,
    )
