"""Reads of submissions that depend on who asks. Views never fetch a Submission otherwise."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Lower

from workshop.models import User, Workshop

from .models import Authorship, Submission, SubmissionEvent, SubmissionFile


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


def submission_for_author(user: User | AnonymousUser, pk: int) -> Submission:
    """One submission the user authors (raises Submission.DoesNotExist otherwise: 404)."""
    return (
        submissions_authored_by(user)
        .select_related("workshop", "primary_topic", "submission_type", "paper", "supplementary")
        .prefetch_related(
            "authors",
            "secondary_topics",
            Prefetch("files", queryset=SubmissionFile.objects.order_by("-uploaded_at", "-pk")),
            "declared_conflicts__member",
        )
        .get(pk=pk)
    )


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


def submission_history(submission: Submission) -> QuerySet[SubmissionEvent]:
    return submission.events.select_related("actor").order_by("-at", "-pk")


def committee_for_conflicts(workshop: Workshop) -> QuerySet[User]:
    """Committee members an author may declare a conflict with (names and affiliations)."""
    return (
        User.objects.filter(memberships__workshop=workshop)
        .distinct()
        .only("pk", "name", "affiliation")
        .order_by("name")
    )
