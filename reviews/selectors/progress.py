"""The chairs' progress figures: reviews per paper and per reviewer, lateness, disagreement;
and who is late (for the chairs' reminder and the periodic one)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from submissions.models import IN_REVIEW, Submission, SubmissionStatus
from workshop.models import Role, User, Workshop

from ..models import Assignment, PaperScore, ReviewStatus
from .rounds import round_assignments_q
from .scores import Scores, review_counts, scores_fill


@dataclass
class PaperProgress(Scores):
    """A paper's review progress and its figures (`Scores`: spread, disagreement, ...)."""

    submission: Submission
    assigned: int = 0
    submitted: int = 0

    @property
    def mean(self) -> float | None:
        """The mean, to two places (as shown)."""
        value = Scores.mean.fget(self)  # type: ignore[attr-defined]
        return None if value is None else round(value, 2)


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
    page: int = 1
    pages: int = 1
    reviewer_page: int = 1
    reviewer_pages: int = 1
    paper_count: int = 0
    reviewer_count: int = 0

    @property
    def disagreements(self) -> list[PaperProgress]:
        return [p for p in self.papers if p.disagreement]


PROGRESS_PAGE = 100


def _page_of(queryset, number: int, size: int | None) -> Page:
    """Page `number` (clamped to the pages there are) of `queryset`; `size=None`: all on
    one page. One COUNT and one sliced query."""
    count = queryset.count()
    paginator = Paginator(queryset, size or max(1, count))
    paginator.count = count  # counted once, here
    return paginator.get_page(number)


def review_progress(
    workshop: Workshop,
    *,
    page: int = 1,
    reviewer_page: int = 1,
    page_size: int | None = PROGRESS_PAGE,
) -> Progress:
    """The figures of one page of papers (by number) and one page of reviewers (by name),
    and the workshop's totals, in seven queries whatever the size of the workshop and the
    depth of the pages (`page_size=None`: everything on one page)."""
    papers_qs = Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
    assignments = Assignment.objects.filter(
        submission__workshop=workshop,
        submission__status=SubmissionStatus.SUBMITTED,
        role=Role.REVIEWER,
        declined_at__isnull=True,
    ).order_by()
    total_assigned, total_submitted = review_totals([workshop.pk]).get(workshop.pk, (0, 0))
    paper_page = _page_of(
        papers_qs.order_by("number").only("pk", "number", "title"), page, page_size
    )
    papers = {s.pk: PaperProgress(s) for s in paper_page}
    for sid, (assigned, submitted) in review_counts(papers).items():
        papers[sid].assigned, papers[sid].submitted = assigned, submitted
    scores_fill(papers)
    # Reviewers: the workshop's reviewers by name, a page at a time, with their counts.
    # The committee from its memberships (an index on the workshop), not from every
    # assignment of the workshop.
    people = User.objects.filter(
        memberships__workshop=workshop, memberships__role=Role.REVIEWER
    ).order_by("name", "email")
    people_page = _page_of(people.only("pk", "name", "email"), reviewer_page, page_size)
    reviewers = {u.pk: ReviewerProgress(u.name, u.email) for u in people_page}
    for uid, assigned, submitted in (
        assignments.filter(reviewer_id__in=reviewers)
        .values("reviewer_id")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED)))
        .values_list("reviewer_id", "n", "done")
    ):
        reviewers[uid].assigned, reviewers[uid].submitted = assigned, submitted
    return Progress(
        papers=list(papers.values()),
        reviewers=list(reviewers.values()),
        overdue=timezone.now() > workshop.review_deadline,
        total_assigned=total_assigned,
        total_submitted=total_submitted,
        page=paper_page.number,
        pages=paper_page.paginator.num_pages,
        reviewer_page=people_page.number,
        reviewer_pages=people_page.paginator.num_pages,
        paper_count=paper_page.paginator.count,
        reviewer_count=people_page.paginator.count,
    )


def review_totals(workshop_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{workshop id: (reviews assigned, reviews submitted)} over the papers in review (under
    review, or decided after review: the totals stay true once decisions are made), in one
    query for any number of workshops (the progress page's totals and the chairs' home).

    From each paper's stored figures (one small row per paper, kept by the review services),
    not from every assignment and review of the workshops."""
    return {
        wid: (assigned, done)
        for wid, assigned, done in PaperScore.objects.filter(
            submission__workshop__in=list(workshop_ids), submission__status__in=IN_REVIEW
        )
        .order_by()
        .values("submission__workshop_id")
        .annotate(assigned=Coalesce(Sum("assigned"), 0), done=Coalesce(Sum("done"), 0))
        .values_list("submission__workshop_id", "assigned", "done")
    }


def _reviews_owed(workshop_ids: Iterable[int]) -> QuerySet[Assignment]:
    """The one definition of a review still owed: an active reviewer assignment of a paper
    under review whose review is not submitted (late once the review deadline has passed)."""
    return Assignment.objects.filter(
        submission__workshop__in=list(workshop_ids),
        role=Role.REVIEWER,
        declined_at__isnull=True,
        submission__status=SubmissionStatus.SUBMITTED,
    ).exclude(review__status=ReviewStatus.SUBMITTED)


def late_reviewers(
    workshop: Workshop, round_number: int | None = None
) -> dict[int, tuple[User, list[Submission]]]:
    """Reviewers with unsubmitted reviews of papers under review, and those papers (by
    number), keyed by user id; one query. `round_number`: of that review round only
    (issue 27); None: of every round."""
    owed = _reviews_owed([workshop.pk])
    if round_number is not None:
        owed = owed.filter(round_assignments_q(round_number))
    late: dict[int, tuple[User, list[Submission]]] = {}
    for a in owed.select_related("reviewer", "submission").order_by("submission__number"):
        late.setdefault(a.reviewer_id, (a.reviewer, []))[1].append(a.submission)
    return late


def late_reviewer_counts(workshop_ids: Iterable[int]) -> dict[int, int]:
    """{workshop id: how many reviewers `late_reviewers` lists}, one query for any number of
    workshops (the chairs' home)."""
    return dict(
        _reviews_owed(workshop_ids)
        .order_by()
        .values("submission__workshop_id")
        .annotate(n=Count("reviewer_id", distinct=True))
        .values_list("submission__workshop_id", "n")
    )
