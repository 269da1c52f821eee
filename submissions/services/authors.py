"""The ordered author list and the conflicts the authors declare."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from workshop.errors import ServiceError
from workshop.models import User
from workshop.plurals import counted

from ..models import AuthorConflict, Authorship, Submission, SubmissionAction
from ..permissions import verified_emails
from .lifecycle import history_record, lock_for, registration_stamp
from .notify import coauthor_invitations_queue, receipts_queue

MAX_AUTHORS = 50


@dataclass(frozen=True)
class AuthorEntry:
    name: str
    email: str
    affiliation: str = ""
    is_contact: bool = False


def author_add_submitter(*, submission: Submission, user: User) -> Authorship:
    return Authorship.objects.create(
        submission=submission,
        position=1,
        name=user.name or user.email,
        email=user.email.lower(),
        affiliation=user.affiliation,
        is_contact=True,
    )


def _validate(entries: list[AuthorEntry], user: User) -> list[AuthorEntry]:
    cleaned = [
        AuthorEntry(e.name.strip(), e.email.strip().lower(), e.affiliation.strip(), e.is_contact)
        for e in entries
    ]
    if not cleaned:
        raise ServiceError("A paper needs at least one author.")
    if len(cleaned) > MAX_AUTHORS:
        raise ServiceError(f"At most {MAX_AUTHORS} authors, please.")
    emails = [e.email for e in cleaned]
    duplicates = sorted({e for e in emails if emails.count(e) > 1})
    if duplicates:
        raise ServiceError(f"Each author needs their own email address: {', '.join(duplicates)}.")
    if any(not e.name for e in cleaned):
        raise ServiceError("Every author needs a name.")
    mine = verified_emails(user)
    if not any(e.is_contact and e.email in mine for e in cleaned):
        raise ServiceError(
            "You must stay a contact author of this paper (one of your verified addresses, "
            "marked as contact)."
        )
    return cleaned


@transaction.atomic
def authors_replace(
    *, submission: Submission, user: User, entries: list[AuthorEntry], notify: bool = True
) -> Submission:
    """Replace the ordered author list (`submissions.edit`: contact authors, until the
    deadline).

    Side effects: one `submission.authors` entry; a notice of the change to every author,
    including the ones removed; an invitation to each new co-author whose address has no
    account yet. Nothing when the list is unchanged.
    """
    submission = lock_for(submission, user, "submissions.edit")
    cleaned = _validate(entries, user)
    current = list(submission.authors.all())
    before = [(a.name, a.email, a.affiliation, a.is_contact) for a in current]
    after = [(e.name, e.email, e.affiliation, e.is_contact) for e in cleaned]
    if before == after:
        return submission
    old_emails = {a.email for a in current}
    new_emails = [e.email for e in cleaned]
    removed = sorted(old_emails - set(new_emails))
    added = [e for e in new_emails if e not in old_emails]
    submission.authors.all().delete()
    Authorship.objects.bulk_create(
        Authorship(
            submission=submission,
            position=i,
            name=e.name,
            email=e.email,
            affiliation=e.affiliation,
            is_contact=e.is_contact,
        )
        for i, e in enumerate(cleaned, start=1)
    )
    registration_stamp(submission)
    parts = []
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    if not parts:
        parts.append("order, names, affiliations or contacts changed")
    entry = history_record(
        submission=submission,
        actor=user,
        action=SubmissionAction.AUTHORS,
        summary="Authors: " + "; ".join(parts),
    )
    if notify:
        receipts_queue(submission=submission, activity=entry, extra_recipients=removed)
        coauthor_invitations_queue(submission=submission, emails=added)
    submission.save(update_fields=["updated_at"])
    return submission


@transaction.atomic
def conflicts_declare(
    *, submission: Submission, user: User, members: list[User], institutions: list[str]
) -> Submission:
    """Replace the conflicts the authors declare (committee members and institutions), as
    `submissions.declare_conflicts` allows (contact authors, until the deadline).

    Side effects: one `submission.conflicts` entry. Only committee members of this workshop
    count.
    """
    submission = lock_for(submission, user, "submissions.declare_conflicts")
    committee = set(
        User.objects.filter(memberships__workshop=submission.workshop).values_list("pk", flat=True)
    )
    if any(m.pk not in committee for m in members):
        raise ServiceError("You can only name members of this workshop's committee.")
    names = sorted({i.strip()[:200] for i in institutions if i.strip()}, key=str.lower)
    submission.declared_conflicts.all().delete()
    AuthorConflict.objects.bulk_create(
        [
            AuthorConflict(submission=submission, member=m)
            for m in {m.pk: m for m in members}.values()
        ]
        + [AuthorConflict(submission=submission, institution=name) for name in names]
    )
    history_record(
        submission=submission,
        actor=user,
        action=SubmissionAction.CONFLICTS,
        summary=(
            f"{counted(len(members), 'committee member')}, {counted(len(names), 'institution')}"
        ),
    )
    return submission
