"""Pure predicates about submissions, shared by views, templates, services and admin."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from workshop.models import User
from workshop.phases import accepts_until

from .models import DECIDED, Submission, SubmissionStatus


def verified_emails(user: User | AnonymousUser) -> frozenset[str]:
    """The user's verified addresses, lower-cased; cached on the user for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = user.__dict__.get("_verified_emails")
    if cached is None:
        from allauth.account.models import EmailAddress

        cached = frozenset(
            e.lower()
            for e in EmailAddress.objects.filter(user=user, verified=True).values_list(
                "email", flat=True
            )
        )
        user.__dict__["_verified_emails"] = cached
    return cached


def _author_rows(user: User | AnonymousUser, submission: Submission) -> list:
    emails = verified_emails(user)
    return [a for a in submission.authors.all() if a.email in emails]


def is_author(user: User | AnonymousUser, submission: Submission) -> bool:
    return bool(_author_rows(user, submission))


def is_contact_author(user: User | AnonymousUser, submission: Submission) -> bool:
    return any(a.is_contact for a in _author_rows(user, submission))


def is_registered_in_time(submission: Submission) -> bool:
    """With an abstract deadline, a paper must have been registered by it (grace included)."""
    w = submission.workshop
    if w.abstract_deadline is None:
        return True
    return submission.registered_at is not None and accepts_until(
        w.abstract_deadline, w, submission.registered_at
    )


def edits_open(submission: Submission, now: dt.datetime | None = None) -> bool:
    """Metadata, authors and the paper PDF: until the paper deadline (plus grace)."""
    now = now or timezone.now()
    w = submission.workshop
    if submission.status not in (SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED):
        return False
    if not accepts_until(w.paper_deadline, w, now):
        return False
    if w.abstract_deadline and not accepts_until(w.abstract_deadline, w, now):
        return is_registered_in_time(submission)
    return True


def supplementary_open(submission: Submission, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    w = submission.workshop
    deadline = w.supplementary_deadline or w.paper_deadline
    if submission.status not in (SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED):
        return False
    abstracts_closed = w.abstract_deadline and not accepts_until(w.abstract_deadline, w, now)
    if abstracts_closed and not is_registered_in_time(submission):
        return False
    return accepts_until(deadline, w, now)


def can_withdraw(user: User | AnonymousUser, submission: Submission) -> bool:
    return is_contact_author(user, submission) and submission.status not in (
        *DECIDED,
        SubmissionStatus.WITHDRAWN,
    )


def can_edit(user: User | AnonymousUser, submission: Submission) -> bool:
    return is_contact_author(user, submission) and edits_open(submission)
