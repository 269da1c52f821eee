"""The chairs' home: the figures of every workshop a chair chairs, in the order of the
lifecycle (submissions, committee, assignment, reviews, decisions, camera-ready), for any
number of workshops in a constant number of queries (each grouped by workshop).

A figure shown here is the figure of the page it links to, computed once:
- papers, decisions and disagreements count what the decision board's searches count
  (`board_papers` with `decision:none`, `disagree:`, ...: `BOARD_SEARCHES`, compiled by the
  board's own search language; `assigned:<n>` per workshop), on the stored per-paper
  figures (`PaperScore`);
- reviews done / assigned and late reviewers are the progress page's own functions
  (`review_totals`, `late_reviewer_counts`, beside `late_reviewers`);
- members, loads and bidders are the committee overview's rows (`member_loads`), and a
  complete profile is what the reviewer's dashboard calls complete (`profile_missing`).
The programme's figure (scheduled papers) belongs to the programme app, above this one:
`programme.selectors.scheduled_counts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median

from django.db.models import Count, F, Q

from submissions.models import DECIDABLE, Submission, SubmissionStatus
from workshop.models import MailStatus, Membership, OutgoingMail, Role, Topic, Workshop
from workshop.search import SearchContext, search_compile

from .. import search as _board_keywords  # noqa: F401 - registers the board's keywords
from ..models import Bid, Invitation, InvitationStatus, ReviewerProfile
from ..services.committee import profile_missing
from .committee import COMMITTEE_ROLES, member_loads
from .progress import late_reviewer_counts, review_totals

FLAGGED = Q(paper__anonymity_flag=True) | Q(paper__hidden_text_flag=True)
# The decision board's searches behind the figures that link to the board: each figure
# counts the search's own compiled condition, and its link carries the same text.
BOARD_SEARCHES = {
    "disagreements": "disagree:",
    "disagreements_undecided": "disagree: decision:none",
    "decided": "decision:any",
    "undecided": "decision:none",
}


@dataclass
class Spread:
    """Reviewer loads (active assignments per reviewer, those with none included)."""

    low: int
    middle: float
    high: int

    @classmethod
    def of(cls, loads: list[int]) -> Spread | None:
        return cls(min(loads), median(loads), max(loads)) if loads else None


@dataclass
class WorkshopFigures:
    """One workshop's figures; every count is of that workshop only."""

    workshop: Workshop
    # Submissions: drafts, on the board (submitted or decided), withdrawn, and the papers
    # under review that a file check flagged.
    drafts: int = 0
    submitted: int = 0
    withdrawn: int = 0
    flagged: int = 0
    # Committee: invitations sent and accepted; members (reviewers and area chairs), those
    # with a complete profile, those who placed at least one bid.
    invited: int = 0
    invitations_accepted: int = 0
    members: int = 0
    profiles_complete: int = 0
    bidders: int = 0
    # Assignment: papers under review, those with fewer active reviewers than required,
    # and the reviewers' loads.
    under_review: int = 0
    short_of_reviewers: int = 0
    loads: list[int] = field(default_factory=list)
    # Reviews of the papers in review (under review or decided after review); reviewers
    # still owing one; papers whose scores disagree (all, and those without a decision).
    reviews_assigned: int = 0
    reviews_done: int = 0
    reviewers_owing: int = 0
    disagreements: int = 0
    disagreements_undecided: int = 0
    # Decisions (on the board's papers) and mails held for release.
    decided: int = 0
    undecided: int = 0
    mails_held: int = 0
    # Camera-ready: accepted papers, and those whose camera-ready version is in.
    accepted: int = 0
    camera_ready: int = 0

    @property
    def load_spread(self) -> Spread | None:
        return Spread.of(self.loads)

    @property
    def reviews_percent(self) -> int:
        """Reviews done, in whole percent of those assigned (0 when none is assigned)."""
        if not self.reviews_assigned:
            return 0
        return self.reviews_done * 100 // self.reviews_assigned

    @property
    def camera_ready_missing(self) -> int:
        return self.accepted - self.camera_ready


def paper_counts(workshop_ids: list[int]) -> dict[int, dict[str, int]]:
    """Every per-paper figure of the workshops, one grouped query: statuses, check flags,
    papers short of reviewers (the board's `assigned:<n` with each workshop's own
    `reviews_per_paper`: no stored figures means none assigned), the board's searches
    (`BOARD_SEARCHES`) on the board's papers, camera-ready versions."""
    on_board = Q(status__in=DECIDABLE)  # `board_papers`
    under_review = Q(status=SubmissionStatus.SUBMITTED)
    short = Q(score__isnull=True) | Q(score__assigned__lt=F("workshop__reviews_per_paper"))
    context = SearchContext(frozenset(workshop_ids))
    searched = {
        name: Count("pk", filter=on_board & search_compile(text, context))
        for name, text in BOARD_SEARCHES.items()
    }
    rows = (
        Submission.objects.filter(workshop__in=workshop_ids)
        .order_by()
        .values("workshop_id")
        .annotate(
            drafts=Count("pk", filter=Q(status=SubmissionStatus.DRAFT)),
            submitted=Count("pk", filter=on_board),
            withdrawn=Count("pk", filter=Q(status=SubmissionStatus.WITHDRAWN)),
            flagged=Count("pk", filter=under_review & FLAGGED),
            under_review=Count("pk", filter=under_review),
            short_of_reviewers=Count("pk", filter=under_review & short),
            **searched,
            accepted=Count("pk", filter=Q(status=SubmissionStatus.ACCEPTED)),
            camera_ready=Count(
                "pk", filter=Q(status=SubmissionStatus.ACCEPTED, camera_ready__isnull=False)
            ),
        )
    )
    return {row.pop("workshop_id"): row for row in rows}


def _committee(figures: dict[int, WorkshopFigures], ids: list[int]) -> None:
    """Invitations, members, complete profiles, bidders and loads (six queries)."""
    for wid, invited, accepted in (
        Invitation.objects.filter(workshop__in=ids)
        .order_by()
        .values("workshop_id")
        .annotate(n=Count("pk"), accepted=Count("pk", filter=Q(status=InvitationStatus.ACCEPTED)))
        .values_list("workshop_id", "n", "accepted")
    ):
        figures[wid].invited, figures[wid].invitations_accepted = invited, accepted
    members: dict[int, set[int]] = defaultdict(set)
    reviewers: dict[int, set[int]] = defaultdict(set)
    for wid, uid, role in Membership.objects.filter(
        workshop__in=ids, role__in=COMMITTEE_ROLES
    ).values_list("workshop_id", "user_id", "role"):
        members[wid].add(uid)
        if role == Role.REVIEWER:
            reviewers[wid].add(uid)
    topics = dict(
        Topic.objects.filter(workshop__in=ids)
        .order_by()
        .values("workshop_id")
        .annotate(n=Count("pk"))
        .values_list("workshop_id", "n")
    )
    for profile in (
        ReviewerProfile.objects.filter(workshop__in=ids)
        .annotate(n_topics=Count("topics"))
        .only("workshop_id", "user_id", "expertise_text")
    ):
        wid = profile.workshop_id
        if profile.user_id in members[wid] and not profile_missing(
            profile, topics.get(wid, 0), profile.n_topics
        ):
            figures[wid].profiles_complete += 1
    bidders = set(
        Bid.objects.filter(submission__workshop__in=ids)
        .order_by()
        .values_list("submission__workshop_id", "user_id")
        .distinct()
    )
    loads = member_loads(ids)
    for wid, people in members.items():
        figures[wid].members = len(people)
        figures[wid].bidders = sum(1 for uid in people if (wid, uid) in bidders)
        figures[wid].loads = sorted(loads.get((wid, uid), 0) for uid in reviewers[wid])


def console_figures(workshops: Iterable[Workshop]) -> list[WorkshopFigures]:
    """The figures of these workshops (in their order): ten queries, whatever the number of
    workshops, papers, members or reviews."""
    figures = {w.pk: WorkshopFigures(w) for w in workshops}
    ids = list(figures)
    if not ids:
        return []
    for wid, counts in paper_counts(ids).items():
        for name, value in counts.items():
            setattr(figures[wid], name, value)
    _committee(figures, ids)
    for wid, (assigned, done) in review_totals(ids).items():
        figures[wid].reviews_assigned, figures[wid].reviews_done = assigned, done
    for wid, n in late_reviewer_counts(ids).items():
        figures[wid].reviewers_owing = n
    for wid, n in (
        OutgoingMail.objects.filter(workshop__in=ids, status=MailStatus.HELD)
        .order_by()
        .values("workshop_id")
        .annotate(n=Count("pk"))
        .values_list("workshop_id", "n")
    ):
        figures[wid].mails_held = n
    return list(figures.values())
