"""The chairs' home on the admin index: what needs them now, then each workshop's figures in
the order of the lifecycle (each linked to the page that acts on it), its phase, its next
step and the links to every chair tool.

It lives in the programme app, the highest app whose figures it shows; the figures come
from `reviews.selectors.console` and `programme.selectors.scheduled_counts`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from reviews.selectors.console import BOARD_SEARCHES, WorkshopFigures, console_figures
from workshop.models import Workshop
from workshop.phases import current_phase, next_milestone
from workshop.selectors import chaired_workshop_ids

from ..selectors import scheduled_counts

register = template.Library()

# The lifecycle's steps, in order: the cards of each workshop and the order of the needs.
STEPS = ("submissions", "committee", "assignment", "reviews", "decisions", "camera_ready",
         "programme")  # fmt: skip


@dataclass
class Need:
    """One thing that waits for the chairs: a sentence, where to act, and its step."""

    step: str
    name: str
    workshop: Workshop
    text: str
    url: str


def _n(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def figure_links(workshop: Workshop) -> dict[str, str]:
    """Where each figure of `workshop` is acted on: a filtered list or a chair page."""
    pk = workshop.pk

    def board(q: str = "", **extra: str) -> str:
        query = {"workshop": pk, **({"q": q} if q else {}), **extra}
        return f"{reverse('admin:reviews_decisionboard_changelist')}?{urlencode(query)}"

    def papers(**query: str) -> str:
        query = {"workshop__id__exact": str(pk), **query}
        return f"{reverse('admin:submissions_submission_changelist')}?{urlencode(query)}"

    committee = reverse("admin:reviews_committee", args=[pk])
    invitations = reverse("admin:reviews_invitation_changelist")
    progress = reverse("admin:reviews_progress", args=[pk])
    outbox = reverse("admin:workshop_outgoingmail_changelist")
    return {
        "drafts": papers(status__exact="draft"),
        "submitted": board(),
        "withdrawn": papers(status__exact="withdrawn"),
        "flagged": papers(status__exact="submitted", flag="any"),
        "invited": f"{invitations}?workshop__id__exact={pk}",
        "invitations_accepted": f"{invitations}?workshop__id__exact={pk}&status__exact=accepted",
        "members": committee,
        "profiles_complete": committee,
        "bidders": committee,
        "short_of_reviewers": board(f"status:submitted assigned:<{workshop.reviews_per_paper}"),
        "load_spread": committee,
        "reviews_done": progress,
        "reviewers_owing": progress,
        "disagreements": board(BOARD_SEARCHES["disagreements"], sort="-spread"),
        "disagreements_undecided": board(BOARD_SEARCHES["disagreements_undecided"], sort="-spread"),
        "decided": board(BOARD_SEARCHES["decided"]),
        "undecided": board(BOARD_SEARCHES["undecided"]),
        "mails_held": f"{outbox}?workshop__id__exact={pk}&status__exact=held",
        "camera_ready": papers(status__exact="accepted"),
        "camera_ready_missing": papers(status__exact="accepted", q="camera:no"),
        "scheduled": reverse("programme:edit", args=[workshop.slug]),
    }


def needs_of(
    f: WorkshopFigures, scheduled: int, links: dict[str, str], now: dt.datetime
) -> list[Need]:
    """What waits for the chairs of one workshop now, by the step it belongs to: only what
    the clock makes due (profiles matter until bidding ends, nobody is late before the
    review deadline, the camera-ready and the programme wait for released decisions)."""
    w = f.workshop
    closed = now >= w.paper_deadline
    bidding = closed and w.bidding_deadline is not None and now < w.bidding_deadline
    before_assignment = now < (w.bidding_deadline or w.paper_deadline)
    reviews_due = now >= w.review_deadline
    candidates = [
        ("submissions", "flagged", f.flagged,
         _n(f.flagged, "paper flagged by the file checks", "papers flagged by the file checks")),
        ("committee", "profiles_complete",
         f.members - f.profiles_complete if before_assignment else 0,
         _n(f.members - f.profiles_complete, "member without a complete profile",
            "members without a complete profile")),
        ("committee", "bidders", (f.members - f.bidders) if bidding else 0,
         _n(f.members - f.bidders, "member has not bid yet", "members have not bid yet")),
        ("assignment", "short_of_reviewers", f.short_of_reviewers if closed else 0,
         _n(f.short_of_reviewers, "paper short of reviewers", "papers short of reviewers")),
        ("reviews", "reviewers_owing", f.reviewers_owing if reviews_due else 0,
         _n(f.reviewers_owing, "reviewer late", "reviewers late")),
        ("reviews", "disagreements_undecided", f.disagreements_undecided if reviews_due else 0,
         _n(f.disagreements_undecided, "undecided paper whose scores disagree",
            "undecided papers whose scores disagree")),
        ("decisions", "undecided",
         f.undecided if reviews_due and not w.decisions_released else 0,
         _n(f.undecided, "decision to make", "decisions to make")),
        ("decisions", "mails_held", f.mails_held,
         _n(f.mails_held, "mail held for release", "mails held for release")),
        ("camera_ready", "camera_ready_missing",
         f.camera_ready_missing if w.decisions_released else 0,
         _n(f.camera_ready_missing, "camera-ready version missing",
            "camera-ready versions missing")),
        ("programme", "scheduled", (f.accepted - scheduled) if w.decisions_released else 0,
         _n(f.accepted - scheduled, "accepted paper not in the programme",
            "accepted papers not in the programme")),
    ]  # fmt: skip
    return [
        Need(step, name, w, text, links[name])
        for step, name, count, text in candidates
        if count > 0
    ]


def chair_home(user) -> dict:  # type: ignore[no-untyped-def]
    """The rows (one per chaired workshop, latest deadline first) and the needs of all of
    them (by step, then in the rows' order), in a constant number of queries."""
    workshops = list(
        Workshop.objects.filter(pk__in=chaired_workshop_ids(user)).order_by("-paper_deadline")
    )
    scheduled = scheduled_counts(w.pk for w in workshops)
    now = timezone.now()
    rows, needs = [], []
    for f in console_figures(workshops):
        w = f.workshop
        links = figure_links(w)
        placed = scheduled.get(w.pk, 0)
        rows.append(
            {
                "workshop": w,
                "phase": current_phase(w, now),
                "next": next_milestone(w, now),
                "figures": f,
                "scheduled": placed,
                "links": links,
                "closed": now >= w.paper_deadline,
                "reviews_due": now >= w.review_deadline,
            }
        )
        needs.extend(needs_of(f, placed, links, now))
    order = {w.pk: i for i, w in enumerate(workshops)}
    needs.sort(key=lambda n: (STEPS.index(n.step), order[n.workshop.pk]))
    return {"rows": rows, "needs": needs, "several": len(workshops) > 1}


@register.inclusion_tag("admin/_chair_panel.html", takes_context=True)
def chair_panel(context) -> dict:  # type: ignore[no-untyped-def]
    # The request goes on to the panel: `{% can %}` there asks the policy for its user.
    request = context["request"]
    return {**chair_home(request.user), "request": request}
