"""The chairs' progress figures: reviews per paper and per reviewer, lateness, disagreement;
and who is late (for the chairs' reminder and the periodic one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean

from django.utils import timezone

from submissions.models import Submission, SubmissionStatus
from workshop.models import Role, User, Workshop

from ..models import Answer, Assignment, ReviewStatus

DISAGREEMENT_SPREAD = 2  # recommendation scores this far apart are flagged for discussion


@dataclass
class PaperProgress:
    submission: Submission
    assigned: int = 0
    submitted: int = 0
    scores: list[int] = field(default_factory=list)

    @property
    def spread(self) -> int:
        return max(self.scores) - min(self.scores) if len(self.scores) > 1 else 0

    @property
    def disagreement(self) -> bool:
        return self.spread >= DISAGREEMENT_SPREAD

    @property
    def mean(self) -> float | None:
        return round(mean(self.scores), 2) if self.scores else None


@dataclass
class ReviewerProgress:
    name: str
    email: str
    assigned: int = 0
    submitted: int = 0

    @property
    def late(self) -> int:
        return self.assigned - self.submitted


@dataclass
class Progress:
    papers: list[PaperProgress]
    reviewers: list[ReviewerProgress]
    overdue: bool
    total_assigned: int
    total_submitted: int

    @property
    def disagreements(self) -> list[PaperProgress]:
        return [p for p in self.papers if p.disagreement]


def review_progress(workshop: Workshop) -> Progress:
    """All figures in three queries, whatever the size of the workshop."""
    papers = {
        s.pk: PaperProgress(s)
        for s in Submission.objects.filter(
            workshop=workshop, status=SubmissionStatus.SUBMITTED
        ).only("pk", "number", "title")
    }
    reviewers: dict[int, ReviewerProgress] = {}
    for a in Assignment.objects.filter(
        submission_id__in=papers, role=Role.REVIEWER, declined_at__isnull=True
    ).select_related("reviewer", "review"):
        row = reviewers.setdefault(
            a.reviewer_id, ReviewerProgress(a.reviewer.name, a.reviewer.email)
        )
        row.assigned += 1
        papers[a.submission_id].assigned += 1
        review = getattr(a, "review", None)
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            row.submitted += 1
            papers[a.submission_id].submitted += 1
    for sid, value in Answer.objects.filter(
        review__assignment__submission_id__in=papers,
        review__status=ReviewStatus.SUBMITTED,
        question__is_recommendation=True,
    ).values_list("review__assignment__submission_id", "value"):
        if isinstance(value, int):
            papers[sid].scores.append(value)
    rows = sorted(papers.values(), key=lambda p: (p.submitted - p.assigned, -p.spread))
    return Progress(
        papers=rows,
        reviewers=sorted(reviewers.values(), key=lambda r: (-r.late, r.name)),
        overdue=timezone.now() > workshop.review_deadline,
        total_assigned=sum(p.assigned for p in rows),
        total_submitted=sum(p.submitted for p in rows),
    )


def late_reviewers(workshop: Workshop) -> dict[int, tuple[User, list[Submission]]]:
    """Reviewers with unsubmitted reviews of papers under review, and those papers (by
    number), keyed by user id; one query."""
    late: dict[int, tuple[User, list[Submission]]] = {}
    for a in (
        Assignment.objects.filter(
            submission__workshop=workshop,
            role=Role.REVIEWER,
            declined_at__isnull=True,
            submission__status=SubmissionStatus.SUBMITTED,
        )
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("reviewer", "submission")
        .order_by("submission__number")
    ):
        late.setdefault(a.reviewer_id, (a.reviewer, []))[1].append(a.submission)
    return late
