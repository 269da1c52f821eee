"""The matching input read from the database: the Django side of matching.

`matching_input(workshop)` reads papers, reviewers, bids, profiles, conflicts and locks into
a `MatchingInput` (model objects plus the matrices `reviews.matching.solve` takes). The
engine flattens those matrices into its own `reviews.matching.problem.Instance`; the two
names are kept apart on purpose: this one knows papers and people, that one only indices.

Affinity of reviewer r for paper p = w_bid * bid + w_topic * topic fit + w_text * content
fit, with bids eager 1, willing 0.5, neutral or none 0, not willing -1. The content fit is
the text similarity, stemmed TF-IDF over the reviewer's included publications and free text
(`reviews.affinity.expertise_fit`, the same call the bidding list makes), mixed by rank with
the embedding cosine when a model is configured (`reviews.affinity.content_fit`); the parts
are kept on the input for the fit explanation.
Conflicts from the one conflict selector become `forbidden`; locked assignments become
`locked`; each reviewer's max load is their profile's (a lower request counts once approved).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q

from submissions.models import Submission, SubmissionStatus
from workshop.models import Role, User, Workshop

from ..affinity import PublicationText, best_publications, expertise_fit, paper_text, topic_scores
from ..expertise.embedding import load_model
from ..expertise.text import TextSpace
from ..models import AffinityScore, Assignment, Bid, BidValue, ReviewerProfile
from .conflicts import conflicts_for
from .expertise import FitExplanation, reviewer_documents

BID_SCORE = {
    BidValue.EAGER: 1.0,
    BidValue.WILLING: 0.5,
    BidValue.NEUTRAL: 0.0,
    BidValue.NOT_WILLING: -1.0,
}
logger = logging.getLogger(__name__)
# Bids and topics have no measure to tune them by (the gold-standard dataset holds neither):
# these are set by hand. "text" weighs the content fit (text, mixed with the embedding).
DEFAULT_WEIGHTS = {"bid": 1.0, "topic": 0.5, "text": 1.0, "imported": 1.0}


@dataclass
class MatchingInput:
    papers: list[Submission]
    reviewers: list[User]
    affinity: np.ndarray  # papers x reviewers
    forbidden: np.ndarray  # bool, papers x reviewers
    locked: list[tuple[int, int]]  # (paper index, reviewer index)
    max_load: np.ndarray
    conflict_reasons: dict[tuple[int, int], set[str]]
    # the parts of the affinity, for the fit explanation (papers x reviewers each)
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    space: TextSpace | None = None
    publications: dict[int, list[PublicationText]] = field(default_factory=dict)

    def paper_index(self) -> dict[int, int]:
        return {p.pk: i for i, p in enumerate(self.papers)}

    def reviewer_index(self) -> dict[int, int]:
        return {u.pk: j for j, u in enumerate(self.reviewers)}


def imported_affinity(
    workshop: Workshop, pidx: dict[int, int], ridx: dict[int, int]
) -> np.ndarray | None:
    """Affinities imported from elsewhere (OpenReview's affinity CSV, ...), papers x
    reviewers, each pair's mean over its sources scaled into 0..1 by the workshop's range;
    None when the workshop has none. One query.

    A non-finite score (NaN or infinity: the importers refuse them now, older rows or a
    restored archive may hold them) counts as missing, with a warning: one would make the
    whole matrix NaN and every run fail."""
    rows = list(
        AffinityScore.objects.filter(
            workshop=workshop, submission_id__in=pidx, user_id__in=ridx
        ).values_list("submission_id", "user_id", "score")
    )
    finite = [row for row in rows if row[2] is not None and math.isfinite(row[2])]
    if len(finite) < len(rows):
        logger.warning(
            "Workshop %s: imported affinity scores that are not finite numbers, left out: %d.",
            workshop.slug,
            len(rows) - len(finite),
        )
        rows = finite
    if not rows:
        return None
    total = np.zeros((len(pidx), len(ridx)))
    count = np.zeros((len(pidx), len(ridx)))
    for sid, uid, score in rows:
        total[pidx[sid], ridx[uid]] += score
        count[pidx[sid], ridx[uid]] += 1
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    low, high = mean[count > 0].min(), mean[count > 0].max()
    if high > low:
        mean = np.where(count > 0, (mean - low) / (high - low), 0.0)
    return mean


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
    free_texts = {uid: p.expertise_text for uid, p in profiles.items()}
    documents, publications = reviewer_documents([u.pk for u in reviewers], free_texts)
    topic = topic_scores(
        [(p.primary_topic_id, {t.pk for t in p.secondary_topics.all()}) for p in papers], levels
    )
    fit = expertise_fit(
        [paper_text(p.title, p.abstract, p.keywords) for p in papers],
        documents,
        model=load_model(),
        reference_year=workshop.paper_deadline.year,
    )
    text = fit.text
    content = fit.content()
    bids = np.zeros((len(papers), len(reviewers)))
    for sid, uid, value in Bid.objects.filter(submission_id__in=pidx, user_id__in=ridx).values_list(
        "submission_id", "user_id", "value"
    ):
        bids[pidx[sid], ridx[uid]] = BID_SCORE.get(value, 0.0)
    affinity = w["bid"] * bids
    affinity += w["topic"] * topic
    affinity += w["text"] * content
    parts = {"topic": topic, "text": text, "bid": bids}
    if fit.embedding is not None:
        parts["embedding"] = fit.embedding
        parts["content"] = content
    imported = imported_affinity(workshop, pidx, ridx)
    if imported is not None:
        affinity = affinity + w["imported"] * imported
        parts["imported"] = imported

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
        [
            profiles[u.pk].max_load if u.pk in profiles else workshop.reviewer_max_load
            for u in reviewers
        ],
        dtype=np.int64,
    )
    return MatchingInput(
        papers,
        reviewers,
        affinity,
        forbidden,
        locked,
        max_load,
        reasons,
        parts,
        fit.space,
        publications,
    )


def explain_pairs(
    instance: MatchingInput, pairs: list[tuple[int, int]]
) -> dict[tuple[int, int], FitExplanation]:
    """The fit explanation of (submission id, user id) pairs of `instance` (for chairs: the
    assignment preview). Pairs outside the instance are left out."""
    pidx, ridx = instance.paper_index(), instance.reviewer_index()
    bid_label = {v: k for k, v in BID_SCORE.items()}
    out: dict[tuple[int, int], FitExplanation] = {}
    by_reviewer: dict[int, list[tuple[int, int]]] = {}
    for sid, uid in pairs:
        if sid in pidx and uid in ridx:
            by_reviewer.setdefault(uid, []).append((sid, pidx[sid]))
    for uid, rows in by_reviewer.items():
        j = ridx[uid]
        best = (
            best_publications(
                instance.space, instance.publications.get(uid, []), [i for _, i in rows]
            )
            if instance.space is not None
            else [[] for _ in rows]
        )
        for (sid, i), matches in zip(rows, best, strict=True):
            emb = instance.parts.get("embedding")
            bid = float(instance.parts["bid"][i, j])
            out[(sid, uid)] = FitExplanation(
                topic=round(float(instance.parts["topic"][i, j]), 3),
                text=round(float(instance.parts["text"][i, j]), 3),
                embedding=None if emb is None else round(float(emb[i, j]), 3),
                bid=str(bid_label.get(bid, "")) if bid else "",
                bid_score=bid,
                total=round(float(instance.affinity[i, j]), 3),
                publications=[
                    {"title": p.title, "year": p.year, "similarity": sim} for p, sim in matches
                ],
            )
    return out
