"""Keeping each paper's stored review figures (`PaperScore`) equal to its reviews.

The actions that change what the figures sum call `paper_scores_refresh` with the papers
they touched, inside their own transaction; `paper_scores_rebuild` recomputes a whole
workshop (after a change of the review form, a bulk import, or by hand:
`manage.py paper_scores_rebuild`). Both compute from the reviews themselves with the
board's own queries, so a stored figure is always what the board shows for the paper.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import median

from django.db.models import Count, Q

from submissions.models import Submission
from workshop.models import Role, Workshop

from ..models import Assignment, PaperScore, ReviewStatus
from ..selectors.board import answers_by_paper

FIGURES = ["assigned", "done", "count", "mean", "median", "low", "high", "spread", "weighted"]
CHUNK = 2000


def _figures(ids: list[int]) -> list[PaperScore]:
    rows = {sid: PaperScore(submission_id=sid) for sid in ids}
    for sid, assigned, done in (
        Assignment.objects.filter(
            submission_id__in=ids, role=Role.REVIEWER, declined_at__isnull=True
        )
        .order_by()
        .values("submission_id")
        .annotate(
            assigned=Count("pk"),
            done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED)),
        )
        .values_list("submission_id", "assigned", "done")
    ):
        rows[sid].assigned, rows[sid].done = assigned, done
    for sid, scores, confidences in answers_by_paper(ids):
        row = rows[sid]
        row.count = len(scores)
        row.mean = sum(scores) / len(scores)
        row.median = float(median(scores))
        row.low, row.high = min(scores), max(scores)
        row.spread = row.high - row.low
        pairs = [(s, c) for s, c in zip(scores, confidences, strict=True) if c]
        weight = sum(c for _, c in pairs)
        row.weighted = sum(s * c for s, c in pairs) / weight if weight else None
    return list(rows.values())


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
