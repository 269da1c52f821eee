"""Who reads which tags and votes (issue 28, part 4).

A member reads the shared tags and their own private tags of every paper they hold
`reviews.tag` on; the chairs read the chairs-only tags too. Nobody reads another member's
private tag, an author or a conflicted member reads nothing (the policy refuses them the
paper). Vote results: allotment votes sum the members' votes per paper; rank votes combine
the rankings by a Borda count (a paper placed k-th of a vote of N places earns N + 1 - k
points from that member), ties broken by the number of members who placed it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, Sum

from submissions.models import Submission
from workshop.models import Workshop
from workshop.policy import can

from ..models import PaperTag, PaperVote, TagVisibility, Vote, VoteKind


def _visible(user: Any, chair: bool) -> Q:
    seen = Q(visibility=TagVisibility.SHARED) | Q(
        visibility=TagVisibility.PRIVATE, owner_id=getattr(user, "pk", None)
    )
    return seen | Q(visibility=TagVisibility.CHAIRS) if chair else seen


def tags_for(user: Any, submissions: Iterable[Submission]) -> dict[int, list[PaperTag]]:
    """The tags of each paper that `user` sees, by paper id, in name order (chairs' first,
    then shared, then private for the same name). One query whatever the number of papers;
    the policy reads the user's roles and conflicts once per workshop."""
    papers = list(submissions)
    ids = [s.pk for s in papers if can(user, "reviews.tag", s)]
    if not ids:
        return {}
    chair_of = {s.workshop_id for s in papers if s.pk in ids and can(user, "reviews.chair_tags", s)}
    seen = _visible(user, chair=False)
    if chair_of:
        seen |= Q(visibility=TagVisibility.CHAIRS, submission__workshop_id__in=chair_of)
    found: dict[int, list[PaperTag]] = defaultdict(list)
    for tag in PaperTag.objects.filter(seen, submission_id__in=ids).order_by("name", "visibility"):
        found[tag.submission_id].append(tag)
    return dict(found)


def desk_tags(user: Any, workshop: Workshop, ids: list[int]) -> dict[int, list[PaperTag]]:
    """The tags of the desk's page of papers for one of the workshop's chairs: the shared and
    chairs-only tags and the chair's own private ones, one query (none for anyone else)."""
    if not ids or not can(user, "reviews.chair_tags", workshop):
        return {}
    found: dict[int, list[PaperTag]] = defaultdict(list)
    for tag in PaperTag.objects.filter(_visible(user, chair=True), submission_id__in=ids).order_by(
        "name", "visibility"
    ):
        found[tag.submission_id].append(tag)
    return dict(found)


@dataclass
class VoteResult:
    """One paper's result in one vote: votes (allotment) or Borda points (rank)."""

    total: int = 0
    voters: int = 0


@dataclass
class VoteTable:
    vote: Vote
    results: dict[int, VoteResult] = field(default_factory=dict)

    def ranking(self) -> list[tuple[int, VoteResult]]:
        """(paper id, result), the best first: by total, then voters, then paper id."""
        return sorted(self.results.items(), key=lambda kv: (-kv[1].total, -kv[1].voters, kv[0]))


def workshop_votes(workshop: Workshop) -> list[Vote]:
    return list(Vote.objects.filter(workshop=workshop).order_by("-is_open", "name"))


def vote_results(votes: list[Vote], ids: list[int] | None = None) -> dict[int, VoteTable]:
    """Each vote's results per paper (only the papers `ids`, or all), by vote id: one grouped
    query for all the votes. Nobody's ballot is named: only sums and counts leave here."""
    tables = {v.pk: VoteTable(v) for v in votes}
    if not tables:
        return {}
    ballots = PaperVote.objects.filter(vote_id__in=tables)
    if ids is not None:
        ballots = ballots.filter(submission_id__in=ids)
    rows = (
        ballots.order_by()
        .values("vote_id", "submission_id")
        .annotate(
            votes=Sum("count"),
            points=Sum(F("vote__allowance") + 1 - F("count")),
            voters=Count("member_id"),
        )
    )
    for row in rows:
        table = tables[row["vote_id"]]
        total = row["points"] if table.vote.kind == VoteKind.RANK else row["votes"]
        table.results[row["submission_id"]] = VoteResult(total, row["voters"])
    return tables


def desk_vote_sums(
    user: Any, workshop: Workshop, ids: list[int]
) -> tuple[list[Vote], dict[int, dict[int, VoteResult]]]:
    """For the desk's page (chairs only): the votes with ballots on the page, and per paper
    id {vote id: result}. One grouped query whatever the size of the page and the number of
    votes and ballots."""
    if not ids or not can(user, "reviews.manage_votes", workshop):
        return [], {}
    votes: dict[int, Vote] = {}
    per_paper: dict[int, dict[int, VoteResult]] = defaultdict(dict)
    rows = (
        PaperVote.objects.filter(vote__workshop=workshop, submission_id__in=ids)
        .order_by()
        .values("vote_id", "vote__name", "vote__kind", "vote__allowance", "submission_id")
        .annotate(
            votes=Sum("count"),
            points=Sum(F("vote__allowance") + 1 - F("count")),
            voters=Count("member_id"),
        )
    )
    for row in rows:
        vote = votes.setdefault(
            row["vote_id"],
            Vote(pk=row["vote_id"], workshop=workshop, name=row["vote__name"],
                 kind=row["vote__kind"], allowance=row["vote__allowance"]),
        )  # fmt: skip
        total = row["points"] if vote.kind == VoteKind.RANK else row["votes"]
        per_paper[row["submission_id"]][vote.pk] = VoteResult(total, row["voters"])
    return sorted(votes.values(), key=lambda v: v.name), dict(per_paper)


@dataclass
class PaperVoting:
    """One open (or closed) vote as a member sees it on a paper's page."""

    vote: Vote
    mine: int  # the member's votes (or place) for this paper, 0 for none
    used: int  # allotment: the member's votes on all papers; rank: places used
    total: int  # the paper's total (sum or Borda points) in the committee
    voters: int

    @property
    def left(self) -> int:
        return max(0, self.vote.allowance - self.used)

    @property
    def most(self) -> int:
        """The most this member can give this paper now (allotment)."""
        return self.mine + self.left


def paper_voting(user: Any, submission: Submission) -> list[PaperVoting]:
    """The workshop's votes as `user` sees them on this paper (empty unless they hold
    `reviews.tag` on it): their own ballot, their totals and the paper's committee total.
    Three queries."""
    if not can(user, "reviews.tag", submission):
        return []
    votes = workshop_votes(submission.workshop)
    if not votes:
        return []
    pk = getattr(user, "pk", None)
    mine: dict[int, int] = {}
    used: dict[int, int] = defaultdict(int)
    for vote_id, sid, count, kind in PaperVote.objects.filter(
        vote__in=votes, member_id=pk
    ).values_list("vote_id", "submission_id", "count", "vote__kind"):
        if sid == submission.pk:
            mine[vote_id] = count
        used[vote_id] += count if kind == VoteKind.ALLOTMENT else 1
    tables = vote_results(votes, [submission.pk])
    out = []
    for vote in votes:
        result = tables[vote.pk].results.get(submission.pk, VoteResult())
        out.append(PaperVoting(vote, mine.get(vote.pk, 0), used[vote.pk], result.total,
                               result.voters))  # fmt: skip
    return out


@dataclass
class TagPanel:
    """The tags and votes block of a paper's page."""

    tags: list[PaperTag]
    voting: list[PaperVoting]
    chair: bool


def paper_tag_panel(user: Any, submission: Submission) -> TagPanel | None:
    """What the paper page shows `user` of the paper's tags and votes; None for whoever
    may not see them (a conflicted member, an author). Four queries at most."""
    if not can(user, "reviews.tag", submission):
        return None
    return TagPanel(
        tags=tags_for(user, [submission]).get(submission.pk, []),
        voting=paper_voting(user, submission),
        chair=can(user, "reviews.chair_tags", submission),
    )
