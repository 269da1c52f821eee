"""Deadline reminders, computed by a periodic task (Celery beat, every 15 minutes).

Each reminder has a unique outbox key (kind, workshop, recipient, step), so beat firing
twice, a worker dying or a deploy in the middle never sends one twice. When several steps
are due at once (a late first run), only the latest is sent: nobody gets "7 days left"
and "1 day left" together. The windows are the policy's (`bidding_open`, `rebuttal_open`
in `reviews.permissions`). The periodic task acts as the system actor and writes one
`reminders.send` activity entry per workshop where it queued something.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from submissions.models import Authorship, SubmissionStatus
from workshop.activity import activity_record
from workshop.models import Role, User, Workshop
from workshop.outbox import MailSpec, mails_queue_bulk
from workshop.plurals import counted
from workshop.policy import SYSTEM, require

from .models import Assignment, ReviewStatus
from .permissions import bidding_open, rebuttal_open
from .selectors.external import external_reviews_owed
from .selectors.progress import late_reviewers
from .selectors.rounds import review_rounds

DAY = dt.timedelta(days=1)

KINDS = {
    "bidding": "Bidding deadline: reviewers with too few bids, 3 days and 1 day before",
    "review_due": "Review deadline: 7, 3 and 1 day before, to reviewers with reviews to do",
    "review_overdue": "Overdue reviews: daily after the deadline, at most 3 times",
    "rebuttal_open": "Author response opens: to the authors of reviewed papers",
    "camera_ready": "Camera-ready due: 7 days and 2 days before, to accepted papers' authors",
}
STEPS = {"bidding": (3, 1), "review_due": (7, 3, 1), "camera_ready": (7, 2)}
MAX_OVERDUE = 3


@dataclass
class Planned:
    kind: str
    step: str
    workshop: Workshop
    recipients: list[tuple[str, User | None, dict]] = field(default_factory=list)

    def key(self, email: str) -> str:
        return f"reminder:{self.kind}:{self.workshop.pk}:{self.step}:{email}"


def _step_before(
    deadline: dt.datetime | None, steps: tuple[int, ...], now: dt.datetime
) -> int | None:
    """The latest step (days before the deadline) that has been reached, or None."""
    if deadline is None or now >= deadline:
        return None
    reached = [d for d in steps if now >= deadline - d * DAY]
    return min(reached) if reached else None


def planned_reminders(workshop: Workshop, now: dt.datetime) -> list[Planned]:
    """The reminders due for `workshop` at `now` (switched-off kinds left out)."""
    off = set(workshop.reminders_disabled or [])
    plans: list[Planned] = []

    step = _step_before(workshop.bidding_deadline, STEPS["bidding"], now)
    if "bidding" not in off and step is not None and bidding_open(workshop, now):
        plan = Planned("bidding", f"{step}d", workshop)
        reviewers = User.objects.filter(
            memberships__workshop=workshop, memberships__role=Role.REVIEWER
        ).annotate(n=Count("bids", filter=Q(bids__submission__workshop=workshop), distinct=True))
        for user in reviewers:
            if user.n < workshop.bids_requested:
                plan.recipients.append((user.email, user, {"placed": user.n, "days": step}))
        plans.append(plan)

    # Each review round by its own deadline (round 1: the workshop's, unless it sets one);
    # a later round's steps are keyed by its number, so they never collide with round 1's.
    for number, due, grace_end in _review_round_deadlines(workshop):
        prefix = "" if number == 1 else f"r{number}-"
        step = _step_before(due, STEPS["review_due"], now)
        if "review_due" not in off and step is not None:
            plan = Planned("review_due", f"{prefix}{step}d", workshop)
            for user, papers in late_reviewers(workshop, number).values():
                plan.recipients.append(
                    (user.email, user, {"papers": papers, "days": step, "due": due})
                )
            plans.append(plan)

        if "review_overdue" not in off and now >= grace_end:
            day = int((now - due) / DAY) + 1
            if day <= MAX_OVERDUE:
                plan = Planned("review_overdue", f"{prefix}day{day}", workshop)
                for user, papers in late_reviewers(workshop, number).values():
                    plan.recipients.append(
                        (user.email, user, {"papers": papers, "day": day, "due": due})
                    )
                plans.append(plan)

    plans += _external_plans(workshop, now, off)

    if "rebuttal_open" not in off and rebuttal_open(workshop, now):
        plan = Planned("rebuttal_open", "open", workshop)
        reviewed = Assignment.objects.filter(
            submission__workshop=workshop, review__status=ReviewStatus.SUBMITTED
        ).values("submission_id")
        for author in (
            Authorship.objects.filter(
                submission__workshop=workshop,
                submission__status=SubmissionStatus.SUBMITTED,
                submission_id__in=reviewed,
            )
            .exclude(email="")
            .select_related("submission")
        ):
            plan.recipients.append((author.email, None, {"submission": author.submission}))
        plans.append(plan)

    step = _step_before(workshop.camera_ready_deadline, STEPS["camera_ready"], now)
    if "camera_ready" not in off and step is not None and workshop.decisions_released:
        plan = Planned("camera_ready", f"{step}d", workshop)
        for author in (
            Authorship.objects.filter(
                submission__workshop=workshop,
                submission__status=SubmissionStatus.ACCEPTED,
                is_contact=True,
            )
            .exclude(email="")
            .filter(
                Q(submission__camera_ready__isnull=True)
                | Q(submission__licence_accepted_at__isnull=True)
            )
            .select_related("submission")
        ):
            plan.recipients.append(
                (author.email, None, {"submission": author.submission, "days": step})
            )
        plans.append(plan)
    return plans


def _external_plans(workshop: Workshop, now: dt.datetime, off: set[str]) -> list[Planned]:
    """External reviewers (issue 28), each by their own due date (an emergency reviewer's
    is short): the steps of `review_due` before it, `review_overdue` daily after it; the
    steps are keyed by the request, so they never collide with the committee's."""
    plans: list[Planned] = []
    for request in external_reviews_owed(workshop):
        reviewer = request.assignment.reviewer
        context = {"papers": [request.submission], "due": request.due_at}
        step = _step_before(request.due_at, STEPS["review_due"], now)
        if "review_due" not in off and step is not None:
            plan = Planned("review_due", f"ext{request.pk}-{step}d", workshop)
            plan.recipients.append((reviewer.email, reviewer, {**context, "days": step}))
            plans.append(plan)
        if "review_overdue" not in off and now >= request.due_at + workshop.grace:
            day = int((now - request.due_at) / DAY) + 1
            if day <= MAX_OVERDUE:
                plan = Planned("review_overdue", f"ext{request.pk}-day{day}", workshop)
                plan.recipients.append((reviewer.email, reviewer, {**context, "day": day}))
                plans.append(plan)
    return plans


def _review_round_deadlines(workshop: Workshop) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """(round number, advertised deadline, end of its grace) of each review round: round 1
    always (the workshop's deadline unless its row sets one), then the later rounds."""
    rounds = {r.number: r for r in review_rounds(workshop)}
    first = rounds.pop(1, None)
    if first is not None:
        first.workshop = workshop
    due = first.due() if first else workshop.review_deadline
    found = [(1, due, due + workshop.grace)]
    for number, rnd in sorted(rounds.items()):
        rnd.workshop = workshop
        found.append((number, rnd.due(), rnd.due() + workshop.grace))
    return found


def reminders_queue(now: dt.datetime | None = None) -> int:
    """Queue every due reminder of every workshop; returns how many new mails were queued.

    Side effects: per workshop where something was queued, one `reminders.send` activity
    entry by the system actor, in the same transaction as its mails.
    """
    now = now or timezone.now()
    queued = 0
    horizon = now - 60 * DAY
    for workshop in Workshop.objects.filter(
        Q(camera_ready_deadline__gte=horizon) | Q(review_deadline__gte=horizon)
    ):
        queued += _workshop_reminders_queue(workshop, now)
    return queued


@transaction.atomic
def _workshop_reminders_queue(workshop: Workshop, now: dt.datetime) -> int:
    counts: dict[str, int] = {}
    for plan in planned_reminders(workshop, now):
        # One bulk insert and one delivery task per hundred mails, not one of each per mail.
        created = mails_queue_bulk(
            (
                MailSpec(
                    key=plan.key(email),
                    template=f"reminder_{plan.kind}",
                    to=email,
                    context={**context, "user": user},
                    recipient=user,
                    target=context.get("submission"),  # the paper, for the authors' reminders
                )
                for email, user, context in plan.recipients
            ),
            workshop=workshop,
        )
        if created:
            counts[plan.kind] = counts.get(plan.kind, 0) + len(created)
    if counts:
        activity_record(
            actor=SYSTEM, target=workshop, action="reminders.send",
            summary="Reminders queued: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())),
            after=counts,
        )  # fmt: skip
    return sum(counts.values())


def upcoming(workshop: Workshop, now: dt.datetime | None = None, days: int = 14) -> list[dict]:
    """What the reminder task will send in the next `days` days (for the chairs)."""
    now = now or timezone.now()
    rows = []
    for kind, steps, deadline in (
        ("bidding", STEPS["bidding"], workshop.bidding_deadline),
        ("review_due", STEPS["review_due"], workshop.review_deadline),
        ("camera_ready", STEPS["camera_ready"], workshop.camera_ready_deadline),
    ):
        if deadline is None:
            continue
        for d in steps:
            at = deadline - d * DAY
            if now <= at <= now + days * DAY:
                rows.append({"kind": kind, "at": at, "label": f"{counted(d, 'day')} before"})
    for number, due, grace_end in _review_round_deadlines(workshop):
        of_round = "" if number == 1 else f" (round {number})"
        if number > 1:
            for d in STEPS["review_due"]:
                at = due - d * DAY
                if now <= at <= now + days * DAY:
                    rows.append({"kind": "review_due", "at": at,
                                 "label": f"{counted(d, 'day')} before{of_round}"})  # fmt: skip
        for n in range(1, MAX_OVERDUE + 1):
            at = grace_end + (n - 1) * DAY
            if now <= at <= now + days * DAY:
                rows.append({"kind": "review_overdue", "at": at,
                             "label": f"overdue, day {n}{of_round}"})  # fmt: skip
    if workshop.rebuttal_opens and now <= workshop.rebuttal_opens <= now + days * DAY:
        rows.append(
            {
                "kind": "rebuttal_open",
                "at": workshop.rebuttal_opens,
                "label": "when the response window opens (if reviews are released)",
            }
        )
    off = set(workshop.reminders_disabled or [])
    for row in rows:
        row["off"] = row["kind"] in off
        row["description"] = KINDS[row["kind"]]
    return sorted(rows, key=lambda r: r["at"])


@transaction.atomic
def reminders_configure(*, workshop: Workshop, chair: User, enabled: set[str]) -> list[str]:
    """Switch kinds of reminders on or off for one workshop. Asks `reviews.remind`. Returns
    the kinds now off. Side effects: one `reminders.configure` activity entry when the
    choice changes."""
    require(chair, "reviews.remind", workshop, message="Only the chairs configure reminders.")
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    before = list(locked.reminders_disabled or [])
    off = [kind for kind in KINDS if kind not in enabled]
    workshop.reminders_disabled = off
    if sorted(before) == sorted(off):
        return off
    Workshop.objects.filter(pk=workshop.pk).update(reminders_disabled=off)
    activity_record(
        actor=chair, target=workshop, action="reminders.configure",
        summary="Reminders off: " + (", ".join(off) or "none"),
        before={"reminders_disabled": before}, after={"reminders_disabled": off},
    )  # fmt: skip
    return off
