"""Assignment: matching runs (queued, run by a worker, previewed, committed) and manual edits.

Every action asks `reviews.assign` (on the workshop, or on the paper: a paper of another
workshop is NotFound) and writes one activity entry when it changes something; a second
click that changes nothing writes nothing and mails nobody. Assignment notices are keyed by
the activity entry of the action that caused them, so a new event (a reviewer assigned
again after declining) is a new notice and a retried request is not.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import partial

import numpy as np
from django.db import transaction
from django.utils import timezone

from submissions.models import Submission
from workshop.activity import activity_record
from workshop.admin_scoping import connected_users
from workshop.errors import NotFound, ServiceError
from workshop.models import Activity, Role, User, Workshop
from workshop.outbox import mail_queue, task_enqueue
from workshop.phases import AOE
from workshop.policy import require
from workshop.validators import has_non_finite

from ..balance import balance_of
from ..matching import solve
from ..models import Assignment, MatchingRun, MatchMode, ReviewerProfile, RunStatus
from ..permissions import assignment_review, bidding_open
from ..selectors.committee import COMMITTEE_ROLES
from ..selectors.conflicts import conflicts_for
from ..selectors.matching import MatchingInput, matching_input
from ..selectors.matching_tracks import matching_input_for_track
from .access import lock_on_paper, require_on_paper
from .reviewing import pseudonyms_fill
from .scores import paper_scores_refresh

log = logging.getLogger(__name__)


def current_pairs(workshop: Workshop) -> list[list[int]]:
    return [
        [sid, uid]
        for sid, uid in Assignment.objects.filter(
            submission__workshop=workshop, role=Role.REVIEWER, declined_at__isnull=True
        )
        .order_by("submission_id", "reviewer_id")
        .values_list("submission_id", "reviewer_id")
    ]


@transaction.atomic
def matching_run_create(*, workshop: Workshop, chair: User, mode: str, parameters: dict
                        ) -> MatchingRun:  # fmt: skip
    """Queue a run; a worker computes it. Asks `reviews.assign`.

    Side effects: one `matching.run` activity entry; the task, enqueued after commit.
    """
    require(chair, "reviews.assign", workshop, message="Only the chairs run the assignment.")
    if mode not in MatchMode.values:
        raise ServiceError("Unknown matching mode.")
    if has_non_finite(parameters):  # JSON reads 1e999 as infinity; jsonb refuses it
        raise ServiceError("The parameters must be finite numbers.")
    track = parameters.get("track")  # one track's papers (issue 27); none: the whole workshop
    if track is not None and (
        not isinstance(track, int) or isinstance(track, bool)
        or not workshop.tracks.filter(pk=track).exists()
    ):  # fmt: skip
        raise ServiceError("No such track in this workshop.")
    run = MatchingRun.objects.create(
        workshop=workshop, created_by=chair, mode=mode, parameters=parameters,
        baseline=current_pairs(workshop), progress_message="Waiting for a worker",
    )  # fmt: skip
    activity_record(actor=chair, target=run, action="matching.run",
                    summary=f"Assignment run {run.pk} queued ({run.get_mode_display()})",
                    after={"mode": mode, "parameters": parameters})  # fmt: skip
    transaction.on_commit(partial(_enqueue, run.pk))
    return run


def _enqueue(run_id: int) -> None:
    from ..tasks import matching_run_task

    if not task_enqueue(matching_run_task, run_id):
        MatchingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.FAILED, error="The task queue is unreachable; try again shortly."
        )


def _progress(run_id: int, percent: int, message: str) -> bool:
    """Record progress; False when the run was cancelled meanwhile."""
    return bool(
        MatchingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            progress=percent, progress_message=message
        )
    )


def matching_run_execute(run_id: int) -> str:
    """Build the instance, solve it and store the preview. Idempotent: only a queued run
    starts, and a cancelled one is never overwritten."""
    if not MatchingRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, progress=5, progress_message="Building the instance"
    ):
        return "skipped"
    run = MatchingRun.objects.select_related("workshop").get(pk=run_id)
    p = run.parameters
    try:
        instance = matching_input(run.workshop, p.get("weights"))
        # One track, or across tracks with each reviewer's total load bounded (issue 27).
        instance = matching_input_for_track(instance, run.workshop, p.get("track"))
        if not _progress(run_id, 35, f"Solving ({len(instance.papers)} papers, "
                                     f"{len(instance.reviewers)} reviewers)"):  # fmt: skip
            return "cancelled"
        max_load = instance.max_load
        if p.get("max_load"):
            max_load = np.minimum(max_load, int(p["max_load"]))
        result = solve(
            instance.affinity,
            demand=int(p.get("reviews_per_paper") or run.workshop.reviews_per_paper),
            max_load=max_load,
            min_load=np.minimum(int(p.get("min_load") or 0), max_load),
            forbidden=instance.forbidden,
            locked=instance.locked or None,
            mode=run.mode,
            prob_cap=p.get("prob_cap") if run.mode == MatchMode.RANDOMIZED else None,
            seed=p.get("seed"),
        )
        if not _progress(run_id, 85, "Preparing the preview"):
            return "cancelled"
        summary = summarise(instance, result, run.baseline, max_load=max_load)
    except Exception as exc:
        log.exception("Matching run %s failed", run_id)
        MatchingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        return "failed"
    MatchingRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.DONE, progress=100, progress_message="Done", result=summary,
        finished_at=timezone.now(),
    )  # fmt: skip
    return "done"


def _label_diagnosis(lines: list[str], instance: MatchingInput) -> list[str]:
    """The engine names papers and reviewers by index; chairs know numbers and names."""

    def paper(m: re.Match) -> str:
        p = instance.papers[int(m.group(2))]
        return f"{m.group(1)} #{p.number} “{p.title[:60]}”"

    def reviewer(m: re.Match) -> str:
        return f"{m.group(1)} {instance.reviewers[int(m.group(2))].name}"

    def paper_list(m: re.Match) -> str:
        numbers = [f"#{instance.papers[int(i)].number}" for i in re.findall(r"\d+", m.group(1))]
        return "Papers " + ", ".join(numbers)

    out = []
    for line in lines:
        line = re.sub(r"\bPapers ((?:\d+, )*\d+)", paper_list, line)
        line = re.sub(r"\b([Pp]aper) (\d+)\b", paper, line)
        line = re.sub(r"\b([Rr]eviewer) (\d+)\b", reviewer, line)
        out.append(line)
    return out


def summarise(
    instance: MatchingInput,
    result,
    baseline: list[list[int]],
    *,
    max_load: np.ndarray | None = None,
) -> dict:
    """The preview's figures, JSON-serialisable, in the chair's terms (numbers, names)."""
    papers, reviewers = instance.papers, instance.reviewers
    caps = instance.max_load if max_load is None else max_load
    pairs = [
        [papers[i].pk, reviewers[j].pk, round(float(instance.affinity[i, j]), 4)]
        for i, j in result.pairs.tolist()
    ]
    sums = np.asarray(result.paper_sums, dtype=float)
    edges = (
        np.linspace(sums.min(), sums.max(), 11) if len(sums) and sums.max() > sums.min() else None
    )
    histogram = []
    if edges is not None:
        counts, _ = np.histogram(sums, bins=edges)
        histogram = [{"from": round(float(a), 3), "to": round(float(b), 3), "count": int(c)}
                     for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]  # fmt: skip
    elif len(sums):
        histogram = [{"from": round(float(sums[0]), 3), "to": round(float(sums[0]), 3),
                      "count": len(sums)}]  # fmt: skip
    by_paper: dict[int, list[str]] = defaultdict(list)
    for i, j in result.pairs.tolist():
        by_paper[i].append(reviewers[j].name)
    balance = balance_of(
        (int(n) for n in result.loads),
        {p.number: len(by_paper.get(i, [])) for i, p in enumerate(papers)},
    )
    worst = sorted(range(len(papers)), key=lambda i: sums[i])[:10]
    proposed = {(s, u) for s, u, _ in pairs}
    before = {(s, u) for s, u in baseline}
    summary = {
        "pairs": pairs,
        "feasible": bool(result.feasible),
        "status": result.status,
        "diagnosis": _label_diagnosis(list(result.diagnosis), instance),
        "solve_seconds": round(float(result.solve_seconds), 3),
        "total": round(float(result.total_affinity), 4),
        "mean": round(float(result.total_affinity) / len(pairs), 4) if pairs else 0.0,
        "min_paper_sum": round(float(result.min_paper_sum), 4),
        "mean_paper_sum": round(float(sums.mean()), 4) if len(sums) else 0.0,
        "papers": len(papers),
        "reviewers": len(reviewers),
        "unmet": int(np.asarray(result.unmet_demand).sum()),
        "histogram": histogram,
        "worst": [
            {
                "number": papers[i].number,
                "title": papers[i].title,
                "sum": round(float(sums[i]), 3),
                "reviewers": by_paper.get(i, []),
            }
            for i in worst
        ],
        "loads": [
            {
                "name": u.name,
                "load": int(result.loads[j]),
                "max": int(caps[j]),
            }
            for j, u in enumerate(reviewers)
        ],
        "balance": balance.as_dict(),
        "added": len(proposed - before),
        "removed": len(before - proposed),
        "kept": len(proposed & before),
    }
    for extra in ("fair_floor", "fair_floor_bound", "baseline_total", "baseline_min_paper_sum",
                  "expected_total", "prob_cap"):  # fmt: skip
        value = getattr(result, extra, None)
        if value is not None:
            summary[extra] = round(float(value), 4)
    if getattr(result, "marginals", None) is not None and result.marginals.nnz:
        summary["max_probability"] = round(float(result.marginals.max()), 4)
    return summary


@transaction.atomic
def matching_run_cancel(*, run: MatchingRun, chair: User) -> MatchingRun:
    """Stop a queued or running run; a worker that finishes later cannot overwrite it.
    Asks `reviews.assign`. Side effects: one `matching.cancel` activity entry if it stopped."""
    run = MatchingRun.objects.select_for_update().select_related("workshop").get(pk=run.pk)
    require(chair, "reviews.assign", run.workshop,
            message="Only the chairs manage assignment runs.")  # fmt: skip
    before = run.status
    stopped = MatchingRun.objects.filter(
        pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    ).update(status=RunStatus.CANCELLED, progress_message="Cancelled", finished_at=timezone.now())
    run.refresh_from_db()
    if stopped:
        activity_record(actor=chair, target=run, action="matching.cancel",
                        summary=f"Assignment run {run.pk} cancelled",
                        before={"status": before}, after={"status": run.status})  # fmt: skip
    return run


class BiddingStillOpen(ServiceError):
    """A commit while reviewers may still bid, without the chair's say-so (answered 409)."""

    status_code = 409
    api_code = "bidding_open"


def bidding_closes(workshop: Workshop) -> str:
    """When the open bidding closes, in AoE ("" when bidding is not open): what the chair
    reads before committing, and what the refusal names."""
    if not bidding_open(workshop):
        return ""
    return workshop.bidding_deadline.astimezone(AOE).strftime("%a %-d %b %Y, %H:%M AoE")


@transaction.atomic
def matching_run_commit(*, run: MatchingRun, chair: User, during_bidding: bool = False
                        ) -> dict[str, int]:  # fmt: skip
    """Make a previewed run the assignment.

    Refused if the assignment changed since the run started (the preview would lie), and
    while the workshop's bidding is open unless the chair says so (`during_bidding`):
    committing mails the reviewers their papers before the late bids are in.
    Unlocked assignments that the run drops are removed; locked ones are kept by the engine.
    Asks `reviews.assign`. Side effects: one `matching.commit` activity entry; one mail per
    reviewer whose papers changed, listing their papers by number and title (no author
    information), keyed by that entry.
    """
    run = MatchingRun.objects.select_for_update().select_related("workshop").get(pk=run.pk)
    workshop = run.workshop
    require(chair, "reviews.assign", workshop, message="Only the chairs commit an assignment.")
    if run.status != RunStatus.DONE:
        raise ServiceError(f"This run is {run.get_status_display().lower()}: nothing to commit.")
    if not during_bidding and (closes := bidding_closes(workshop)):
        raise BiddingStillOpen(
            f"Bidding is still open: it closes {closes}, and committing now mails the "
            "reviewers their papers before every bid is in. Confirm that you want to commit "
            'anyway (in the API: "during_bidding": true).'
        )
    if current_pairs(workshop) != run.baseline:
        raise ServiceError(
            "The assignment changed since this run started, so its preview is out of date. "
            "Run it again."
        )
    proposed = {(s, u) for s, u, _ in run.result.get("pairs", [])}
    before = {(s, u) for s, u in run.baseline}
    if (track := (run.parameters or {}).get("track")) is not None:
        # A track's run (issue 27) proposes for its papers only: the others' stay as they are.
        ours = set(workshop.submissions.filter(track_id=track).values_list("pk", flat=True))
        before = {(s, u) for s, u in before if s in ours}
    removed, added = before - proposed, proposed - before
    for sid, uid in removed:
        Assignment.objects.filter(
            submission_id=sid,
            reviewer_id=uid,
            role=Role.REVIEWER,
            locked=False,
            review__isnull=True,
        ).delete()  # a started review is never thrown away; the engine keeps it (locked)
    Assignment.objects.bulk_create(
        Assignment(submission_id=sid, reviewer_id=uid, role=Role.REVIEWER, created_by=chair)
        for sid, uid in sorted(added)
    )
    pseudonyms_fill([sid for sid, _ in added])
    paper_scores_refresh(sid for sid, _ in removed | added)
    run.status = RunStatus.COMMITTED
    run.committed_at = timezone.now()
    run.save(update_fields=["status", "committed_at"])
    changed = {u for _, u in removed | added}
    entry = activity_record(
        actor=chair, target=run, action="matching.commit",
        summary=f"Assignment run {run.pk} committed: {len(added)} added, {len(removed)} removed",
        after={"added": len(added), "removed": len(removed),
               **({"during_bidding": True} if bidding_open(workshop) else {})},
    )  # fmt: skip
    assignment_notices_queue(workshop=workshop, reviewer_ids=changed, event=entry, target=run)
    return {"added": len(added), "removed": len(removed), "notified": len(changed)}


def assignment_notices_queue(*, workshop: Workshop, reviewer_ids: set[int], event: Activity,
                             target: Assignment | MatchingRun) -> None:  # fmt: skip
    """One mail per reviewer with their current list of papers, keyed by the activity entry
    of the action that changed their assignment (`event`)."""
    papers: dict[int, list[Submission]] = defaultdict(list)
    for a in (
        Assignment.objects.filter(submission__workshop=workshop, reviewer_id__in=reviewer_ids,
                                  role=Role.REVIEWER, declined_at__isnull=True)
        .select_related("submission")
        .only("reviewer_id", "submission__number", "submission__title")
        .order_by("submission__number")
    ):  # fmt: skip
        papers[a.reviewer_id].append(a.submission)
    for user in User.objects.filter(pk__in=reviewer_ids):
        mail_queue(
            key=f"assignment:{event.pk}:{user.pk}",
            template="assignment_notice",
            to=user.email,
            context={"user": user, "papers": papers.get(user.pk, [])},
            workshop=workshop,
            recipient=user,
            target=target,
        )


@transaction.atomic
def assignment_add(*, submission: Submission, reviewer: User, chair: User, locked: bool = False,
                   role: str = Role.REVIEWER, notify: bool = True
                   ) -> tuple[Assignment, list[str]]:  # fmt: skip
    """Assign by hand (or again, after the reviewer declined). Asks `reviews.assign` on the
    paper. Refuses conflicts (a chair lifts one first, with a reason) and people outside the
    committee; returns the assignment and warnings (e.g. a load above the maximum).

    Side effects: one `assignment.add` activity entry and, unless `notify` is False, a mail
    to the reviewer with their papers, keyed by that entry (so a re-assignment after a
    decline is notified again); only `assignment.lock` when it just locks an existing one;
    nothing when nothing changes (a double click).
    """
    require_on_paper(chair, "reviews.assign", submission,
                     message="Only the chairs assign reviewers.")  # fmt: skip
    workshop = submission.workshop
    if role not in COMMITTEE_ROLES:
        raise ServiceError("Papers are assigned to reviewers and area chairs only.")
    if not workshop.memberships.filter(user=reviewer, role=role).exists():
        raise ServiceError(f"{reviewer.name} is not a {Role(role).label.lower()} of this workshop.")
    conflicts = conflicts_for(workshop, user_ids=[reviewer.pk], include_drafts=True)
    if conflicts.is_conflict(submission.pk, reviewer.pk):
        reasons = ", ".join(sorted(conflicts.reasons[(submission.pk, reviewer.pk)]))
        raise ServiceError(f"{reviewer.name} is in conflict with #{submission.number} ({reasons}).")
    assignment, created = Assignment.objects.get_or_create(
        submission=submission, reviewer=reviewer, role=role,
        defaults={"locked": locked, "created_by": chair},
    )  # fmt: skip
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk)
    action = "assignment.add" if created else None
    before = None
    if not created and assignment.declined_at:
        # The chair asks again after a decline: the same row is live again, and notified.
        before = {"declined": True, "locked": assignment.locked}
        assignment.declined_at = None
        assignment.decline_reason = ""
        assignment.locked = assignment.locked or locked
        assignment.created_by = chair
        assignment.save(update_fields=["declined_at", "decline_reason", "locked", "created_by"])
        action = "assignment.add"
    elif not created and locked and not assignment.locked:
        assignment.locked = True
        assignment.save(update_fields=["locked"])
        action = "assignment.lock"
    warnings = []
    load = Assignment.objects.filter(
        submission__workshop=workshop, reviewer=reviewer, role=role, declined_at__isnull=True
    ).count()
    profile = ReviewerProfile.objects.filter(workshop=workshop, user=reviewer).first()
    limit = profile.max_load if profile else workshop.reviewer_max_load
    if load > limit:
        warnings.append(f"{reviewer.name} now has {load} papers, above their maximum of {limit}.")
    if action is None:
        return assignment, warnings
    if action == "assignment.lock":
        activity_record(actor=chair, target=assignment, action=action,
                        summary=f"{reviewer} on #{submission.number}: locked",
                        before={"locked": False}, after={"locked": True})  # fmt: skip
        return assignment, warnings
    pseudonyms_fill([submission.pk])
    paper_scores_refresh([submission.pk])
    entry = activity_record(
        actor=chair, target=assignment, action=action,
        summary=f"{reviewer} assigned to #{submission.number} as {Role(role).label.lower()}"
        + (" again, after declining" if before else ""),
        before=before, after={"declined": False, "locked": assignment.locked},
    )  # fmt: skip
    if notify:
        assignment_notices_queue(workshop=workshop, reviewer_ids={reviewer.pk}, event=entry,
                                 target=assignment)  # fmt: skip
    return assignment, warnings


@transaction.atomic
def assignment_remove(*, assignment: Assignment, chair: User) -> None:
    """Take a paper from a reviewer (their review, if any, goes with it). Asks
    `reviews.assign`. Side effects: one `assignment.remove` activity entry."""
    assignment = lock_on_paper(
        Assignment.objects.select_related("reviewer"), assignment.pk,
        actor=chair, perm="reviews.assign", message="Only the chairs unassign reviewers.",
    )  # fmt: skip
    if assignment is None:
        return
    activity_record(
        actor=chair, target=assignment, action="assignment.remove",
        summary=f"{assignment.reviewer} removed from #{assignment.submission.number}",
        before={"role": assignment.role, "declined": bool(assignment.declined_at),
                "review": assignment_review(assignment) is not None},
    )  # fmt: skip
    assignment.delete()
    paper_scores_refresh([assignment.submission_id])


@transaction.atomic
def assignment_lock(*, assignment: Assignment, chair: User, locked: bool) -> Assignment:
    """Keep (or stop keeping) an assignment through every matching run. Asks
    `reviews.assign`. Side effects: one `assignment.lock` activity entry when it changes."""
    found = lock_on_paper(
        Assignment.objects.select_related("reviewer"), assignment.pk,
        actor=chair, perm="reviews.assign", message="Only the chairs lock assignments.",
    )  # fmt: skip
    if found is None:
        raise NotFound()
    assignment = found
    if assignment.locked == locked:
        return assignment
    assignment.locked = locked
    assignment.save(update_fields=["locked"])
    activity_record(
        actor=chair, target=assignment, action="assignment.lock",
        summary=f"{assignment.reviewer} on #{assignment.submission.number}: "
        + ("locked" if locked else "unlocked"),
        before={"locked": not locked}, after={"locked": locked},
    )  # fmt: skip
    return assignment


@dataclass
class AssignmentChange:
    """One change of a bulk request: a paper (by number) and a person (by e-mail, as the
    chair wrote it), to assign in `role` or to take off it."""

    paper: int
    reviewer: str
    role: str = Role.REVIEWER


@dataclass
class AssignmentChangeResult:
    action: str  # "add" or "remove"
    paper: int
    reviewer: str
    role: str
    ok: bool = True
    changed: bool = False
    message: str = ""


@transaction.atomic
def assignments_bulk_change(
    *,
    workshop: Workshop,
    chair: User,
    add: list[AssignmentChange],
    remove: list[AssignmentChange],
) -> list[AssignmentChangeResult]:
    """Remove, then add, assignments in bulk: each change through `assignment_remove` or
    `assignment_add` in its own savepoint (a refused one leaves no trace and says why;
    the others stand), in one transaction the caller may roll back as a whole (a dry run,
    or all-or-nothing). Asks `reviews.assign` on the workshop.

    Only the workshop's own people are looked up (`connected_users`): anyone else (another
    workshop's, or no account at all) gets one answer naming the address as given, nobody's
    name. Side effects: those of each change made (one activity entry each, the reviewer's
    notice for an addition); none for a change that changes nothing or is refused.
    """
    require(chair, "reviews.assign", workshop, message="Only the chairs assign reviewers.")
    changes = [*remove, *add]
    papers = {
        s.number: s
        for s in Submission.objects.filter(
            workshop=workshop, number__in=[c.paper for c in changes]
        ).select_related("workshop")
    }
    emails = {c.reviewer.lower() for c in changes}
    people = {u.email.lower(): u for u in connected_users([workshop.pk]).filter(email__in=emails)}

    def one(action: str, change: AssignmentChange) -> AssignmentChangeResult:
        result = AssignmentChangeResult(action, change.paper, change.reviewer, change.role)
        paper = papers.get(change.paper)
        person = people.get(change.reviewer.lower())
        if paper is None:
            result.ok, result.message = False, "No such paper."
            return result
        if person is None:
            role = Role(change.role).label.lower()
            result.ok, result.message = (
                False,
                f"{change.reviewer} is not a {role} of this workshop.",
            )
            return result
        try:
            with transaction.atomic():
                if action == "add":
                    before = Assignment.objects.filter(
                        submission=paper, reviewer=person, role=change.role,
                        declined_at__isnull=True,
                    ).exists()  # fmt: skip
                    _, warnings = assignment_add(
                        submission=paper, reviewer=person, chair=chair, role=change.role
                    )
                    result.changed, result.message = not before, " ".join(warnings)
                    return result
                found = Assignment.objects.filter(
                    submission=paper, reviewer=person, role=change.role
                ).first()
                if found is None:
                    result.message = "Not assigned: nothing to remove."
                    return result
                assignment_remove(assignment=found, chair=chair)
                result.changed = True
                return result
        except ServiceError as exc:
            result.ok, result.message = False, exc.message
            return result

    return [one("remove", c) for c in remove] + [one("add", c) for c in add]
