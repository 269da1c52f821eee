"""External reviewers (subreviewers, issue 28): request, hold, release, answer, approve.

A reviewer or area chair of a paper asks an outside expert by e-mail
(`external_request_create`); the address is checked for conflicts first, and a possible
conflict (or the chairs' "approval" policy) holds the request for a chair, who releases or
refuses it (`external_request_release`, `external_request_refuse`). The invitation mail
carries two single-use links, stored as hashes; accepting (signed in) gives the expert an
assignment of role `EXTERNAL` on that one paper (`external_request_accept`), declining
needs no account. The review is written on the committee's form and counts on the desk once
the requester approves it (`external_review_approve`), or at once, as the chairs choose.

Every change writes one activity entry; the invitation mail is keyed by it.
"""

from __future__ import annotations

import datetime as dt
import string

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from submissions.models import Submission
from workshop.activity import activity_record
from workshop.errors import NotAllowed, ServiceError
from workshop.models import Activity, User
from workshop.outbox import mail_queue
from workshop.policy import can, require, require_visible

from ..models import (
    EXTERNAL,
    Assignment,
    ExternalCounting,
    ExternalPolicy,
    ExternalReviewRequest,
    ExternalStatus,
    new_token,
    token_hash,
)
from ..permissions import review_submitted
from ..selectors.external import account_of, external_conflict_reasons, external_settings
from .scores import paper_scores_refresh

LINK_DAYS = 14
APPROVAL_HOLD = "approval"  # the hold reason of the chairs' "approval" policy


class ExternalLinkError(ServiceError):
    status_code = 410


def _send(request: ExternalReviewRequest, *, event: Activity) -> None:
    """New links (old ones stop working) and the invitation mail, keyed by `event`."""
    accept, decline = new_token(), new_token()
    request.accept_hash, request.decline_hash = token_hash(accept), token_hash(decline)
    request.expires_at = min(
        timezone.now() + dt.timedelta(days=LINK_DAYS), max(request.due_at, timezone.now())
    )
    request.status = ExternalStatus.PENDING
    request.save(update_fields=["accept_hash", "decline_hash", "expires_at", "status"])
    mail_queue(
        key=f"external-invitation:{event.pk}",
        template="external_invitation",
        to=request.email,
        context={
            "request": request,
            "submission": request.submission,
            "accept_path": reverse("external_invitation", args=[accept]),
            "decline_path": reverse("external_invitation", args=[decline]),
        },
        workshop=request.submission.workshop,
        recipient=account_of(request.email),
        target=request,
    )


@transaction.atomic
def external_request_create(
    *,
    submission: Submission,
    requester: User,
    email: str,
    name: str = "",
    message: str = "",
    emergency: bool = False,
) -> ExternalReviewRequest:
    """Ask `email` for an external review of the paper. Asks `reviews.view_paper`, then
    `reviews.request_external` (and `reviews.recruit_emergency` for an emergency).

    The address is checked for conflicts with the paper first (`external_conflict_reasons`);
    a possible conflict, or the chairs' "approval" policy for a requester who is not a
    chair, holds the request for a chair and sends nothing. Side effects: one
    `external.request` activity entry; the invitation mail unless held.
    """
    require_visible(requester, "reviews.view_paper", submission)
    require(requester, "reviews.request_external", submission,
            message="You may not request an external reviewer for this paper.")  # fmt: skip
    if emergency:
        require(requester, "reviews.recruit_emergency", submission,
                message="Only the paper's area chair and the chairs recruit an emergency "
                        "reviewer.")  # fmt: skip
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(f"“{email}” is not an email address.") from None
    workshop = submission.workshop
    settings = external_settings(workshop)
    holder = account_of(email)
    if holder is not None and (
        holder.pk == requester.pk
        or Assignment.objects.filter(
            submission=submission, reviewer=holder, declined_at__isnull=True
        ).exists()
    ):
        raise ServiceError(f"{email} already reviews this paper.")
    now = timezone.now()
    due = (
        now + dt.timedelta(days=settings.emergency_days)
        if emergency
        else max(workshop.review_deadline, now + dt.timedelta(days=settings.emergency_days))
    )
    hold = external_conflict_reasons(submission, email, name)
    if settings.policy == ExternalPolicy.APPROVAL and not can(
        requester, "reviews.decide_external_request", workshop
    ):
        hold.append(APPROVAL_HOLD)
    request = ExternalReviewRequest(
        submission=submission, requester=requester, email=email, name=name.strip()[:200],
        message=message.strip()[:5000], emergency=emergency, due_at=due,
        status=ExternalStatus.HELD if hold else ExternalStatus.PENDING, hold_reasons=hold,
    )  # fmt: skip
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:
        raise ServiceError(f"{email} has already been asked to review this paper.") from None
    held = " (held for a chair: " + ", ".join(hold) + ")" if hold else ""
    entry = activity_record(
        actor=requester, target=request, action="external.request",
        summary=f"External review of #{submission.number} requested from {email}{held}",
        after={"status": request.status, "hold_reasons": hold, "emergency": emergency},
    )  # fmt: skip
    if not hold:
        _send(request, event=entry)
    return request


def _locked(request: ExternalReviewRequest) -> ExternalReviewRequest:
    return (
        ExternalReviewRequest.objects.select_for_update(of=("self",))
        .select_related("submission__workshop", "requester")
        .get(pk=request.pk)
    )


@transaction.atomic
def external_request_release(*, request: ExternalReviewRequest, chair: User
                             ) -> ExternalReviewRequest:  # fmt: skip
    """A chair lets a held request go: the invitation is sent. Asks
    `reviews.decide_external_request`. Side effects: one `external.release` activity entry;
    the invitation mail, keyed by it."""
    request = _locked(request)
    require(chair, "reviews.decide_external_request", request,
            message="Only the chairs release a held request.")  # fmt: skip
    if request.status != ExternalStatus.HELD:
        raise ServiceError(f"This request is {request.get_status_display().lower()}.")
    request.decided_by = chair
    request.save(update_fields=["decided_by"])
    entry = activity_record(
        actor=chair, target=request, action="external.release",
        summary=f"External review request of #{request.submission.number} to {request.email} "
                "released",
        before={"status": ExternalStatus.HELD}, after={"status": ExternalStatus.PENDING},
    )  # fmt: skip
    _send(request, event=entry)
    return request


@transaction.atomic
def external_request_refuse(*, request: ExternalReviewRequest, chair: User, reason: str = ""
                            ) -> ExternalReviewRequest:  # fmt: skip
    """A chair refuses a held request; nothing is sent. Asks
    `reviews.decide_external_request`. Side effects: one `external.refuse` activity entry."""
    request = _locked(request)
    require(chair, "reviews.decide_external_request", request,
            message="Only the chairs refuse a held request.")  # fmt: skip
    if request.status != ExternalStatus.HELD:
        raise ServiceError(f"This request is {request.get_status_display().lower()}.")
    request.status = ExternalStatus.REFUSED
    request.decided_by = chair
    request.save(update_fields=["status", "decided_by"])
    activity_record(
        actor=chair, target=request, action="external.refuse",
        summary=f"External review request of #{request.submission.number} to {request.email} "
                "refused",
        before={"status": ExternalStatus.HELD}, after={"status": request.status},
        reason=reason.strip()[:2000],
    )  # fmt: skip
    return request


def external_request_by_token(token: str) -> tuple[ExternalReviewRequest, str]:
    """The request a link belongs to and the link's one purpose: accept or decline."""
    digest = token_hash(token)
    found = ExternalReviewRequest.objects.select_related("submission__workshop")
    for purpose, field in (("accept", "accept_hash"), ("decline", "decline_hash")):
        request = found.filter(**{field: digest}).first()
        if request is not None:
            return request, purpose
    raise ExternalLinkError(
        "This link is not valid. It may have been replaced by a newer one: please use the "
        "most recent mail, or write to the chairs."
    )


def external_check_usable(request: ExternalReviewRequest) -> None:
    """Refuse a link that was used, withdrawn or expired, saying which."""
    messages = {
        ExternalStatus.ACCEPTED: "This invitation has already been accepted; the link works once.",
        ExternalStatus.DECLINED: "This invitation has already been declined; the link works once.",
        ExternalStatus.REVOKED: "This invitation was withdrawn.",
        ExternalStatus.REFUSED: "This invitation was withdrawn by the chairs.",
        ExternalStatus.HELD: "This invitation is waiting for the chairs.",
    }
    if request.status in messages:
        raise ExternalLinkError(messages[request.status])
    if request.is_expired:
        raise ExternalLinkError(
            f"This invitation expired on {request.expires_at:%d %B %Y}. Ask the chairs "
            f"({request.submission.workshop.contact_email}) for a new one."
        )


def _pseudonym(submission: Submission) -> str:
    """The next free letter among the paper's external reviewers (External reviewer A, B)."""
    used = set(
        Assignment.objects.filter(submission=submission, role=EXTERNAL).values_list(
            "pseudonym", flat=True
        )
    )
    letters = list(string.ascii_uppercase) + [a + b for a in string.ascii_uppercase
                                              for b in string.ascii_uppercase]  # fmt: skip
    return next(x for x in letters if x not in used)


@transaction.atomic
def external_request_accept(*, token: str, user: User) -> ExternalReviewRequest:
    """Accept with the accept link, signed in as `user`.

    The address is attached to the account (verified: the link proves the mailbox) unless
    another account owns it. The account's own conflicts are checked again (it may bring
    declarations, publications, an authorship): a new one holds the request for a chair
    instead (status `held`). Side effects: the assignment of role `EXTERNAL` on the one
    paper, one `external.accept` (or `external.hold`) activity entry.
    """
    request, purpose = external_request_by_token(token)
    if purpose != "accept":
        raise ExternalLinkError("This is the link to decline the invitation, not to accept it.")
    request = _locked(request)
    external_check_usable(request)
    owner = account_of(request.email)
    if owner is not None and owner.pk != user.pk:
        raise NotAllowed(
            f"This invitation was sent to {request.email}, which belongs to another account. "
            "Sign out and sign in with that account to accept it."
        )
    submission = request.submission
    if Assignment.objects.filter(submission=submission, reviewer=user).exists():
        raise NotAllowed("You are already on this paper's committee.")
    address = EmailAddress.objects.filter(user=user, email__iexact=request.email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=request.email, verified=True,
                                    primary=False)  # fmt: skip
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
    known = set(request.hold_reasons) if request.decided_by_id else set()
    found = set(external_conflict_reasons(submission, request.email, user.name)) - known
    if found:
        request.status = ExternalStatus.HELD
        request.hold_reasons = sorted(found | known)
        request.decided_by = None
        request.save(update_fields=["status", "hold_reasons", "decided_by"])
        activity_record(
            actor=user, target=request, action="external.hold",
            summary=f"External review of #{submission.number} by {request.email} held for a "
                    f"chair on accepting: {', '.join(sorted(found))}",
            before={"status": ExternalStatus.PENDING}, after={"status": request.status},
        )  # fmt: skip
        return request
    counts = external_settings(submission.workshop).counting == ExternalCounting.AT_ONCE
    request.assignment = Assignment.objects.create(
        submission=submission, reviewer=user, role=EXTERNAL, created_by=request.requester,
        pseudonym=_pseudonym(submission),
    )  # fmt: skip
    request.status = ExternalStatus.ACCEPTED
    request.responded_at = timezone.now()
    request.counts = counts
    request.save(update_fields=["assignment", "status", "responded_at", "counts"])
    activity_record(
        actor=user, target=request, action="external.accept",
        summary=f"{request.email} accepted to review #{submission.number} as external reviewer",
        before={"status": ExternalStatus.PENDING}, after={"status": request.status},
    )  # fmt: skip
    return request


@transaction.atomic
def external_request_decline(*, token: str, reason: str = "", user: User | None = None
                             ) -> ExternalReviewRequest:  # fmt: skip
    """Decline with the decline link (no account needed). Side effects: one
    `external.decline` activity entry, with the reason."""
    request, purpose = external_request_by_token(token)
    if purpose != "decline":
        raise ExternalLinkError("This is the link to accept the invitation, not to decline it.")
    request = _locked(request)
    external_check_usable(request)
    request.status = ExternalStatus.DECLINED
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])
    activity_record(
        actor=user, target=request, action="external.decline",
        summary=f"{request.email} declined to review #{request.submission.number}",
        before={"status": ExternalStatus.PENDING}, after={"status": request.status},
        reason=reason.strip()[:2000],
    )  # fmt: skip
    return request


@transaction.atomic
def external_review_approve(*, request: ExternalReviewRequest, actor: User
                            ) -> ExternalReviewRequest:  # fmt: skip
    """The requester (or a chair) approves the submitted external review: from now on it
    counts on the desk and in the paper's stored figures. Asks
    `reviews.approve_external_review`. Side effects: one `external.approve` activity
    entry; the paper's figures refreshed."""
    request = _locked(request)
    require_visible(actor, "reviews.view_paper", request.submission)
    require(actor, "reviews.approve_external_review", request,
            message="Only the requester and the chairs approve this review.")  # fmt: skip
    assignment = request.assignment
    if assignment is None or not review_submitted(assignment):
        raise ServiceError("The external review has not been submitted yet.")
    if request.counts:
        return request
    request.counts = True
    request.approved_at = timezone.now()
    request.approved_by = actor
    request.save(update_fields=["counts", "approved_at", "approved_by"])
    paper_scores_refresh([request.submission_id])
    activity_record(
        actor=actor, target=request, action="external.approve",
        summary=f"External review of #{request.submission.number} "
                f"({assignment.display_name}) approved",
        before={"counts": False}, after={"counts": True},
    )  # fmt: skip
    return request


@transaction.atomic
def external_request_withdraw(*, request: ExternalReviewRequest, actor: User
                              ) -> ExternalReviewRequest:  # fmt: skip
    """The requester (or a chair) withdraws a request not answered yet: its links stop
    working. Asks `reviews.withdraw_external_request`. Side effects: one `external.withdraw`
    activity entry."""
    request = _locked(request)
    require_visible(actor, "reviews.view_paper", request.submission)
    require(actor, "reviews.withdraw_external_request", request,
            message="Only the requester and the chairs withdraw this request.")  # fmt: skip
    if request.status not in (ExternalStatus.HELD, ExternalStatus.PENDING):
        raise ServiceError(f"This request is {request.get_status_display().lower()}.")
    before = request.status
    request.status = ExternalStatus.REVOKED
    request.save(update_fields=["status"])
    activity_record(
        actor=actor, target=request, action="external.withdraw",
        summary=f"External review request of #{request.submission.number} to {request.email} "
                "withdrawn",
        before={"status": before}, after={"status": request.status},
    )  # fmt: skip
    return request
