"""The matching input read from the database: the Django side of matching.

`matching_input(workshop)` reads papers, reviewers, bids, profiles, conflicts and locks into
a `MatchingInput` (model objects plus the matrices `reviews.matching.solve` takes). The
engine flattens those matrices into its own `reviews.matching.problem.Instance`; the two
names are kept apart on purpose: this one knows papers and people, that one only indices.

Affinity of reviewer r for paper p = w_bid * bid + w_topic * topic fit + w_text * text
similarity, with bids eager 1, willing 0.5, neutral or none 0, not willing -1. Conflicts from
the one conflict selector become `forbidden`; locked assignments become `locked`; each
reviewer's max load is their profile's (a lower request counts once approved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Q

from submissions.models import Submission, SubmissionStatus
from workshop.models import Role, User, Workshop

from ..affinity import paper_text, text_similarity, topic_scores
from ..models import Assignment, Bid, BidValue, ReviewerProfile
from .conflicts import conflicts_for

BID_SCORE = {BidValue.EAGER: 1.0, BidValue.WILLING: 0.5, BidValue.NEUTRAL: 0.0,
             BidValue.NOT_WILLING: -1.0}  # fmt: skip
DEFAULT_WEIGHTS = {"bid": 1.0, "topic": 0.5, "text": 1.0}


@dataclass
class MatchingInput:
    papers: list[Submission]
    reviewers: list[User]
    affinity: np.ndarray  # papers x reviewers
    forbidden: np.ndarray  # bool, papers x reviewers
    locked: list[tuple[int, int]]  # (paper index, reviewer index)
    max_load: np.ndarray
    conflict_reasons: dict[tuple[int, int], set[str]]

    def paper_index(self) -> dict[int, int]:
        return {p.pk: i for i, p in enumerate(self.papers)}

    def reviewer_index(self) -> dict[int, int]:
        return {u.pk: j for j, u in enumerate(self.reviewers)}


def matching_input(workshop: Workshop, weights: dict[str, float] | None = None) -> MatchingInput:
    """Papers under review x reviewers of the workshop, in a constant number of queries."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    papers = list(
        Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
        .only("pk", "number", "title", "abstract", "keywords", "primary_topic_id")
        .prefetch_related("secondary_topics")
        .order_by("number")
    )
    reviewers = list(
        User.objects.filter(memberships__workshop=workshop, memberships__role=Role.REVIEWER)
        .distinct()
        .order_by("name", "pk")
    )
    pidx = {p.pk: i for i, p in enumerate(papers)}
    ridx = {u.pk: j for j, u in enumerate(reviewers)}
    profiles = {
        p.user_id: p
        for p in ReviewerProfile.objects.filter(workshop=workshop, user_id__in=ridx)
        .select_related("workshop")
        .prefetch_related("topics")
    }
    levels = [
        {e.topic_id: e.level for e in profiles[u.pk].topics.all()} if u.pk in profiles else {}
        for u in reviewers
    ]
    texts = [profiles[u.pk].expertise_text if u.pk in profiles else "" for u in reviewers]
    topic = topic_scores(
        [(p.primary_topic_id, {t.pk for t in p.secondary_topics.all()}) for p in papers], levels
    )
    text = text_similarity([paper_text(p.title, p.abstract, p.keywords) for p in papers], texts)
    bids = np.zeros((len(papers), len(reviewers)))
    for sid, uid, value in Bid.objects.filter(submission_id__in=pidx, user_id__in=ridx).values_list(
        "submission_id", "user_id", "value"
    ):
        bids[pidx[sid], ridx[uid]] = BID_SCORE.get(value, 0.0)
    affinity = w["bid"] * bids + w["topic"] * topic + w["text"] * text

    conflicts = conflicts_for(workshop, user_ids=list(ridx))
    forbidden = np.zeros((len(papers), len(reviewers)), dtype=bool)
    reasons = {}
    for sid, uid in conflicts.pairs():
        if sid in pidx and uid in ridx:
            forbidden[pidx[sid], ridx[uid]] = True
            reasons[(pidx[sid], ridx[uid])] = conflicts.reasons[(sid, uid)]
    # Locked by the chair, or started: a review in progress is never taken away.
    locked = [
        (pidx[sid], ridx[uid])
        for sid, uid in Assignment.objects.filter(
            Q(locked=True) | Q(review__isnull=False),
            submission_id__in=pidx,
            reviewer_id__in=ridx,
            role=Role.REVIEWER,
            declined_at__isnull=True,
        ).values_list("submission_id", "reviewer_id")
    ]
    for sid, uid in Assignment.objects.filter(
        submission_id__in=pidx, reviewer_id__in=ridx, declined_at__isnull=False
    ).values_list("submission_id", "reviewer_id"):
        forbidden[pidx[sid], ridx[uid]] = True  # declined: never proposed again
    max_load = np.array(
        [profiles[u.pk].max_load if u.pk in profiles else workshop.reviewer_max_load
         for u in reviewers],
        dtype=np.int64,
    )  # fmt: skip
    return MatchingInput(papers, reviewers, affinity, forbidden, locked, max_load, reasons)
