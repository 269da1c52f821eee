"""The decision board, page first: the page's papers by an indexed order, then the page's
aggregates in two queries (review counts grouped per paper, and the page's score and
confidence answers), whatever the size of the workshop and the depth of the page.

Sorting by a score orders by the stored figures (`PaperScore`, kept by the review
services), never by an aggregate; otherwise pages are numbered and the offset skips plain
index rows (`(workshop, number)`), never aggregates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from submissions.models import DECIDABLE, Submission
from workshop.models import ReviewLlmPolicy, Role, Workshop

from ..models import Review, ReviewStatus
from .rounds import round_number_annotation
from .scores import Scores, review_counts, scores_fill

PAGE_SIZE = 200


# name -> (label, order expression or None for a score subquery)
SORTS: dict[str, str] = {
    "number": "#",
    "title": "Title",
    "topic": "Topic",
    "type": "Type",
    "status": "Status",
    "decision": "Decision",
    "mean": "Mean",
    "median": "Median",
    "weighted": "Weighted mean (by confidence)",
    "low": "Lowest score",
    "high": "Highest score",
    "spread": "Disagreement (score spread)",
    "done": "Reviews done",
}
SCORE_SORTS = {"mean", "median", "weighted", "low", "high", "spread", "done"}
PLAIN_ORDER = {
    "number": ["number"],
    "title": ["title", "number"],
    "topic": ["primary_topic__order", "primary_topic__name", "number"],
    "type": ["submission_type__order", "submission_type__name", "number"],
    "status": ["status", "number"],
    "decision": ["decision__category__order", "number"],
}


@dataclass
class BoardRow(Scores):
    """A paper of the board: its figures (`Scores`: mean, median, spread, weighted, ...),
    review counts and declared LLM uses."""

    submission: Submission
    done: int = 0
    assigned: int = 0
    required: int = 0
    # (pseudonym, declared LLM use or "", statement) of each submitted review, where the
    # workshop has an LLM policy (issue 26); the board is the chairs' only.
    llm_uses: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def round_number(self) -> int:
        """The paper's current review round (`board_rows` annotates it; issue 27)."""
        return getattr(self.submission, "round_number", None) or 1

    @property
    def missing_reviews(self) -> bool:
        return self.done < self.required

    @property
    def decision(self):  # type: ignore[no-untyped-def]
        return getattr(self.submission, "decision", None)

    @property
    def meta_review(self):  # type: ignore[no-untyped-def]
        return getattr(self.submission, "meta_review", None)

    @property
    def flags(self) -> list[str]:
        paper = self.submission.paper
        if paper is None:
            return []
        return [n for n, f in (("anonymity", paper.anonymity_flag),
                               ("hidden text", paper.hidden_text_flag)) if f]  # fmt: skip


@dataclass
class BoardPage:
    rows: list[BoardRow]
    number: int
    count: int
    page_size: int
    sort: str
    descending: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.rows)


def board_papers(workshop: Workshop, condition: Q | None = None) -> QuerySet[Submission]:
    """The papers the chairs decide on (submitted or decided), filtered; no joins, no
    aggregates: what the count and the page's ids are taken from."""
    qs = Submission.objects.filter(workshop=workshop, status__in=DECIDABLE)
    if condition is not None:
        qs = qs.filter(condition)
    return qs


def board_page(
    workshop: Workshop,
    *,
    condition: Q | None = None,
    sort: str = "number",
    descending: bool = False,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> BoardPage:
    """One page of the board: count, ids, rows, review counts, answers (five queries)."""
    if sort not in SORTS:
        sort = "number"
    papers = board_papers(workshop, condition)
    if sort in SCORE_SORTS:
        # The stored figures (`PaperScore`, one row per paper): papers without a score
        # last, ties by number.
        value = Coalesce("score__done", 0) if sort == "done" else F(f"score__{sort}")
        order = value.desc(nulls_last=True) if descending else value.asc(nulls_last=True)
        ordered = papers.order_by(order, "number").values_list("pk", flat=True)
    else:
        fields = PLAIN_ORDER[sort]
        if descending:
            fields = [f"-{fields[0]}", *fields[1:]]
        ordered = papers.order_by(*fields).values_list("pk", flat=True)
    if condition or sort in SCORE_SORTS:
        # A search or a score sort runs once: every matching id (a list of integers), then
        # the page.
        matching_ids = list(ordered)
        count = len(matching_ids)
    else:
        count = papers.count()  # an index-only count, then one page of the index
    pages = max(1, -(-count // page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    if condition or sort in SCORE_SORTS:
        ids = matching_ids[start : start + page_size]
    else:
        ids = list(ordered[start : start + page_size])
    rows = board_rows(ids, required=workshop.reviews_per_paper)
    return BoardPage(rows, page, count, page_size, sort, descending)


# What a row shows (the abstract, the PDF's check report and the like stay in the database).
ROW_FIELDS = [
    "workshop__short_name", "workshop__reviews_per_paper", "workshop__review_llm_policy",
    "number", "title", "status",
    "submission_type__name", "primary_topic__name",
    "paper__anonymity_flag", "paper__hidden_text_flag",
    "decision__category_id", "decision__version", "decision__category__name",
    "decision__category__outcome", "meta_review__recommendation",
]  # fmt: skip


def board_rows(ids: list[int], *, required: int | None) -> list[BoardRow]:
    """Rows (in the order of `ids`) with their aggregates, in three queries; `required`
    reviews per paper, or None for each paper's workshop's setting."""
    by_id = {
        s.pk: s
        for s in Submission.objects.filter(pk__in=ids)
        .select_related(
            "workshop",
            "submission_type",
            "primary_topic",
            "paper",
            "decision__category",
            "meta_review",
        )
        .only(*ROW_FIELDS)
        .annotate(round_number=round_number_annotation())
    }
    rows = {
        pk: BoardRow(by_id[pk], required=required or by_id[pk].workshop.reviews_per_paper)
        for pk in ids
        if pk in by_id
    }
    fill_aggregates(rows)
    fill_llm_uses(rows)
    return list(rows.values())


def fill_aggregates(rows: dict[int, BoardRow]) -> None:
    """Each row's review counts and scores (two queries for all the rows)."""
    for sid, (assigned, done) in review_counts(rows).items():
        rows[sid].assigned, rows[sid].done = assigned, done
    scores_fill(rows)


def fill_llm_uses(rows: dict[int, BoardRow]) -> None:
    """Each row's LLM-use declarations, in one query for the rows whose workshop has an
    LLM policy (none for the others: no question was asked there)."""
    asked = [pk for pk, row in rows.items()
             if row.submission.workshop.review_llm_policy != ReviewLlmPolicy.NONE]  # fmt: skip
    if not asked:
        return
    for sid, pseudonym, use, statement in (
        Review.objects.filter(
            assignment__submission_id__in=asked,
            assignment__role=Role.REVIEWER,
            assignment__declined_at__isnull=True,
            status=ReviewStatus.SUBMITTED,
        )
        .order_by("assignment_id")
        .values_list(
            "assignment__submission_id", "assignment__pseudonym", "llm_use", "llm_statement"
        )
    ):
        rows[sid].llm_uses.append((pseudonym, use, statement))


def board_export_rows(
    workshop: Workshop, condition: Q | None = None, chunk: int = 500
) -> Iterable[BoardRow]:
    """Every row matching, in number order, a chunk at a time (the CSV export)."""
    ids = list(board_papers(workshop, condition).order_by("number").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        yield from board_rows(ids[start : start + chunk], required=workshop.reviews_per_paper)
