"""The committee's reads: its workshops, the bidding list and counters, the chairs' overview
of members and bids. Papers a conflict hides from a member (`hidden_submission_ids`: on a
double-blind workshop, none that only the member's own input made) never appear."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from submissions.models import Submission, SubmissionStatus
from workshop.models import Membership, Role, Topic, User, Workshop
from workshop.policy import can

from ..affinity import (
    PublicationText,
    best_publications,
    expertise_fit,
    fit_scores,
    paper_text,
    profile_documents,
    topic_scores,
)
from ..expertise.embedding import load_model
from ..models import EXTERNAL, POSITIVE_BIDS, Assignment, Bid, ReviewerProfile
from ..permissions import bidding_facts_prefill
from .conflicts import ConflictMap, conflicts_for, hidden_submission_ids
from .expertise import FitExplanation, included_publications

COMMITTEE_ROLES = (Role.REVIEWER, Role.AREA_CHAIR)

# What bidding shows of a paper: never authors, files or anything derived from them.
BIDDING_FIELDS = ("pk", "workshop_id", "number", "title", "abstract", "tldr", "keywords",
                  "primary_topic_id", "submission_type_id", "status", "updated_at")  # fmt: skip
PAGE_SIZE = 50


def committee_workshops(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, role__in=COMMITTEE_ROLES)
        .select_related("workshop")
        .order_by("-workshop__paper_deadline")
    )


def workshop_for_committee(user: User, slug: str) -> Workshop:
    """The workshop by slug if `user` is on its committee (Workshop.DoesNotExist otherwise)."""
    # distinct: a reviewer who is also an area chair joins to two membership rows
    return (
        Workshop.objects.filter(
            slug=slug, memberships__user=user, memberships__role__in=COMMITTEE_ROLES
        )
        .distinct()
        .get()
    )


def workshop_for_reviewing(user: User, slug: str) -> Workshop:
    """The workshop by slug for its review pages: committee members, its chairs, and its
    external reviewers (issue 28: an active assignment of role `external`, no membership)."""
    try:
        return workshop_for_committee(user, slug)
    except Workshop.DoesNotExist:
        workshop = Workshop.objects.get(slug=slug)
        external = Assignment.objects.filter(
            submission__workshop=workshop,
            reviewer_id=getattr(user, "pk", None),
            role=EXTERNAL,
            declined_at__isnull=True,
        )
        if not can(user, "workshop.manage", workshop) and not external.exists():
            raise
        return workshop


def biddable_submissions(workshop: Workshop, user: User) -> QuerySet[Submission]:
    """Submitted papers of the workshop that no conflict hides from `user`."""
    return (
        Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
        .exclude(pk__in=hidden_submission_ids(workshop, user))
        .only(*BIDDING_FIELDS)
    )


@dataclass
class BiddingRow:
    submission: Submission
    fit: float
    bid: str
    explain: FitExplanation | None = None


@dataclass
class BiddingPage:
    rows: list[BiddingRow]
    page: Page
    matching: int
    total: int
    placed: int
    requested: int
    topics: list[Topic]


def _fit(workshop: Workshop, user: User, papers: list[Submission], corpus: list[Submission],
         profile: ReviewerProfile | None,
         publications: list[PublicationText]) -> list[FitExplanation]:  # fmt: skip
    """Estimated fit per paper with its explanation (topic, text, embedding, the two best
    matching publications), cached until the papers, the profile or the publication list
    change (publication services touch the profile): the text model is the page's main cost.
    The text space is the matching instance's (every paper under review), so a pair's text
    score here is the one the matcher uses."""
    if not papers:
        return []
    stamp = max(p.updated_at for p in papers).timestamp()
    key = (f"bidfit3:{workshop.pk}:{workshop.paper_deadline.year}:{user.pk}:{len(papers)}:{stamp}:"
           f"{profile.updated_at.timestamp() if profile else 0}")  # fmt: skip
    cached = cache.get(key)
    if cached is not None and len(cached) == len(papers):
        return cached
    levels = {e.topic_id: e.level for e in profile.topics.all()} if profile else {}
    index = {p.pk: i for i, p in enumerate(corpus)}
    rows = [index[p.pk] for p in papers]
    docs = [profile_documents(publications, profile.expertise_text if profile else "")]
    parts = expertise_fit(
        [paper_text(p.title, p.abstract, p.keywords) for p in corpus],
        docs,
        model=load_model(),
        reference_year=workshop.paper_deadline.year,
    )
    text = parts.text[rows, 0]
    embedding = parts.embedding[rows, 0] if parts.embedding is not None else None
    topic_fit = topic_scores(
        [(p.primary_topic_id, {t.pk for t in p.secondary_topics.all()}) for p in papers], [levels]
    )[:, 0]
    total = fit_scores(topic_fit, parts.content()[rows, 0])
    best = best_publications(parts.space, publications, rows)
    fit = [
        FitExplanation(
            topic=round(float(topic_fit[i]), 3),
            text=round(float(text[i]), 3),
            embedding=None if embedding is None else round(float(embedding[i]), 3),
            total=float(total[i]),
            publications=[
                {"title": p.title, "year": p.year, "similarity": sim} for p, sim in best[i]
            ],
        )
        for i in range(len(papers))
    ]
    cache.set(key, fit, 3600)
    return fit


def bidding_page(workshop: Workshop, user: User, *, query: str = "", topic_id: int | None = None,
                 page: int | str = 1) -> BiddingPage:  # fmt: skip
    """The bidding list sorted by estimated fit, searched and filtered, with the counter.

    A constant number of queries whatever the number of papers.
    """
    # Every paper under review is read (one query) because the text space is the matching
    # instance's; papers a conflict hides from the user are dropped here and shown nowhere
    # (on a double-blind workshop a conflict of the user's own making hides nothing).
    conflicted = hidden_submission_ids(workshop, user)
    corpus = list(
        Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
        .only(*BIDDING_FIELDS)
        .select_related("primary_topic")
        .prefetch_related("secondary_topics")
        .order_by("number")
    )
    papers = [p for p in corpus if p.pk not in conflicted]
    profile = (
        ReviewerProfile.objects.filter(workshop=workshop, user=user)
        .prefetch_related("topics")
        .first()
    )
    publications = included_publications([user.pk]).get(user.pk, [])
    fit = _fit(workshop, user, papers, corpus, profile, publications)
    bids = dict(
        Bid.objects.filter(user=user, submission__in=[p.pk for p in papers]).values_list(
            "submission_id", "value"
        )
    )
    rows = [BiddingRow(p, float(f.total or 0.0), bids.get(p.pk, ""), f)
            for p, f in zip(papers, fit, strict=True)]  # fmt: skip
    placed = sum(1 for r in rows if r.bid)
    if topic_id:
        rows = [r for r in rows if topic_id in _topic_ids(r.submission)]
    if query.strip():
        needle = query.strip().lower().lstrip("#")
        rows = [r for r in rows if _matches(r.submission, needle)]
    rows.sort(key=lambda r: (-r.fit, r.submission.number))
    paginator = Paginator(rows, PAGE_SIZE)
    shown = paginator.get_page(page)
    return BiddingPage(
        rows=list(shown.object_list),
        page=shown,
        matching=len(rows),
        total=len(papers),
        placed=placed,
        requested=min(workshop.bids_requested, len(papers)),
        topics=list(Topic.objects.filter(workshop=workshop)),
    )


def _topic_ids(submission: Submission) -> set[int]:
    return {submission.primary_topic_id} | {t.pk for t in submission.secondary_topics.all()}


def _matches(submission: Submission, needle: str) -> bool:
    haystack = f"{submission.title}\n{submission.abstract}\n{submission.keywords}".lower()
    return needle in haystack or needle == str(submission.number)


@dataclass
class CommitteeRow:
    user: User
    roles: list[str]
    profile: ReviewerProfile | None
    expertise_count: int
    bids: int
    positive_bids: int
    load: int


def committee_overview(workshop: Workshop) -> list[CommitteeRow]:
    """The chairs' view of the committee: roles, profile, bids placed, assigned load."""
    members: dict[int, CommitteeRow] = {}
    for m in Membership.objects.filter(workshop=workshop, role__in=COMMITTEE_ROLES).select_related(
        "user"
    ):
        row = members.setdefault(m.user_id, CommitteeRow(m.user, [], None, 0, 0, 0, 0))
        row.roles.append(m.get_role_display())
    profiles = ReviewerProfile.objects.filter(workshop=workshop, user_id__in=members).annotate(
        n_topics=Count("topics")
    )
    for p in profiles:
        members[p.user_id].profile = p
        members[p.user_id].expertise_count = p.n_topics
    bid_counts = (
        Bid.objects.filter(submission__workshop=workshop, user_id__in=members)
        .values("user_id")
        .annotate(n=Count("pk"), positive=Count("pk", filter=Q(value__in=POSITIVE_BIDS)))
    )
    for b in bid_counts:
        members[b["user_id"]].bids = b["n"]
        members[b["user_id"]].positive_bids = b["positive"]
    for (_, uid), load in member_loads([workshop.pk]).items():
        if uid in members:
            members[uid].load = load
    return sorted(members.values(), key=lambda r: r.user.name.lower())


def member_loads(workshop_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """{(workshop id, user id): the person's active assignments (any role, not declined)}:
    the load the committee overview shows and the chairs' home spreads; one query for any
    number of workshops."""
    return {
        (wid, uid): n
        for wid, uid, n in Assignment.objects.filter(
            submission__workshop__in=list(workshop_ids), declined_at__isnull=True
        )
        .order_by()
        .values("submission__workshop_id", "reviewer_id")
        .annotate(n=Count("pk"))
        .values_list("submission__workshop_id", "reviewer_id", "n")
    }


def bid_coverage(workshop: Workshop) -> list[dict]:
    """Per submitted paper: positive bids against reviews needed (short ones first).

    A positive bid of a member in conflict with the paper counts as a bid but not as
    positive: the matching ignores it (a double-blind reviewer may bid on a paper their own
    declarations conflict with, since the list must not tell them which one it is)."""
    papers = (
        Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
        .annotate(bids_total=Count("bids"))
        .only("pk", "number", "title")
        .order_by("number")
    )
    conflicted = conflicts_for(workshop).pairs()
    positive = Counter(
        sid
        for sid, uid in Bid.objects.filter(
            submission__workshop=workshop, value__in=POSITIVE_BIDS
        ).values_list("submission_id", "user_id")
        if (sid, uid) not in conflicted
    )
    needed = workshop.reviews_per_paper
    rows = [
        {
            "submission": p,
            "positive": positive[p.pk],
            "bids": p.bids_total,
            "needed": needed,
            "short": positive[p.pk] < needed,
        }
        for p in papers
    ]
    return sorted(rows, key=lambda r: (not r["short"], r["positive"], r["submission"].number))


def bids_placed(
    workshop: Workshop, user: User, *, conflicted: set[int] | None = None
) -> tuple[int, int]:
    """Bids the user placed on papers they can see, and how many papers they can see
    (hidden papers never count in either). `conflicted` (the hidden papers) saves
    recomputing conflicts."""
    if conflicted is None:
        conflicted = hidden_submission_ids(workshop, user)
    visible = list(
        Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
        .exclude(pk__in=conflicted)
        .values_list("pk", flat=True)
    )
    return Bid.objects.filter(user=user, submission__in=visible).count(), len(visible)


def bid_target(
    workshop: Workshop, user: User, pk: int, *, conflicts: ConflictMap | None = None
) -> Submission:
    """A paper of `workshop` the user sees in bidding (`reviews.view_bidding`: hidden by no
    conflict but their own "in conflict" bid, so that a mis-click can be undone).
    Submission.DoesNotExist otherwise."""
    submission = Submission.objects.select_related("workshop").get(
        pk=pk, workshop=workshop, status=SubmissionStatus.SUBMITTED
    )
    if conflicts is not None:
        bidding_facts_prefill(submission, user, conflicts)
    if not can(user, "reviews.view_bidding", submission):
        raise Submission.DoesNotExist
    return submission
