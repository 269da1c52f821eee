"""Reads of submissions that depend on who asks. Views never fetch a Submission otherwise."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from workshop.models import Activity, User, Workshop
from workshop.policy import can
from workshop.selectors import chaired_workshop_ids

from .models import Authorship, Submission, SubmissionAction, SubmissionFile, SubmissionStatus


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


def submissions_listed_for(user: User | AnonymousUser) -> QuerySet[Submission]:
    """The papers a user's list of submissions holds: those they author, and every paper of
    the workshops they chair (the API's list; `submissions.view` still decides each one)."""
    if not user.is_authenticated:
        return Submission.objects.none()
    return Submission.objects.filter(
        Q(pk__in=submissions_authored_by(user).values("pk"))
        | Q(workshop_id__in=chaired_workshop_ids(user))
    )


def with_details(queryset: QuerySet[Submission]) -> QuerySet[Submission]:
    """What a paper's record shows (its workshop, topics, type, files, authors), fetched
    with it: a constant number of queries for any number of papers."""
    return queryset.select_related(
        "workshop", "primary_topic", "submission_type", "paper", "supplementary"
    ).prefetch_related("authors", "secondary_topics")


def author_dashboard(user: User | AnonymousUser) -> QuerySet[Submission]:
    """The author's submissions across workshops, with what the dashboard shows, in a
    constant number of queries."""
    return (
        submissions_authored_by(user)
        .select_related("workshop", "primary_topic", "submission_type", "paper", "camera_ready")
        .prefetch_related(
            "authors",
            "secondary_topics",
            "workshop__submission_types",
            "declared_conflicts",
        )
        .order_by("-updated_at")
    )


def submission_for_viewer(user: User | AnonymousUser, pk: int, *, files: bool = True) -> Submission:
    """One submission for its author pages, if the user holds `submissions.view` on it (its
    authors and its chairs); raises Submission.DoesNotExist otherwise (a 404). `files`:
    with every version of its files and its declared conflicts (the page shows them; the
    API's record does not)."""
    queryset = with_details(Submission.objects.filter(pk=pk))
    if files:
        queryset = queryset.prefetch_related(
            Prefetch("files", queryset=SubmissionFile.objects.order_by("-uploaded_at", "-pk")),
            "declared_conflicts__member",
        )
    submission = queryset.first()
    if submission is None or not can(user, "submissions.view", submission):
        raise Submission.DoesNotExist
    return submission


def submission_file_visible_to(
    user: User | AnonymousUser, submission_pk: int, file_pk: int
) -> SubmissionFile:
    """A file version of a paper the user holds `submissions.view` on (its authors and its
    chairs); raises SubmissionFile.DoesNotExist otherwise (a 404)."""
    stored = (
        SubmissionFile.objects.select_related("submission__workshop")
        .filter(pk=file_pk, submission_id=submission_pk)
        .first()
    )
    if stored is None or not can(user, "submissions.view", stored.submission):
        raise SubmissionFile.DoesNotExist
    return stored


def submission_history(submission: Submission, *, limit: int = 50) -> list[Activity]:
    """The paper's history as its authors read it: its activity entries marked
    `authors_see`, newest first, in one query.

    Each entry gets `text` (its label, `SubmissionAction.label_of`, and its summary, without
    saying the same thing twice) and `who`. Who acted is named as it always was for the
    paper's own actions (the author, the restoring chair, "system" for checks); entries other
    apps share with the authors never name a person who is not an author.
    """
    entries = list(
        Activity.objects.filter(submission_id=submission.pk, authors_see=True)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    author_emails = {a.email for a in submission.authors.all()}
    for entry in entries:
        label, summary = SubmissionAction.label_of(entry), entry.summary
        # "Submitted" rather than "Submitted: Submitted"; "Authors: added …" rather than
        # "Authors changed: Authors: added …": a summary that opens like its label says it all.
        if summary and summary.lower().startswith(label.split()[0].lower()):
            entry.text = summary
        else:
            entry.text = ": ".join(x for x in (label, summary) if x)
        own = entry.action in SubmissionAction.values
        if entry.actor is None:
            entry.who = "system"
        elif entry.actor.email.lower() in author_emails:
            entry.who = entry.actor.name or entry.actor.email
        elif own:
            entry.who = entry.actor.name or "the chairs"
        else:
            entry.who = "the chairs"
    return entries


def accepted_papers(workshop: Workshop) -> QuerySet[Submission]:
    """What the public accepted-papers page and the proceedings show (the page asks
    `submissions.view_accepted` first)."""
    return (
        Submission.objects.filter(workshop=workshop, status=SubmissionStatus.ACCEPTED)
        .select_related("workshop", "primary_topic", "camera_ready", "submission_type")
        .prefetch_related("authors", "secondary_topics")
        .order_by("number")
    )


def committee_for_conflicts(workshop: Workshop) -> QuerySet[User]:
    """Committee members an author may declare a conflict with (names and affiliations)."""
    return (
        User.objects.filter(memberships__workshop=workshop)
        .distinct()
        .only("pk", "name", "affiliation")
        .order_by("name")
    )
