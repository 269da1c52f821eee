"""Keeping each paper's stored review figures (`PaperScore`) equal to its reviews.

The actions that change what the figures sum call `paper_scores_refresh` with the papers
they touched, inside their own transaction; `paper_scores_rebuild` recomputes a whole
workshop (after a change of the review form, a bulk import, or by hand:
`manage.py paper_scores_rebuild`). Both compute from the reviews themselves with the one
aggregation of review figures (`reviews.selectors.scores`), the one the board, the progress
page and the area chairs' console compute with: a stored figure is always what they show.
"""

from __future__ import annotations

from collections.abc import Iterable

from submissions.models import Submission
from workshop.models import Workshop

from ..models import PaperScore
from ..selectors.scores import Scores, review_counts, scores_fill

FIGURES = ["assigned", "done", "count", "mean", "median", "low", "high", "spread", "weighted"]
CHUNK = 2000


def _figures(ids: list[int]) -> list[PaperScore]:
    figures = {sid: Scores() for sid in ids}
    scores_fill(figures)
    counts = review_counts(ids)
    return [
        PaperScore(
            submission_id=sid,
            assigned=counts.get(sid, (0, 0))[0],
            done=counts.get(sid, (0, 0))[1],
            count=len(f.scores),
            mean=f.mean,
            median=f.median,
            low=f.low,
            high=f.high,
            spread=f.spread if f.scores else None,
            weighted=f.weighted,
        )
        for sid, f in figures.items()
    ]


def paper_scores_refresh(submission_ids: Iterable[int]) -> None:
    """Recompute the stored figures of these papers (three queries per 2,000 papers).

    Call it inside the transaction of the action that changed their reviews or
    assignments: the figures then commit, or roll back, with the change itself."""
    ids = sorted(set(submission_ids))
    for start in range(0, len(ids), CHUNK):
        PaperScore.objects.bulk_create(
            _figures(ids[start : start + CHUNK]),
            update_conflicts=True,
            unique_fields=["submission"],
            update_fields=FIGURES,
        )


def paper_scores_rebuild(workshop: Workshop | None = None) -> int:
    """Recompute every paper's figures (of one workshop, or of all); returns the count."""
    papers = Submission.objects.all() if workshop is None else workshop.submissions.all()
    ids = list(papers.values_list("pk", flat=True))
    paper_scores_refresh(ids)
    return len(ids)
