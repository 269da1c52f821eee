"""The presenters' side: confirm attendance, upload slides or a poster.

Both ask their named permission for the paper (the presenter or a contact author of a
placed, accepted paper on a published programme, until the upload deadline). Uploads go
through the same upload-time PDF checks as papers (`submissions.filechecks.check_pdf`:
signature, parse, encryption, active content, size), without a page limit.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from submissions.filechecks import check_pdf
from submissions.filechecks.errors import read_limited
from submissions.models import Submission
from workshop.activity import activity_record
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.policy import can, require_visible

from ..models import MaterialKind, Placement
from ..permissions import uploads_open
from .mails import placements_for_mail, slot_mails_queue


def _locked_placement(actor: Any, submission: Submission, perm: str, refused: str) -> Placement:
    submission = (
        Submission.objects.select_for_update(of=("self",))
        .select_related("workshop")
        .get(pk=submission.pk)
    )
    require_visible(actor, "programme.view_slot", submission)
    if not can(actor, perm, submission):
        if not uploads_open(submission.workshop):
            raise DeadlinePassed("The presenters' upload deadline has passed.")
        raise NotAllowed(refused)
    placement = (
        Placement.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(submission=submission)
    )
    placement.submission = submission
    return placement


@transaction.atomic
def attendance_confirm(*, actor: Any, submission: Submission) -> Placement:
    """The presenter confirms they will attend. Idempotent: a second confirmation changes
    nothing and logs nothing. Side effects: one `programme.confirm` entry (the authors see
    it in the paper's history)."""
    placement = _locked_placement(
        actor,
        submission,
        "programme.confirm_attendance",
        "Only the paper's presenter or contact authors confirm attendance.",
    )
    if placement.attendance_confirmed_at is not None:
        return placement
    placement.attendance_confirmed_at = timezone.now()
    placement.attendance_confirmed_by = actor
    placement.save(update_fields=["attendance_confirmed_at", "attendance_confirmed_by"])
    activity_record(
        actor=actor,
        target=placement.submission,
        action="programme.confirm",
        summary=f"Attendance confirmed for {placement.session.title}",
        authors_see=True,
    )
    return placement


@transaction.atomic
def material_upload(
    *, actor: Any, submission: Submission, upload: UploadedFile, kind: str
) -> Placement:
    """Slides or a poster (PDF). Raises FileCheckError and changes nothing for a file the
    checks refuse. Side effects: one `programme.material` entry (authors see it)."""
    if kind not in MaterialKind.values:
        raise ServiceError("Upload slides or a poster.")
    placement = _locked_placement(
        actor,
        submission,
        "programme.upload_material",
        "Only the paper's presenter or contact authors upload its slides or poster.",
    )
    limit = placement.submission.workshop.upload_limit_bytes
    data = read_limited(upload, limit)
    info = check_pdf(data, max_bytes=limit, max_pages=None)
    placement.material.save("material", ContentFile(data), save=False)
    placement.material_kind = kind
    placement.material_sha256 = info.sha256
    placement.material_pages = info.page_count
    placement.material_uploaded_at = timezone.now()
    placement.save()
    label = MaterialKind(kind).label
    activity_record(
        actor=actor,
        target=placement.submission,
        action="programme.material",
        summary=f"{label} uploaded ({info.size:,} bytes, {info.page_count} pages; "
        f"SHA-256 {info.sha256[:16]}…)",
        authors_see=True,
    )
    return placement


@transaction.atomic
def presenter_choose(*, actor: Any, submission: Submission, email: str) -> Placement:
    """Name the author who presents the paper: one of its authors with a verified address of
    an account; an empty `email` gives the role back to the contact authors. Asks
    `programme.choose_presenter`. Side effects: one `programme.presenter` entry (authors see
    it); on a published programme, the slot mail to the new presenter."""
    if len(email) > 254:  # no address is longer (RFC 5321); SQLite refuses such a LIKE
        raise ServiceError("That is not an e-mail address: it is too long.")
    placement = _locked_placement(
        actor,
        submission,
        "programme.choose_presenter",
        "Only the contact authors or the chairs choose the presenter.",
    )
    paper = placement.submission
    presenter = None
    if email:
        author = paper.authors.filter(email__iexact=email).first()
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True)
            .select_related("user")
            .first()
        )
        if author is None:
            raise ServiceError("The presenter must be one of the paper's authors.")
        if address is None:
            raise ServiceError(
                f"{author.name} has no account with a confirmed address {email} yet: they "
                "sign up first, then you can name them."
            )
        presenter = address.user
    if placement.presenter_id == (presenter.pk if presenter else None):
        return placement
    placement.presenter = presenter
    placement.save(update_fields=["presenter"])
    activity_record(
        actor=actor,
        target=paper,
        action="programme.presenter",
        summary=f"Presenter: {presenter.name if presenter else 'the contact authors'}",
        authors_see=True,
    )
    slot_mails_queue(paper.workshop, placements_for_mail(paper.workshop, pk=placement.pk))
    return placement
