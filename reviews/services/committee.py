"""Reviewer profiles, bids, conflicts declared by reviewers and set or lifted by chairs."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from submissions.models import Submission, SubmissionStatus
from workshop.activity import activity_record
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import Role, Topic, User, Workshop
from workshop.permissions import is_chair
from workshop.phases import accepts_until

from ..conflicts import ConflictMap, conflicts_for
from ..models import (
    Bid,
    BidValue,
    ConflictDeclaration,
    ConflictOverride,
    DeclarationKind,
    ExpertiseLevel,
    ReviewerProfile,
    TopicExpertise,
)

COMMITTEE_ROLES = (Role.REVIEWER, Role.AREA_CHAIR)


def _require_committee(workshop: Workshop, user: User) -> None:
    if not workshop.memberships.filter(user=user, role__in=COMMITTEE_ROLES).exists():
        raise NotAllowed("You are not on this workshop's programme committee.")


def profile_get_or_create(*, workshop: Workshop, user: User) -> ReviewerProfile:
    _require_committee(workshop, user)
    profile, _ = ReviewerProfile.objects.get_or_create(workshop=workshop, user=user)
    return profile


@transaction.atomic
def profile_update(
    *,
    workshop: Workshop,
    user: User,
    expertise_text: str,
    dblp_url: str = "",
    semantic_scholar_url: str = "",
    openreview_url: str = "",
    requested_max_load: int | None = None,
    topic_levels: dict[int, str] | None = None,
) -> ReviewerProfile:
    """Save a reviewer's expertise, links and load request.

    A changed load request needs the chairs' approval again (and never exceeds the default).
    """
    profile = profile_get_or_create(workshop=workshop, user=user)
    if requested_max_load is not None and requested_max_load >= workshop.reviewer_max_load:
        requested_max_load = None  # asking for the default (or more) is no request
    if requested_max_load != profile.requested_max_load:
        profile.requested_max_load = requested_max_load
        profile.load_request_approved = False
    profile.expertise_text = expertise_text.strip()[:20000]
    profile.dblp_url, profile.semantic_scholar_url = dblp_url, semantic_scholar_url
    profile.openreview_url = openreview_url
    profile.full_clean()
    profile.save()
    levels = topic_levels or {}
    valid = set(Topic.objects.filter(workshop=workshop).values_list("pk", flat=True))
    if set(levels) - valid:
        raise ServiceError("A topic does not belong to this workshop.")
    if any(level not in ExpertiseLevel.values for level in levels.values()):
        raise ServiceError("Unknown expertise level.")
    profile.topics.all().delete()
    TopicExpertise.objects.bulk_create(
        TopicExpertise(profile=profile, topic_id=tid, level=level) for tid, level in levels.items()
    )
    return profile


def profile_missing(profile: ReviewerProfile, topic_count: int, expertise_count: int) -> list[str]:
    """What an incomplete profile lacks, in words the dashboard shows."""
    missing = []
    if expertise_count < topic_count:
        missing.append("your expertise in each topic")
    if len(profile.expertise_text.strip()) < 100:
        missing.append("titles and abstracts of your own papers")
    return missing


@transaction.atomic
def load_request_approve(*, profile: ReviewerProfile, chair: User, approve: bool = True) -> None:
    if not is_chair(chair, profile.workshop):
        raise NotAllowed("Only the chairs approve load requests.")
    profile.load_request_approved = approve
    profile.save(update_fields=["load_request_approved", "updated_at"])
    activity_record(
        actor=chair, target=profile,
        action="profile.load_approve" if approve else "profile.load_refuse",
        summary=f"{profile.user} asks for {profile.requested_max_load}: "
        + ("approved" if approve else "refused"),
        after={"load_request_approved": approve},
    )  # fmt: skip


def bidding_open(workshop: Workshop, now=None) -> bool:
    """Bids are taken from the paper deadline until the bidding deadline (grace included)."""
    now = now or timezone.now()
    return (
        workshop.bidding_deadline is not None
        and now >= workshop.paper_deadline
        and accepts_until(workshop.bidding_deadline, workshop, now)
    )


@transaction.atomic
def bid_place(
    *, user: User, submission: Submission, value: str, conflicts: ConflictMap | None = None
) -> Bid:
    """One reviewer's bid on one paper, replacing any earlier bid.

    Refused when bidding is closed, for papers not under review, and for papers the reviewer
    is in conflict with (they never see those). "In conflict" is itself a bid: it declares a
    conflict for this paper.
    """
    workshop = submission.workshop
    _require_committee(workshop, user)
    if value not in BidValue.values:
        raise ServiceError("Unknown bid.")
    if not bidding_open(workshop):
        raise DeadlinePassed("Bidding is closed for this workshop.")
    if submission.status != SubmissionStatus.SUBMITTED:
        raise NotAllowed("This paper is not open for bidding.")
    # The reviewer's own "in conflict" bid may be changed (a mis-click is undone); any other
    # conflict hides the paper for good.
    if conflicts is None:
        conflicts = conflicts_for(workshop, user_ids=[user.pk], include_drafts=True)
    if conflicts.is_conflict(submission.pk, user.pk) and conflicts.reasons[
        (submission.pk, user.pk)
    ] - {"bid"}:
        raise NotAllowed("This paper is not open for bidding.")
    bid, _ = Bid.objects.update_or_create(
        submission=submission, user=user, defaults={"value": value}
    )
    return bid


@transaction.atomic
def declarations_replace(
    *, workshop: Workshop, user: User, people: list[str], institutions: list[str]
) -> int:
    """Replace the people and institutions a reviewer declares conflicts with."""
    _require_committee(workshop, user)
    ConflictDeclaration.objects.filter(workshop=workshop, user=user).delete()
    rows = {(DeclarationKind.PERSON, p.strip()[:200]) for p in people if p.strip()}
    rows |= {(DeclarationKind.INSTITUTION, i.strip()[:200]) for i in institutions if i.strip()}
    ConflictDeclaration.objects.bulk_create(
        ConflictDeclaration(workshop=workshop, user=user, kind=kind, value=value)
        for kind, value in sorted(rows)
    )
    return len(rows)


@transaction.atomic
def conflict_override_set(
    *, submission: Submission, user: User, conflicted: bool, reason: str, chair: User
) -> ConflictOverride:
    """A chair sets or lifts a conflict for one pair, with a reason, in the audit log.

    Lifting never removes an authorship conflict (the conflict selector keeps it).
    """
    if not is_chair(chair, submission.workshop):
        raise NotAllowed("Only the chairs set or lift conflicts.")
    if not reason.strip():
        raise ServiceError("Give a reason: it is kept in the audit log.")
    override, _ = ConflictOverride.objects.update_or_create(
        submission=submission,
        user=user,
        defaults={"conflicted": conflicted, "reason": reason.strip()[:300], "set_by": chair},
    )
    activity_record(
        actor=chair,
        target=override,
        action="conflict.set" if conflicted else "conflict.lift",
        summary=f"{user} / #{submission.number}: "
        + ("conflict set" if conflicted else "conflict lifted"),
        after={"conflicted": conflicted},
        reason=reason.strip(),
    )
    return override
