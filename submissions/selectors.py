"""Reads of submissions that depend on who asks. Views never fetch a Submission otherwise."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Lower

from workshop.models import Activity, User, Workshop

from .models import Authorship, Submission, SubmissionAction, SubmissionFile


def _verified_email_subquery(user: User) -> QuerySet:
    return (
        EmailAddress.objects.filter(user=user, verified=True)
        .annotate(lower_email=Lower("email"))
        .values("lower_email")
    )


def submissions_authored_by(user: User | AnonymousUser) -> QuerySet[Submission]:
    """Every submission that lists one of the user's verified addresses as an author."""
    if not user.is_authenticated:
        return Submission.objects.none()
    mine = Authorship.objects.filter(
        submission=OuterRef("pk"), email__in=_verified_email_subquery(user)
    )
    return Submission.objects.filter(Exists(mine))


def author_dashboard(user: User | AnonymousUser) -> QuerySet[Submission]:
    """The author's submissions across workshops, with what the dashboard shows, in a
    constant number of queries."""
    return (
        submissions_authored_by(user)
        .select_related("workshop", "primary_topic", "submission_type", "paper")
        .prefetch_related("authors", "secondary_topics")
        .order_by("-updated_at")
    )


def submission_for_viewer(user: User | AnonymousUser, pk: int) -> Submission:
    """One submission for its author pages, if the user holds `submissions.view` on it (its
    authors and its chairs); raises Submission.DoesNotExist otherwise (a 404)."""
    from workshop.policy import can

    submission = (
        Submission.objects.select_related(
            "workshop", "primary_topic", "submission_type", "paper", "supplementary"
        )
        .prefetch_related(
            "authors",
            "secondary_topics",
            Prefetch("files", queryset=SubmissionFile.objects.order_by("-uploaded_at", "-pk")),
            "declared_conflicts__member",
        )
        .filter(pk=pk)
        .first()
    )
    if submission is None or not can(user, "submissions.view", submission):
        raise Submission.DoesNotExist
    return submission


def submission_file_visible_to(
    user: User | AnonymousUser, submission_pk: int, file_pk: int
) -> SubmissionFile:
    """A file version the user may download: as an author of its paper, or as its chair."""
    from django.db.models import Q

    from workshop.selectors import chaired_workshop_ids

    return SubmissionFile.objects.select_related("submission__workshop").get(
        Q(submission__in=submissions_authored_by(user))
        | Q(submission__workshop_id__in=chaired_workshop_ids(user)),
        pk=file_pk,
        submission_id=submission_pk,
    )


def submission_history(submission: Submission, *, limit: int = 50) -> list[Activity]:
    """The paper's history as its authors read it: its activity entries marked
    `authors_see`, newest first, in one query.

    Each entry gets `label` (what changed), `text` (label and summary without repeating
    each other) and `who`. Who acted is named as it always was
    for the paper's own actions (the author, the restoring chair, "system" for checks);
    entries other apps share with the authors never name a person who is not an author.
    """
    entries = list(
        Activity.objects.filter(submission_id=submission.pk, authors_see=True)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    author_emails = {a.email for a in submission.authors.all()}
    for entry in entries:
        own = entry.action in SubmissionAction.values
        entry.label = SubmissionAction(entry.action).label if own else entry.summary
        entry.label = entry.label or entry.action
        # "Submitted" needs no "Submitted: Submitted"; a summary that says it all stands alone.
        words = entry.label.split()[:1]
        entry.text = (
            entry.summary
            if entry.summary and words and entry.summary.lower().startswith(words[0].lower())
            else ": ".join(x for x in (entry.label, entry.summary) if x)
        )
        if entry.actor is None:
            entry.who = "system"
        elif entry.actor.email.lower() in author_emails:
            entry.who = entry.actor.name or entry.actor.email
        elif own:
            entry.who = entry.actor.name or "the chairs"
        else:
            entry.who = "the chairs"
    return entries


def committee_for_conflicts(workshop: Workshop) -> QuerySet[User]:
    """Committee members an author may declare a conflict with (names and affiliations)."""
    return (
        User.objects.filter(memberships__workshop=workshop)
        .distinct()
        .only("pk", "name", "affiliation")
        .order_by("name")
    )
