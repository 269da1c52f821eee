"""Reviewer profiles, bids, conflicts declared by reviewers and set or lifted by chairs.

Each action asks the policy itself (`reviews.edit_profile`, `reviews.bid`,
`reviews.manage_committee`, `reviews.set_conflict`). Bids are not logged in the activity
log: they are high-volume personal work (hundreds per reviewer), visible to chairs in the
bid tables; every other action here writes one activity entry when it changes something.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from submissions.models import Submission
from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import Topic, User, Workshop
from workshop.plurals import counted
from workshop.policy import require, require_open, require_visible

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
from ..permissions import bidding_facts_prefill
from ..selectors.conflicts import ConflictMap
from .access import lock_on_paper, require_on_paper
from .embeddings import profile_texts_changed

NOT_COMMITTEE = "You are not on this workshop's programme committee."


def profile_get_or_create(*, workshop: Workshop, user: User) -> ReviewerProfile:
    """The member's profile in `workshop` (an empty one on first use). Asks
    `reviews.edit_profile`."""
    require(user, "reviews.edit_profile", workshop, message=NOT_COMMITTEE)
    profile, _ = ReviewerProfile.objects.get_or_create(workshop=workshop, user=user)
    return profile


def _profile_state(profile: ReviewerProfile) -> dict[str, Any]:
    return {
        "expertise_text": profile.expertise_text,
        "dblp_url": profile.dblp_url,
        "semantic_scholar_url": profile.semantic_scholar_url,
        "openreview_url": profile.openreview_url,
        "requested_max_load": profile.requested_max_load,
        "topics": {str(e.topic_id): e.level for e in profile.topics.all()},
    }


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
    """Save a reviewer's expertise, links and load request. Asks `reviews.edit_profile`.

    A changed load request needs the chairs' approval again (and never exceeds the default).
    Side effects: one `profile.update` activity entry when something changed; a changed
    expertise text has its embedding computed after commit (`profile_texts_changed`).
    """
    require(user, "reviews.edit_profile", workshop, message=NOT_COMMITTEE)
    profile, _ = ReviewerProfile.objects.select_for_update().get_or_create(
        workshop=workshop, user=user
    )
    before = _profile_state(profile)
    levels = topic_levels or {}
    valid = set(Topic.objects.filter(workshop=workshop).values_list("pk", flat=True))
    if set(levels) - valid:
        raise ServiceError("A topic does not belong to this workshop.")
    if any(level not in ExpertiseLevel.values for level in levels.values()):
        raise ServiceError("Unknown expertise level.")
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
    profile.topics.all().delete()
    TopicExpertise.objects.bulk_create(
        TopicExpertise(profile=profile, topic_id=tid, level=level) for tid, level in levels.items()
    )
    after = _profile_state(profile)
    if after["expertise_text"] != before["expertise_text"]:
        profile_texts_changed(user.pk)
    if after != before:
        changed = sorted(k for k in after if after[k] != before[k])
        activity_record(
            actor=user, target=profile, action="profile.update",
            summary=f"{user} updated their profile ({', '.join(changed)})",
            before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
        )  # fmt: skip
    return profile


def profile_missing(
    profile: ReviewerProfile | None, topic_count: int, expertise_count: int
) -> list[str]:
    """What an incomplete (or not yet created) profile lacks, in words the dashboard shows."""
    missing = []
    if expertise_count < topic_count:
        missing.append("your expertise in each topic")
    if profile is None or len(profile.expertise_text.strip()) < 100:
        missing.append("titles and abstracts of your own papers")
    return missing


@transaction.atomic
def load_request_approve(*, profile: ReviewerProfile, chair: User, approve: bool = True) -> None:
    """A chair approves (or refuses) a member's request for a lower load. Asks
    `reviews.manage_committee`. Side effects: one `profile.load_approve` (or
    `profile.load_refuse`) activity entry when the answer changes."""
    profile = (
        ReviewerProfile.objects.select_for_update()
        .select_related("workshop", "user")
        .get(pk=profile.pk)
    )
    require(chair, "reviews.manage_committee", profile.workshop,
            message="Only the chairs approve load requests.")  # fmt: skip
    if profile.load_request_approved == approve:
        return
    profile.load_request_approved = approve
    profile.save(update_fields=["load_request_approved", "updated_at"])
    activity_record(
        actor=chair, target=profile,
        action="profile.load_approve" if approve else "profile.load_refuse",
        summary=f"{profile.user} asks for {profile.requested_max_load}: "
        + ("approved" if approve else "refused"),
        before={"load_request_approved": not approve}, after={"load_request_approved": approve},
    )  # fmt: skip


@transaction.atomic
def bid_place(
    *, user: User, submission: Submission, value: str, conflicts: ConflictMap | None = None
) -> Bid:
    """One reviewer's bid on one paper, replacing any earlier bid. Asks `reviews.view_bidding`
    (a paper the member may not see in bidding, e.g. conflicted, is NotFound) and
    `reviews.bid` (closed window: DeadlinePassed).

    "In conflict" is itself a bid: it declares a conflict for this paper (and may be undone).
    `conflicts`: the member's conflict map when the caller computed it for the request.
    Side effects: none beyond the bid (bids are not logged: high-volume personal work).
    """
    workshop = submission.workshop
    require(user, "reviews.view_bidding", workshop, message=NOT_COMMITTEE)
    submission = Submission.objects.select_related("workshop").get(pk=submission.pk)
    if conflicts is not None:
        bidding_facts_prefill(submission, user, conflicts)
    require_visible(user, "reviews.view_bidding", submission)
    if value not in BidValue.values:
        raise ServiceError("Unknown bid.")
    require_open(user, "reviews.bid", submission, message="Bidding is closed for this workshop.")
    bid, _ = Bid.objects.update_or_create(
        submission=submission, user=user, defaults={"value": value}
    )
    return bid


@transaction.atomic
def declarations_replace(
    *, workshop: Workshop, user: User, people: list[str], institutions: list[str]
) -> int:
    """Replace the people and institutions a reviewer declares conflicts with. Asks
    `reviews.edit_profile`. Side effects: one `conflict.declare` activity entry when the
    declarations change (they change what the reviewer is assigned)."""
    require(user, "reviews.edit_profile", workshop, message=NOT_COMMITTEE)
    existing = ConflictDeclaration.objects.select_for_update().filter(workshop=workshop, user=user)
    before = sorted((d.kind, d.value) for d in existing)
    rows = {(DeclarationKind.PERSON, p.strip()[:200]) for p in people if p.strip()}
    rows |= {(DeclarationKind.INSTITUTION, i.strip()[:200]) for i in institutions if i.strip()}
    after = sorted(rows)
    if [tuple(map(str, r)) for r in before] == [tuple(map(str, r)) for r in after]:
        return len(rows)
    existing.delete()
    ConflictDeclaration.objects.bulk_create(
        ConflictDeclaration(workshop=workshop, user=user, kind=kind, value=value)
        for kind, value in after
    )
    activity_record(
        actor=user, target=workshop, action="conflict.declare",
        summary=f"{user} declares {counted(len(rows), 'conflict')}",
        before={"declarations": [list(map(str, r)) for r in before]},
        after={"declarations": [list(map(str, r)) for r in after]},
    )  # fmt: skip
    return len(rows)


@transaction.atomic
def conflict_override_set(
    *, submission: Submission, user: User, conflicted: bool, reason: str, chair: User
) -> ConflictOverride:
    """A chair sets or lifts a conflict for one pair, with a reason, in the activity log.
    Asks `reviews.set_conflict` (a paper of another workshop is NotFound).

    Lifting never removes an authorship conflict (the conflict selector keeps it).
    Side effects: one `conflict.set` / `conflict.lift` activity entry.
    """
    require_on_paper(chair, "reviews.set_conflict", submission,
                     message="Only the chairs set or lift conflicts.")  # fmt: skip
    if not reason.strip():
        raise ServiceError("Give a reason: it is kept in the audit log.")
    previous = (
        ConflictOverride.objects.select_for_update()
        .filter(submission=submission, user=user)
        .first()
    )
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
        before={"conflicted": previous.conflicted} if previous else None,
        after={"conflicted": conflicted},
        reason=reason.strip(),
    )
    return override


@transaction.atomic
def conflict_override_remove(*, override: ConflictOverride, chair: User, reason: str = "") -> None:
    """A chair removes their word on one pair: the declared and heuristic conflicts decide
    again (authorship always counts). Asks `reviews.set_conflict`.

    Side effects: one `conflict.remove` activity entry with the removed override's values.
    """
    override = lock_on_paper(
        ConflictOverride.objects.select_related("user"), override.pk,
        actor=chair, perm="reviews.set_conflict", message="Only the chairs set or lift conflicts.",
    )  # fmt: skip
    if override is None:
        return
    activity_record(
        actor=chair,
        target=override.submission,
        action="conflict.remove",
        summary=f"{override.user} / #{override.submission.number}: chair's word removed "
        f"(was: {'conflict set' if override.conflicted else 'conflict lifted'})",
        before={"conflicted": override.conflicted, "reason": override.reason},
        reason=reason,
    )
    override.delete()
