"""Mail caused by submission changes, queued in the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from workshop.models import Activity, User
from workshop.outbox import mail_queue

from ..models import Submission, SubmissionAction


def receipts_queue(
    *, submission: Submission, activity: Activity, extra_recipients: Iterable[str] = ()
) -> None:
    """A receipt to every author (and anyone just removed) for one change.

    Keyed by the activity entry of the change, so a retried request never sends the same
    receipt twice while every new change sends its own.
    """
    submission.refresh_from_db(fields=["paper", "status", "title", "updated_at"])
    authors = list(submission.authors.all())
    recipients = {a.email: a.name for a in authors if a.email}
    for email in extra_recipients:
        recipients.setdefault(email, "")
    users = {u.email: u for u in User.objects.filter(email__in=list(recipients))}
    current = {a.email for a in authors}
    for email, name in recipients.items():
        mail_queue(
            key=f"receipt:{activity.pk}:{email}",
            template="submission_receipt",
            to=email,
            context={
                "submission": submission,
                "activity": activity,
                "change": SubmissionAction.label_of(activity),
                "name": name,
                "authors": authors,
                "paper": submission.paper,
                "removed": email not in current,
            },
            workshop=submission.workshop,
            recipient=users.get(email),
            target=submission,
        )


def coauthor_invitations_queue(*, submission: Submission, emails: Iterable[str]) -> None:
    """Tell co-authors without an account how to see the submission (once per address)."""
    from allauth.account.models import EmailAddress

    emails = list(emails)
    known = {
        e.lower()
        for e in EmailAddress.objects.filter(email__in=emails, verified=True).values_list(
            "email", flat=True
        )
    }
    for author in submission.authors.filter(email__in=[e for e in emails if e not in known]):
        mail_queue(
            key=f"coauthor-invite:{submission.pk}:{author.email}",
            template="submission_coauthor_invite",
            to=author.email,
            context={"submission": submission, "author": author},
            workshop=submission.workshop,
            target=submission,
        )
