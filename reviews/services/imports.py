"""The writers an import calls for many rows at once: assignments, reviews, the chairs'
conflicts and decisions of a migration (thousands of each).

Each is the bulk twin of a one-row action (`assignment_add`, `review_import_write`,
`conflict_override_set`, `decision_record`): it asks the same permission of the chair who
runs the import (per object, from the chair's cached roles: no query per row), checks the
same things, and writes the same rows and the same activity entries (`activity_entry`, one
bulk insert), with the papers' stored figures (`PaperScore`) refreshed once at the end. A
handful of statements per call whatever its size, so an import's queries do not grow with
its rows. They take only new rows (no assignment, review or decision yet for the pair or
paper): an import sends what already exists through the one-row actions, which compare and
keep history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from submissions.models import Submission
from submissions.services.lifecycle import OUTCOME_STATUS
from workshop.activity import activity_entry
from workshop.errors import NotAllowed, ServiceError
from workshop.models import Activity, Role, User, Workshop
from workshop.policy import can

from ..models import (
    AffinityScore,
    Answer,
    Assignment,
    ConflictOverride,
    Decision,
    DecisionCategory,
    Review,
    ReviewQuestion,
    ReviewStatus,
    ReviewVersion,
)
from ..selectors.committee import COMMITTEE_ROLES
from ..selectors.conflicts import ConflictMap, conflicts_for
from .review_checks import review_text_check_many
from .reviewing import _cleaned, pseudonyms_fill
from .scores import paper_scores_refresh

BATCH = 1000


def _require_each(chair: User, perm: str, objects: Iterable[object], message: str) -> None:
    """`perm` on every object (the chair's roles are cached on the user: no query each)."""
    for obj in objects:
        if not can(chair, perm, obj):
            raise NotAllowed(message)


@transaction.atomic
def assignments_import_write_many(
    *,
    workshop: Workshop,
    chair: User,
    pairs: list[tuple[Submission, User, str]],
    conflicts: ConflictMap | None = None,
) -> list[Assignment]:
    """`assignment_add` (without its mail) for many new (paper, person, role) triples.
    Asks `reviews.assign` on each paper; refuses people outside the committee in that role
    and conflicts, as `assignment_add` does (`conflicts`: the caller's map of these people,
    when it has one; else computed once).

    Side effects: the assignments, the papers' reviewer letters, one `assignment.add`
    activity entry each, the papers' stored figures. No mail (an import's reviewers were
    assigned in the other system).
    """
    if not pairs:
        return []
    _require_each(chair, "reviews.assign", {s.pk: s for s, _, _ in pairs}.values(),
                  "Only the chairs assign reviewers.")  # fmt: skip
    people = {u.pk for _, u, _ in pairs}
    roles = set(
        workshop.memberships.filter(user_id__in=people, role__in=COMMITTEE_ROLES).values_list(
            "user_id", "role"
        )
    )
    if conflicts is None:
        conflicts = conflicts_for(workshop, user_ids=people, include_drafts=True)
    for submission, reviewer, role in pairs:
        if submission.workshop_id != workshop.pk:
            raise ServiceError("That paper belongs to another workshop.")
        if role not in COMMITTEE_ROLES:
            raise ServiceError("Papers are assigned to reviewers and area chairs only.")
        if (reviewer.pk, role) not in roles:
            raise ServiceError(
                f"{reviewer.name} is not a {Role(role).label.lower()} of this workshop."
            )
        if conflicts.is_conflict(submission.pk, reviewer.pk):
            reasons = ", ".join(sorted(conflicts.reasons[(submission.pk, reviewer.pk)]))
            raise ServiceError(
                f"{reviewer.name} is in conflict with #{submission.number} ({reasons})."
            )
    assignments = [
        Assignment(submission=s, reviewer=u, role=role, created_by=chair) for s, u, role in pairs
    ]
    pseudonyms_fill([], new=assignments)
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    paper_scores_refresh({s.pk for s, _, _ in pairs})
    Activity.objects.bulk_create(
        (
            activity_entry(
                actor=chair,
                target=a,
                workshop=workshop,
                action="assignment.add",
                summary=f"{a.reviewer} assigned to #{a.submission.number} as "
                f"{Role(a.role).label.lower()}",
                after={"declined": False, "locked": a.locked},
            )
            for a in assignments
        ),
        batch_size=BATCH,
    )
    return assignments


def review_answers_clean(
    questions: dict[int, ReviewQuestion], answers: dict[int, object]
) -> dict[int, object]:
    """The answers as `review_import_write` stores them (every question of the form,
    retired ones too); raises ServiceError naming the question. An importer asks it of
    each record before `review_import_write_many`, to report a bad value by its line."""
    return _cleaned(questions, answers)


@dataclass
class ReviewImport:
    """One review for `review_import_write_many`: its assignment (saved, with no review
    yet), the answers by question id, and whether and when it was submitted there."""

    assignment: Assignment
    answers: dict[int, object]
    submitted: bool
    submitted_at: dt.datetime | None = None


@transaction.atomic
def review_import_write_many(
    *, workshop: Workshop, chair: User, items: list[ReviewImport]
) -> list[Review]:
    """`review_import_write` for many assignments without a review: asks
    `reviews.write_review` of the chair on each; each value is checked against its question
    (ServiceError naming it).

    Side effects, per review: the review with its answers and, when submitted, its first
    kept version at the other system's time (else now); one `review.import` activity entry.
    Then the papers' stored figures, once, and the copy and length checks of the submitted
    ones (`review_text_check_many`: signatures, flags to the chairs). Unsubmitted, the
    answers are the reviewer's draft.
    """
    if not items:
        return []
    _require_each(chair, "reviews.write_review", (i.assignment for i in items),
                  "Only the chairs import reviews.")  # fmt: skip
    questions = {q.pk: q for q in workshop.review_questions.all()}
    now = timezone.now()
    cleaned, reviews = [], []
    for item in items:
        if item.assignment.submission.workshop_id != workshop.pk:
            raise ServiceError("That review belongs to another workshop.")
        cleaned.append(_cleaned(questions, item.answers))
        reviews.append(
            Review(
                assignment=item.assignment,
                status=ReviewStatus.SUBMITTED if item.submitted else ReviewStatus.DRAFT,
                version=1 if item.submitted else 0,
                revision=1,
                submitted_at=(item.submitted_at or now) if item.submitted else None,
            )
        )
    Review.objects.bulk_create(reviews, batch_size=BATCH)
    Answer.objects.bulk_create(
        (
            Answer(review=review, question_id=qid, value=value)
            for review, answers in zip(reviews, cleaned, strict=True)
            for qid, value in answers.items()
        ),
        batch_size=BATCH,
    )
    versions = [
        ReviewVersion(review=review, number=1, answers={str(k): v for k, v in answers.items()})
        for review, answers in zip(reviews, cleaned, strict=True)
        if review.status == ReviewStatus.SUBMITTED
    ]
    ReviewVersion.objects.bulk_create(versions, batch_size=BATCH)
    # A version's time is set on creation; an imported one keeps the other system's, which
    # is its review's (one statement, not one per version).
    ReviewVersion.objects.filter(pk__in=[v.pk for v in versions]).update(
        submitted_at=Subquery(
            Review.objects.filter(pk=OuterRef("review_id")).values("submitted_at")[:1]
        )
    )
    for version in versions:
        version.submitted_at = version.review.submitted_at
    paper_scores_refresh(
        r.assignment.submission_id for r in reviews if r.status == ReviewStatus.SUBMITTED
    )
    review_text_check_many(
        workshop=workshop,
        questions=questions,
        reviews=[
            (review, answers)
            for review, answers in zip(reviews, cleaned, strict=True)
            if review.status == ReviewStatus.SUBMITTED
        ],
    )
    Activity.objects.bulk_create(
        (
            activity_entry(
                actor=chair,
                target=r,
                workshop=workshop,
                action="review.import",
                summary=f"{r.assignment.display_name} on #{r.assignment.submission.number}: "
                + (
                    "review imported"
                    if r.status == ReviewStatus.SUBMITTED
                    else "review draft imported"
                ),
                after={"version": r.version},
            )
            for r in reviews
        ),
        batch_size=BATCH,
    )
    return reviews


@transaction.atomic
def conflict_overrides_import_write_many(
    *, workshop: Workshop, chair: User, items: list[tuple[Submission, User, bool, str]]
) -> list[ConflictOverride]:
    """`conflict_override_set` for many (paper, person, conflicted, reason): asks
    `reviews.set_conflict` on each paper; every one needs a reason. A pair named twice
    keeps its last word.

    Side effects: the overrides (set or changed), one `conflict.set` / `conflict.lift`
    activity entry each, with the earlier value of a pair that had one.
    """
    last = {(s.pk, u.pk): (s, u, conflicted, reason) for s, u, conflicted, reason in items}
    if not last:
        return []
    _require_each(chair, "reviews.set_conflict", {s.pk: s for s, _, _, _ in items}.values(),
                  "Only the chairs set or lift conflicts.")  # fmt: skip
    for submission, _, _, reason in last.values():
        if submission.workshop_id != workshop.pk:
            raise ServiceError("That paper belongs to another workshop.")
        if not reason.strip():
            raise ServiceError("Give a reason: it is kept in the audit log.")
    papers = {sid for sid, _ in last}
    people = {uid for _, uid in last}
    previous = {
        (sid, uid): conflicted
        for sid, uid, conflicted in ConflictOverride.objects.select_for_update()
        .filter(submission_id__in=papers, user_id__in=people)
        .values_list("submission_id", "user_id", "conflicted")
        if (sid, uid) in last
    }
    ConflictOverride.objects.bulk_create(
        [
            ConflictOverride(
                submission=s,
                user=u,
                conflicted=conflicted,
                reason=reason.strip()[:300],
                set_by=chair,
            )
            for s, u, conflicted, reason in last.values()
        ],
        update_conflicts=True,
        unique_fields=["submission", "user"],
        update_fields=["conflicted", "reason", "set_by"],
        batch_size=BATCH,
    )
    overrides = {
        (o.submission_id, o.user_id): o
        for o in ConflictOverride.objects.filter(submission_id__in=papers, user_id__in=people)
        if (o.submission_id, o.user_id) in last
    }
    entries = []
    for pair, (submission, user, conflicted, reason) in last.items():
        override = overrides[pair]
        override.submission, override.user = submission, user
        entries.append(
            activity_entry(
                actor=chair,
                target=override,
                workshop=workshop,
                action="conflict.set" if conflicted else "conflict.lift",
                summary=f"{user} / #{submission.number}: "
                + ("conflict set" if conflicted else "conflict lifted"),
                before={"conflicted": previous[pair]} if pair in previous else None,
                after={"conflicted": conflicted},
                reason=reason.strip(),
            )
        )
    Activity.objects.bulk_create(entries, batch_size=BATCH)
    return list(overrides.values())


@transaction.atomic
def decisions_import_write_many(
    *, workshop: Workshop, chair: User, items: list[tuple[Submission, DecisionCategory]]
) -> list[Decision]:
    """`decision_record` for many papers that have no decision yet: asks `decisions.decide`
    and `submissions.set_outcome` on each (a draft or withdrawn paper is refused, named).

    Side effects: each paper's status follows its decision's outcome; the decisions; one
    `decision.record` activity entry each. No mail: decision mails are composed by the
    chairs, later, from the board.
    """
    if not items:
        return []
    _require_each(chair, "decisions.decide", (s for s, _ in items), "Only the chairs decide.")
    if Decision.objects.filter(submission__in=[s.pk for s, _ in items]).exists():
        raise ServiceError("These papers have a decision already: change it one by one.")
    now = timezone.now()
    for submission, category in items:
        if category.workshop_id != workshop.pk or submission.workshop_id != workshop.pk:
            raise ServiceError("That decision belongs to another workshop.")
        if not can(chair, "submissions.set_outcome", submission):
            raise ServiceError(
                f"#{submission.number} is {submission.get_status_display().lower()}."
            )
        submission.status = OUTCOME_STATUS[category.outcome]
        submission.updated_at = now
    Submission.objects.bulk_update(
        [s for s, _ in items], ["status", "updated_at"], batch_size=BATCH
    )
    decisions = Decision.objects.bulk_create(
        [Decision(submission=s, category=c, decided_by=chair) for s, c in items],
        batch_size=BATCH,
    )
    Activity.objects.bulk_create(
        (
            activity_entry(
                actor=chair,
                target=d,
                workshop=workshop,
                action="decision.record",
                before=None,
                after={"decision": d.category.name, "outcome": d.category.outcome},
                summary=f"#{d.submission.number}: {d.category.name}",
            )
            for d in decisions
        ),
        batch_size=BATCH,
    )
    return decisions


def affinity_score_import_write(
    *,
    workshop: Workshop,
    chair: User,
    submission: Submission,
    user: User,
    score: float,
    source: str = "openreview",
) -> AffinityScore:
    """Store one imported affinity of `user` for `submission` (another system's matching
    data, read by the matching engine as its `imported` affinity): asks `workshop.manage`;
    the same pair imported again keeps the latest score. No activity entry per score: the
    import's own entry counts them."""
    if not can(chair, "workshop.manage", workshop) or submission.workshop_id != workshop.pk:
        raise NotAllowed("Only the chairs import affinity scores for their papers.")
    affinity, _ = AffinityScore.objects.update_or_create(
        workshop=workshop, submission=submission, user=user, source=source,
        defaults={"score": score},
    )  # fmt: skip
    return affinity
