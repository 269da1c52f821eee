"""Mail caused by submission changes, queued in the outbox inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from workshop.models import User
from workshop.outbox import mail_queue

from ..models import Submission, SubmissionEvent


def receipts_queue(
    *, submission: Submission, event: SubmissionEvent, extra_recipients: Iterable[str] = ()
) -> None:
    """A receipt to every author (and anyone just removed) for one change.

    Keyed by the event, so a retried request never sends the same receipt twice.
    """
    submission.refresh_from_db(fields=["paper", "status", "title", "updated_at"])
    authors = list(submission.authors.all())
    recipients = {a.email: a.name for a in authors}
    for email in extra_recipients:
        recipients.setdefault(email, "")
    users = {u.email: u for u in User.objects.filter(email__in=list(recipients))}
    for email, name in recipients.items():
        mail_queue(
            key=f"receipt:{event.pk}:{email}",
            template="submission_receipt",
            to=email,
            context={
                "submission": submission,
                "event": event,
                "name": name,
                "authors": authors,
                "paper": submission.paper,
                "removed": email not in {a.email for a in authors},
            },
            workshop=submission.workshop,
            recipient=users.get(email),
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
        )
