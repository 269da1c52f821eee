"""Inviting the programme committee: one by one, in bulk, re-sending, revoking, answering.

The chairs' actions ask `reviews.manage_committee`; the invitee's answers need the link's
token (and, to accept, an account). Each action writes one activity entry when it changes
something; invitation mails are keyed by that entry.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import NotAllowed, ServiceError
from workshop.models import Activity, Role, User, Workshop
from workshop.outbox import mail_queue
from workshop.policy import require
from workshop.services import membership_grant

from ..models import Invitation, InvitationStatus, ReviewerProfile, new_token, token_hash
from ..selectors.committee import COMMITTEE_ROLES

INVITATION_DAYS = 21


@dataclass(frozen=True)
class InvitationRow:
    name: str
    email: str
    role: str


def parse_invitation_rows(
    text: str, *, default_role: str = Role.REVIEWER, bad_lines: list[str] | None = None
) -> tuple[list[InvitationRow], list[str]]:
    """Rows from pasted text or CSV: "name, email[, role]", "Name <email>" or "email".

    Returns the good rows and a list of problems (line number and what is wrong), so that a
    chair sees every bad line at once, each by itself; `bad_lines`, when given, receives each
    bad line's text (its cells joined by ", "), for the form to offer back for correction.
    """
    rows: list[InvitationRow] = []
    problems: list[str] = []
    # A bare CR (pasted from an old Mac file, or a hostile form) is a line end, not a
    # malformed field (csv raised "new-line character seen in unquoted field").
    reader = csv.reader(
        io.StringIO(text.strip().replace("\r\n", "\n").replace("\r", "\n"), newline="")
    )
    for number, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells if c.strip()]
        if not cells or cells[0].startswith("#"):
            continue
        if number == 1 and any(c.lower() in ("email", "e-mail") for c in cells):
            continue  # a header row
        name, email, role = "", "", default_role
        if len(cells) == 1:
            match = re.match(r"^(.*?)\s*<([^>]+)>$", cells[0])
            name, email = (match.group(1).strip('" '), match.group(2)) if match else ("", cells[0])
        else:
            name, email = cells[0], cells[1]
            if len(cells) > 2:
                role = _role(cells[2])
        problem = ""
        try:
            validate_email(email)
        except ValidationError:
            problem = f"Line {number}: “{email}” is not an email address."
        else:
            if role is None:
                problem = f"Line {number}: the role must be reviewer or area chair."
        if problem:
            problems.append(problem)
            if bad_lines is not None:
                bad_lines.append(", ".join(cells))
            continue
        rows.append(InvitationRow(name=name, email=email.lower(), role=role))
    return rows, problems


def _role(text: str) -> str | None:
    key = re.sub(r"[\s_-]+", "", text.lower())
    return {"reviewer": Role.REVIEWER, "pc": Role.REVIEWER, "areachair": Role.AREA_CHAIR,
            "ac": Role.AREA_CHAIR, "metareviewer": Role.AREA_CHAIR}.get(key)  # fmt: skip


def _send(invitation: Invitation, accept: str, decline: str, *, event: Activity) -> None:
    """The invitation mail with both links, keyed by the action's activity entry."""
    invitation.sent_count += 1
    invitation.last_sent_at = timezone.now()
    invitation.save(update_fields=["sent_count", "last_sent_at"])
    recipient = User.objects.filter(email=invitation.email).first()
    mail_queue(
        key=f"invitation:{event.pk}",
        template="committee_invitation",
        to=invitation.email,
        context={
            "invitation": invitation,
            "accept_path": reverse("invitation", args=[accept]),
            "decline_path": reverse("invitation", args=[decline]),
        },
        workshop=invitation.workshop,
        recipient=recipient,
        target=invitation,
    )


def _issue_tokens(invitation: Invitation) -> tuple[str, str]:
    accept, decline = new_token(), new_token()
    invitation.accept_hash, invitation.decline_hash = token_hash(accept), token_hash(decline)
    invitation.expires_at = timezone.now() + dt.timedelta(days=INVITATION_DAYS)
    return accept, decline


@transaction.atomic
def invitation_create(
    *, workshop: Workshop, email: str, name: str = "", role: str, invited_by: User
) -> Invitation:
    """Invite one person. Asks `reviews.manage_committee`.

    Refuses a second pending invitation for the same address and role, and people who
    already hold the role. Side effects: one `invitation.create` activity entry; the
    invitation mail (accept and decline links).
    """
    require(invited_by, "reviews.manage_committee", workshop,
            message="Only the chairs of this workshop can invite its committee.")  # fmt: skip
    if role not in COMMITTEE_ROLES:
        raise ServiceError("The committee has reviewers and area chairs only.")
    email = email.strip().lower()
    holders = workshop.memberships.filter(role=role).filter(
        Q(user__email__iexact=email) | Q(user__emailaddress__email__iexact=email)
    )
    if holders.exists():
        raise ServiceError(f"{email} is already on the committee in that role.")
    invitation = Invitation(workshop=workshop, email=email, name=name.strip(), role=role,
                            invited_by=invited_by)  # fmt: skip
    accept, decline = _issue_tokens(invitation)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        raise ServiceError(f"{email} already has a pending invitation in that role.") from None
    entry = activity_record(
        actor=invited_by, target=invitation, action="invitation.create",
        summary=f"{email} invited as {Role(role).label.lower()}",
    )  # fmt: skip
    _send(invitation, accept, decline, event=entry)
    return invitation


def invitations_bulk(
    *, workshop: Workshop, rows: list[InvitationRow], invited_by: User
) -> tuple[list[Invitation], list[str]]:
    """Invite many; each row stands alone (one `invitation.create` entry each). Returns the
    invitations made and what was skipped."""
    require(invited_by, "reviews.manage_committee", workshop,
            message="Only the chairs of this workshop can invite its committee.")  # fmt: skip
    made, skipped = [], []
    for row in rows:
        try:
            made.append(invitation_create(workshop=workshop, email=row.email, name=row.name,
                                          role=row.role, invited_by=invited_by))  # fmt: skip
        except ServiceError as exc:
            skipped.append(exc.message)
    return made, skipped


@transaction.atomic
def invitation_resend(*, invitation: Invitation, chair: User) -> Invitation:
    """New links (the old ones stop working), a new expiry, and the mail again. Asks
    `reviews.manage_committee`. Side effects: one `invitation.resend` activity entry; the
    mail, keyed by it."""
    invitation = (
        Invitation.objects.select_for_update().select_related("workshop").get(pk=invitation.pk)
    )
    require(chair, "reviews.manage_committee", invitation.workshop,
            message="Only the chairs of this workshop can re-send its invitations.")  # fmt: skip
    if invitation.status != InvitationStatus.PENDING:
        raise ServiceError(f"This invitation is {invitation.get_status_display().lower()}.")
    accept, decline = _issue_tokens(invitation)
    invitation.save(update_fields=["accept_hash", "decline_hash", "expires_at"])
    entry = activity_record(actor=chair, target=invitation, action="invitation.resend",
                            summary=f"Invitation of {invitation.email} sent again")  # fmt: skip
    _send(invitation, accept, decline, event=entry)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, chair: User) -> Invitation:
    """Withdraw a pending invitation (its links stop working). Asks
    `reviews.manage_committee`. Side effects: one `invitation.revoke` activity entry."""
    invitation = (
        Invitation.objects.select_for_update().select_related("workshop").get(pk=invitation.pk)
    )
    require(chair, "reviews.manage_committee", invitation.workshop,
            message="Only the chairs of this workshop can revoke its invitations.")  # fmt: skip
    if invitation.status == InvitationStatus.PENDING:
        invitation.status = InvitationStatus.REVOKED
        invitation.save(update_fields=["status"])
        activity_record(
            actor=chair, target=invitation, action="invitation.revoke",
            summary=f"Invitation of {invitation.email} revoked",
            before={"status": InvitationStatus.PENDING}, after={"status": invitation.status},
        )  # fmt: skip
    return invitation


class InvitationLinkError(ServiceError):
    status_code = 410


def invitation_by_token(token: str) -> tuple[Invitation, str]:
    """The invitation a link belongs to and the link's one purpose: accept or decline."""
    digest = token_hash(token)
    invitation = Invitation.objects.select_related("workshop").filter(accept_hash=digest).first()
    if invitation is not None:
        return invitation, "accept"
    invitation = Invitation.objects.select_related("workshop").filter(decline_hash=digest).first()
    if invitation is not None:
        return invitation, "decline"
    raise InvitationLinkError(
        "This invitation link is not valid. It may have been replaced by a newer invitation: "
        "please use the most recent mail, or write to the chairs."
    )


def check_usable(invitation: Invitation) -> None:
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationLinkError("This invitation has already been accepted; the link works once.")
    if invitation.status == InvitationStatus.DECLINED:
        raise InvitationLinkError("This invitation has already been declined; the link works once.")
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationLinkError("The chairs have withdrawn this invitation.")
    if invitation.is_expired:
        raise InvitationLinkError(
            f"This invitation expired on {invitation.expires_at:%d %B %Y}. "
            f"Ask the chairs ({invitation.workshop.contact_email}) for a new one."
        )


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Invitation:
    """Accept with the accept link, signed in as `user`.

    The invited address is attached to the account (verified: the link proves the mailbox)
    unless it belongs to another account, in which case nothing happens but an explanation.
    Side effects: the role, a reviewer profile, one `invitation.accept` activity entry and
    a welcome mail.
    """
    invitation, purpose = invitation_by_token(token)
    if purpose != "accept":
        raise InvitationLinkError("This is the link to decline the invitation, not to accept it.")
    invitation = (
        Invitation.objects.select_for_update().select_related("workshop").get(pk=invitation.pk)
    )
    check_usable(invitation)
    owner = EmailAddress.objects.filter(email__iexact=invitation.email).exclude(user=user).first()
    other_user = User.objects.filter(email__iexact=invitation.email).exclude(pk=user.pk).first()
    if owner is not None or other_user is not None:
        raise NotAllowed(
            f"This invitation was sent to {invitation.email}, which belongs to another account. "
            "Sign out and sign in with that account to accept it."
        )
    address = EmailAddress.objects.filter(user=user, email__iexact=invitation.email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=invitation.email, verified=True,
                                    primary=False)  # fmt: skip
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
    membership_grant(workshop=invitation.workshop, user=user, role=invitation.role)
    ReviewerProfile.objects.get_or_create(workshop=invitation.workshop, user=user)
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_by = user
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "responded_at"])
    activity_record(
        actor=user, target=invitation, action="invitation.accept",
        summary=f"{user} accepted to join as {Role(invitation.role).label.lower()}",
        before={"status": InvitationStatus.PENDING}, after={"status": invitation.status},
    )  # fmt: skip
    mail_queue(
        key=f"invitation-accepted:{invitation.pk}",
        template="committee_welcome",
        to=user.email,
        context={"invitation": invitation, "user": user},
        workshop=invitation.workshop,
        recipient=user,
        target=invitation,
    )
    return invitation


@transaction.atomic
def invitation_decline(*, token: str, reason: str = "", user: User | None = None) -> Invitation:
    """Decline with the decline link (no account needed; `user` if signed in). Side
    effects: one `invitation.decline` activity entry (with the reason)."""
    invitation, purpose = invitation_by_token(token)
    if purpose != "decline":
        raise InvitationLinkError("This is the link to accept the invitation, not to decline it.")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_usable(invitation)
    invitation.status = InvitationStatus.DECLINED
    invitation.decline_reason = reason.strip()[:2000]
    invitation.responded_at = timezone.now()
    invitation.save(update_fields=["status", "decline_reason", "responded_at"])
    activity_record(
        actor=user, target=invitation, action="invitation.decline",
        summary=f"{invitation.email} declined the invitation",
        before={"status": InvitationStatus.PENDING}, after={"status": invitation.status},
        reason=invitation.decline_reason,
    )  # fmt: skip
    return invitation
