"""After acceptance: the camera-ready version, the licence, and the proceedings bundle."""

from __future__ import annotations

import io
import json
import zipfile
from functools import partial

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.csvexport import csv_write
from workshop.errors import DeadlinePassed, ServiceError
from workshop.models import User, Workshop
from workshop.outbox import task_enqueue
from workshop.policy import can, require, require_visible

from ..filechecks import check_pdf
from ..filechecks.errors import read_limited
from ..models import (
    BundleStatus,
    CheckStatus,
    FileKind,
    ProceedingsBundle,
    Submission,
    SubmissionAction,
    SubmissionFile,
)
from ..permissions import camera_ready_page_limit
from ..selectors import accepted_papers
from .lifecycle import history_record, submission_locked
from .notify import receipts_queue

LICENCE_TERMS = (
    "I confirm that all authors agree to publish this paper under the chosen licence, that "
    "we have the right to do so, and that the paper may be listed with its abstract and "
    "artifacts on the workshop's public pages."
)


def _lock(submission: Submission, user: User) -> Submission:
    """Re-read the paper under a lock and ask `submissions.camera_ready` at this moment."""
    locked = submission_locked(submission)
    require_visible(user, "submissions.view", locked)
    require(
        user,
        "submissions.contact",
        locked,
        message="Only the contact authors of this paper can prepare its final version.",
    )
    if can(user, "submissions.camera_ready", locked):
        return locked
    # Accepted once decisions are out is exactly what makes the paper public.
    require(
        user,
        "submissions.view_public",
        locked,
        message="Only accepted papers have a camera-ready version.",
    )
    raise DeadlinePassed("The camera-ready deadline has passed.")


@transaction.atomic
def camera_ready_upload(
    *, submission: Submission, user: User, upload: UploadedFile, notify: bool = True
) -> SubmissionFile:
    """The final, de-anonymised PDF (its own page limit), as `submissions.camera_ready`
    allows. Side effects: one `submission.camera_ready` entry and a receipt to every
    author. No anonymity check: the final version names its authors."""
    submission = _lock(submission, user)
    limit = submission.workshop.upload_limit_bytes
    data = read_limited(upload, limit)
    info = check_pdf(data, max_bytes=limit, max_pages=camera_ready_page_limit(submission))
    stored = SubmissionFile(
        submission=submission,
        kind=FileKind.CAMERA_READY,
        sha256=info.sha256,
        size=info.size,
        pages=info.page_count,
        uploaded_by=user,
        check_status=CheckStatus.SKIPPED,
    )
    stored.file.save("upload", ContentFile(data), save=False)
    stored.save()
    submission.camera_ready = stored
    submission.save(update_fields=["camera_ready", "updated_at"])
    entry = history_record(
        submission=submission,
        actor=user,
        action=SubmissionAction.CAMERA_READY,
        summary=f"Camera-ready PDF uploaded ({stored.pages} pages; SHA-256 {stored.sha256[:16]}…)",
    )
    if notify:
        receipts_queue(submission=submission, activity=entry)
    return stored


@transaction.atomic
def camera_ready_update(
    *,
    submission: Submission,
    user: User,
    title: str,
    abstract: str,
    keywords: str,
    licence: str,
    accept_terms: bool,
    notify: bool = True,
) -> Submission:
    """Final metadata and the licence (`submissions.camera_ready`). The terms must be
    accepted (recorded with who and when). Side effects: one `submission.licence` entry
    and a receipt to every author."""
    submission = _lock(submission, user)
    if not accept_terms:
        raise ServiceError("Please accept the licence and consent terms.")
    valid = {c[0] for c in Submission._meta.get_field("licence").choices}
    if licence not in valid:
        raise ServiceError("Choose a licence.")
    if not title.strip() or not abstract.strip():
        raise ServiceError("The title and the abstract cannot be empty.")
    submission.title, submission.abstract = title.strip()[:300], abstract.strip()
    submission.keywords = keywords.strip()[:300]
    submission.licence = licence
    submission.licence_accepted_at = timezone.now()
    submission.licence_accepted_by = user
    submission.full_clean(
        exclude=[
            "paper",
            "supplementary",
            "camera_ready",
            "created_by",
            "workshop",
            "licence_accepted_by",
        ]
    )
    submission.save()
    entry = history_record(
        submission=submission,
        actor=user,
        action=SubmissionAction.LICENCE,
        summary=f"Camera-ready details saved; licence {licence}",
    )
    if notify:
        receipts_queue(submission=submission, activity=entry)
    return submission


@transaction.atomic
def proceedings_request(*, workshop: Workshop, chair: User) -> ProceedingsBundle:
    """Queue the proceedings bundle (`submissions.build_proceedings`); a worker builds it
    with progress. Side effects: one `proceedings.request` entry (chairs only)."""
    require(
        chair,
        "submissions.build_proceedings",
        workshop,
        message="Only the chairs build the proceedings.",
    )
    bundle = ProceedingsBundle.objects.create(
        workshop=workshop, requested_by=chair if isinstance(chair, User) else None
    )
    activity_record(
        actor=chair,
        action="proceedings.request",
        target=bundle,
        workshop=workshop,
        summary="Proceedings bundle requested",
    )
    transaction.on_commit(partial(_enqueue_bundle, bundle.pk))
    return bundle


def _enqueue_bundle(bundle_id: int) -> None:
    from ..tasks import proceedings_build_task

    if not task_enqueue(proceedings_build_task, bundle_id):
        ProceedingsBundle.objects.filter(pk=bundle_id).update(
            status=BundleStatus.FAILED, error="The task queue is unreachable; try again."
        )


def proceedings_build(bundle_id: int) -> str:
    """Build the ZIP: one PDF per accepted paper (camera-ready, else the submitted PDF),
    papers.csv and papers.json. Idempotent: only a queued bundle is built."""
    if not ProceedingsBundle.objects.filter(pk=bundle_id, status=BundleStatus.QUEUED).update(
        status=BundleStatus.RUNNING, progress=1
    ):
        return "skipped"
    bundle = ProceedingsBundle.objects.select_related("workshop").get(pk=bundle_id)
    workshop = bundle.workshop
    papers = list(accepted_papers(workshop).select_related("paper"))
    buffer = io.BytesIO()
    records = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, s in enumerate(papers, start=1):
            source = s.published_pdf or s.paper
            name = f"{workshop.slug}-{s.number}.pdf"
            if source is not None:
                with source.file.open("rb") as fh:
                    archive.writestr(f"papers/{name}", fh.read())
            records.append(
                {
                    "number": s.number,
                    "title": s.title,
                    "abstract": s.abstract,
                    "authors": [
                        {"name": a.name, "affiliation": a.affiliation} for a in s.authors.all()
                    ],
                    "topics": [t.name for t in ([s.primary_topic] if s.primary_topic else [])]
                    + [t.name for t in s.secondary_topics.all()],
                    "keywords": s.keyword_list,
                    "licence": s.licence,
                    "code": s.code_url,
                    "data": s.data_url,
                    "weights": s.weights_url,
                    "pdf": f"papers/{name}" if source else None,
                    "camera_ready": s.published_pdf is not None,
                }
            )
            ProceedingsBundle.objects.filter(pk=bundle_id).update(
                progress=max(1, int(90 * index / max(len(papers), 1)))
            )
        archive.writestr("papers.json", json.dumps(records, indent=2, ensure_ascii=False))
        table = io.StringIO()
        csv_write(
            table,
            [
                "number",
                "title",
                "authors",
                "affiliations",
                "topics",
                "keywords",
                "licence",
                "code",
                "data",
                "weights",
                "pdf",
            ],
            (
                [
                    r["number"],
                    r["title"],
                    "; ".join(a["name"] for a in r["authors"]),
                    "; ".join(a["affiliation"] for a in r["authors"]),
                    "; ".join(r["topics"]),
                    "; ".join(r["keywords"]),
                    r["licence"],
                    r["code"],
                    r["data"],
                    r["weights"],
                    r["pdf"] or "",
                ]
                for r in records
            ),
        )
        archive.writestr("papers.csv", table.getvalue())
    bundle.file.save("bundle.zip", ContentFile(buffer.getvalue()), save=False)
    bundle.status = BundleStatus.DONE
    bundle.progress = 100
    bundle.papers = len(papers)
    bundle.save(update_fields=["file", "status", "progress", "papers"])
    return "done"
