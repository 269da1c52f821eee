"""Reads about external reviewers (issue 28): the chairs' settings, the conflicts of an
address nobody may have an account for yet, and the requests a viewer sees on a paper."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet

from submissions.models import Authorship, Submission, SubmissionStatus
from workshop.models import User, Workshop
from workshop.policy import can

from ..models import ExternalReviewRequest, ExternalReviewSettings
from .conflicts import conflicts_for, normalise, organisation_domain


def external_settings(workshop: Workshop) -> ExternalReviewSettings:
    """The workshop's settings (the defaults, unsaved, when the chairs chose nothing),
    kept on the workshop instance for the request."""
    cached = workshop.__dict__.get("_external_settings")
    if cached is None:
        cached = ExternalReviewSettings.objects.filter(workshop=workshop).first()
        cached = cached or ExternalReviewSettings(workshop=workshop)
        workshop.__dict__["_external_settings"] = cached
    return cached


def account_of(email: str) -> User | None:
    """The account that owns an address (its login address, or one added to it)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = EmailAddress.objects.filter(email__iexact=email).select_related("user").first()
        user = address.user if address else None
    return user


def external_conflict_reasons(submission: Submission, email: str, name: str = "") -> list[str]:
    """Why `email` (and `name`) may be in conflict with the paper, before anyone invites it.

    An account holding the address brings every source of `conflicts_for` (declared,
    co-authorship, domain, publications, the authors' declarations, the chairs' word). The
    address itself is also checked without an account: an author's address (authorship),
    a shared institutional domain, a co-author of an author on another paper of the
    workshop, and an author's name."""
    email = email.strip().lower()
    workshop = submission.workshop
    reasons: set[str] = set()
    user = account_of(email)
    if user is not None:
        found = conflicts_for(workshop, user_ids=[user.pk], include_drafts=True)
        if found.is_conflict(submission.pk, user.pk):
            reasons |= found.reasons[(submission.pk, user.pk)]
    authors = list(
        Authorship.objects.filter(submission__workshop=workshop).values_list(
            "submission_id", "email", "name"
        )
    )
    own = [(e.lower(), n) for sid, e, n in authors if sid == submission.pk]
    if email in {e for e, _ in own}:
        reasons.add("authorship")
    domain = organisation_domain(email)
    if domain and domain in {organisation_domain(e) for e, _ in own if e}:
        reasons.add("domain")
    papers_of_email = {sid for sid, e, _ in authors if e and e.lower() == email}
    partners = {e.lower() for sid, e, _ in authors if sid in papers_of_email and e}
    if papers_of_email - {submission.pk} and partners & {e for e, _ in own}:
        reasons.add("coauthor")
    if name.strip() and normalise(name) in {normalise(n) for _, n in own if n}:
        reasons.add("name")
    return sorted(reasons)


def external_requests_on_paper(user: User, submission: Submission
                               ) -> QuerySet[ExternalReviewRequest]:  # fmt: skip
    """The requests the viewer sees on a paper whose page they may see: all of them for its
    chairs and area chair, else one's own (none for an external reviewer)."""
    requests = ExternalReviewRequest.objects.filter(submission=submission).select_related(
        "assignment__review", "requester"
    )
    if can(user, "reviews.see_external_requests", submission):
        return requests
    return requests.filter(requester_id=getattr(user, "pk", None))


def held_external_requests(workshop: Workshop) -> QuerySet[ExternalReviewRequest]:
    """The requests waiting for a chair (a possible conflict, or the chairs approve each)."""
    return ExternalReviewRequest.objects.filter(
        Q(submission__workshop=workshop), status="held"
    ).select_related("submission", "requester")


@dataclass
class ExternalPanel:
    """The paper page's section on external reviewers, for one viewer."""

    requests: list[ExternalReviewRequest]
    may_request: bool
    may_emergency: bool
    draft: dict[str, str]
    emergency_days: int
    sees_reasons: bool = False  # why a request is held: the chairs only (double-blind)

    @property
    def shown(self) -> bool:
        return bool(self.requests) or self.may_request


def external_panel(user: User, submission: Submission, draft: dict | None = None
                   ) -> ExternalPanel:  # fmt: skip
    """What the viewer sees and may do about the paper's external reviewers (nothing for
    the external reviewers themselves: they are not told who else reviews)."""
    return ExternalPanel(
        requests=list(external_requests_on_paper(user, submission)),
        may_request=can(user, "reviews.request_external", submission),
        may_emergency=can(user, "reviews.recruit_emergency", submission),
        draft=draft or {},
        emergency_days=external_settings(submission.workshop).emergency_days,
        sees_reasons=can(user, "reviews.decide_external_request", submission.workshop),
    )


def external_reviews_owed(workshop: Workshop) -> QuerySet[ExternalReviewRequest]:
    """Accepted external reviews of papers under review not submitted yet, with their
    reviewer and paper (the reminders: each by its own due date)."""
    return (
        ExternalReviewRequest.objects.filter(
            submission__workshop=workshop,
            submission__status=SubmissionStatus.SUBMITTED,
            status="accepted",
            assignment__declined_at__isnull=True,
        )
        .exclude(assignment__review__status="submitted")
        .select_related("assignment__reviewer", "submission")
    )
