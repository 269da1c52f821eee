"""A paper's review figures, in one place (issue 22): which answers count as its scores,
how they are summed up, and its review counts.

- A paper's scores are the answers to the review form's recommendation question in the
  submitted reviews of its active assignments that count (not declined; the committee's
  reviewers and the external reviewers whose review counts: `counting_assignments`); its
  confidences, the answers to the confidence question of the same reviews. An answer is a
  score only when it is a number: a boolean (JSON's `true` is Python's `True`, an `int`)
  is not one.
- The mean, median, lowest, highest, spread and the mean weighted by the confidences are
  `Scores`' properties; every row that shows figures (the decision board, the progress
  page, the area chairs' console, a paper's score bars) is a `Scores`.
- The stored form of these figures is `PaperScore` (`reviews.services.scores`), computed
  here too, so a stored figure is always the one a page computes.

No other module selects the score answers or averages them itself
(`tests/reviews/test_one_score_aggregation.py` fails on one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import median

from django.db.models import Count, Q, QuerySet

from ..models import Answer, Assignment, ReviewStatus
from ..models.external import counting_assignments

DISAGREEMENT_SPREAD = 2  # recommendation scores this far apart are flagged for discussion

Number = int | float


def score_value(value: object) -> Number | None:
    """The answer's value as a score, or None when it is not one (text, empty, a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


@dataclass(kw_only=True)
class Scores:
    """The figures of one set of scores (one paper's, or one question's bars), with the
    confidence of each score's review where known (for the weighted mean)."""

    scores: list[Number] = field(default_factory=list)
    confidences: list[Number | None] = field(default_factory=list)

    def sort(self) -> None:
        """Order the scores from lowest to highest, each keeping its confidence."""
        confidences = self.confidences + [None] * (len(self.scores) - len(self.confidences))
        pairs = sorted(zip(self.scores, confidences, strict=True), key=lambda pair: pair[0])
        self.scores = [s for s, _ in pairs]
        self.confidences = [c for _, c in pairs]

    @property
    def mean(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def median(self) -> float | None:
        return median(self.scores) if self.scores else None

    @property
    def low(self) -> Number | None:
        return min(self.scores) if self.scores else None

    @property
    def high(self) -> Number | None:
        return max(self.scores) if self.scores else None

    @property
    def spread(self) -> Number:
        return (max(self.scores) - min(self.scores)) if len(self.scores) > 1 else 0

    @property
    def disagreement(self) -> bool:
        return self.spread >= DISAGREEMENT_SPREAD

    @property
    def weighted(self) -> float | None:
        """The mean weighted by the confidences (scores without one left out)."""
        pairs = [(s, c) for s, c in zip(self.scores, self.confidences, strict=False) if c]
        weight = sum(c for _, c in pairs)
        return sum(s * c for s, c in pairs) / weight if weight else None


def counted_reviews(**papers: object) -> Q:
    """The reviews whose answers count, as a condition on `Answer`: submitted, by an active
    assignment that counts; `papers` filters their papers (`submission_id__in=...`, ...)."""
    return counting_assignments("review__assignment__") & Q(
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__declined_at__isnull=True,
        **{f"review__assignment__submission__{k}": v for k, v in papers.items()},
    )


def score_answers(**papers: object) -> QuerySet[Answer]:
    """The recommendation answers that count as scores of the papers `papers` selects
    (the keywords of `counted_reviews`); check each value with `score_value`."""
    return Answer.objects.filter(counted_reviews(**papers), question__is_recommendation=True)


def scores_fill(rows: Mapping[int, Scores]) -> None:
    """Each row's scores and confidences, in the order of the reviews (one query for all
    the rows, keyed by paper id)."""
    score: dict[int, Number] = {}
    confidence: dict[int, Number] = {}
    paper_of: dict[int, int] = {}
    for review_id, sid, value, is_recommendation in (
        Answer.objects.filter(counted_reviews(id__in=list(rows)))
        .filter(Q(question__is_recommendation=True) | Q(question__is_confidence=True))
        .order_by("review_id")
        .values_list(
            "review_id", "review__assignment__submission_id", "value", "question__is_recommendation"
        )
    ):
        number = score_value(value)
        if number is None:
            continue
        paper_of[review_id] = sid
        (score if is_recommendation else confidence)[review_id] = number
    for row in rows.values():
        row.scores, row.confidences = [], []
    for review_id, value in score.items():
        row = rows[paper_of[review_id]]
        row.scores.append(value)
        row.confidences.append(confidence.get(review_id))


def review_counts(submission_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{paper id: (active assignments that count, of them with a submitted review)}, one
    query; papers without a reviewer are left out."""
    return {
        sid: (assigned, done)
        for sid, assigned, done in Assignment.objects.filter(
            counting_assignments(),
            submission_id__in=list(submission_ids),
            declined_at__isnull=True,
        )
        .order_by()
        .values("submission_id")
        .annotate(
            assigned=Count("pk"),
            done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED)),
        )
        .values_list("submission_id", "assigned", "done")
    }
