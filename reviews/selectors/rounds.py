"""Reads about review rounds and response rounds (issue 27, parts 2 and 3)."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import logging
from dataclasses import dataclass

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from pypdf import PdfReader

from submissions.models import Submission, SubmissionFile
from workshop.models import Workshop

from ..models import Assignment, PaperRound, ResponseRound, ReviewQuestion, ReviewRound

log = logging.getLogger(__name__)


def review_rounds(workshop: Workshop) -> list[ReviewRound]:
    """The workshop's review rounds, by number (round 1 may have no row yet)."""
    return list(workshop.review_rounds.order_by("number"))


def round_number_annotation() -> Subquery:
    """The paper's current review round number (None: round 1), as an annotation on
    `Submission`: a subquery in the same query, so that a list costs nothing more."""
    return Subquery(
        PaperRound.objects.filter(submission=OuterRef("pk"))
        .order_by()
        .values("submission")
        .annotate(n=Max("round__number"))
        .values("n")[:1]
    )


def paper_round(submission: Submission) -> PaperRound | None:
    """The paper's latest later round (None while it is in round 1), with its round."""
    return (
        PaperRound.objects.filter(submission=submission)
        .select_related("round", "previous_paper")
        .order_by("-round__number")
        .first()
    )


def paper_round_number(submission: Submission) -> int:
    """The number of the paper's current review round, cached on the paper."""
    cached = submission.__dict__.get("round_number", False)
    if cached is False:
        found = paper_round(submission)
        cached = found.round.number if found else None
        submission.__dict__["round_number"] = cached
    return cached or 1


def round_papers_q(number: int) -> Q:
    """Papers whose current review round is `number` (the desk's `round:2`)."""
    later = PaperRound.objects.filter(round__number__gt=number).values("submission_id")
    if number <= 1:
        return ~Q(pk__in=PaperRound.objects.values("submission_id"))
    return Q(pk__in=PaperRound.objects.filter(round__number=number).values("submission_id")) & ~Q(
        pk__in=later
    )


def round_assignments_q(number: int) -> Q:
    """Assignments of review round `number` (those without a round are of round 1)."""
    if number <= 1:
        return Q(round__isnull=True) | Q(round__number=1)
    return Q(round__number=number)


def round_questions_q(assignment: Assignment) -> Q:
    """The review form of the assignment's round: the questions of every round and those
    of its own round (an assignment without a round is of round 1)."""
    if assignment.round_id is None:
        return Q(round__isnull=True) | Q(round__number=1)
    return Q(round__isnull=True) | Q(round_id=assignment.round_id)


def in_round_form(question: ReviewQuestion, assignment: Assignment) -> bool:
    """`round_questions_q` for one question whose `round` is loaded."""
    if question.round_id is None:
        return True
    if assignment.round_id is None:
        return question.round.number == 1
    return question.round_id == assignment.round_id


def resubmission_open(paper_round: PaperRound | None, now: dt.datetime | None = None) -> bool:
    """Whether the authors may still upload a revised PDF for `paper_round` (grace
    included, like every deadline)."""
    if paper_round is None or paper_round.round.resubmission_deadline is None:
        return False
    now = now or timezone.now()
    workshop = paper_round.round.workshop
    return now <= paper_round.round.resubmission_deadline + workshop.grace


def previous_round_assignments(submission: Submission, number: int) -> QuerySet[Assignment]:
    """The active assignments of the paper in the round before `number` (the reviewers a
    chair assigns again in one action), reviewers first."""
    return (
        Assignment.objects.filter(submission=submission, declined_at__isnull=True)
        .filter(round_assignments_q(number - 1))
        .select_related("reviewer")
        .order_by("role", "pseudonym", "pk")
    )


# --- the revision's diff, page by page ----------------------------------------------------


@dataclass
class PageDiff:
    number: int
    lines: list[tuple[str, str]]  # ("+", text) added, ("-", text) removed, (" ", text) kept
    changed: bool


def _pages_text(stored: SubmissionFile) -> list[str]:
    """The text of each page of a stored PDF (pypdf's extraction; an unreadable page is
    empty rather than an error: the diff is a reading aid, not a check)."""
    with stored.file.open("rb") as handle:
        data = handle.read()
    reader = PdfReader(io.BytesIO(data))
    texts = []
    for page in reader.pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception:  # noqa: BLE001 - pypdf raises many kinds on odd pages
            log.warning("page text not extracted from file %s", stored.pk)
            texts.append("")
    return texts


def revision_diff(old: SubmissionFile, new: SubmissionFile, context: int = 2) -> list[PageDiff]:
    """The text diff of two versions of a paper, page by page (page n against page n; a
    page only one version has is all added or all removed)."""
    before, after = _pages_text(old), _pages_text(new)
    pages = []
    for i in range(max(len(before), len(after))):
        a = before[i].splitlines() if i < len(before) else []
        b = after[i].splitlines() if i < len(after) else []
        lines: list[tuple[str, str]] = []
        for group in difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(
            context
        ):
            for tag, i1, i2, j1, j2 in group:
                if tag == "equal":
                    lines += [(" ", t) for t in a[i1:i2]]
                    continue
                lines += [("-", t) for t in a[i1:i2]]
                lines += [("+", t) for t in b[j1:j2]]
        pages.append(PageDiff(i + 1, lines, any(m != " " for m, _ in lines)))
    return pages


# --- response rounds ----------------------------------------------------------------------


def response_rounds(workshop: Workshop) -> list[ResponseRound]:
    return list(workshop.response_rounds.order_by("opens", "pk"))


@dataclass
class ResponseWindow:
    """The author response open to one paper now: its round's name, deadline and word
    limits (`words_soft` 0: no warning; `words_hard`: the limit enforced)."""

    name: str
    closes: dt.datetime
    words_soft: int
    words_hard: int


def _matches(submission: Submission, rnd: ResponseRound) -> bool:
    from workshop.search import SearchContext, SearchError, search_compile

    from .. import search as _keywords  # noqa: F401 - registers the desk's keywords

    if not rnd.condition.strip():
        return True
    try:
        condition = search_compile(rnd.condition, SearchContext(frozenset({rnd.workshop_id})))
    except SearchError:
        return False  # refused when saved; a keyword removed since matches nothing
    return Submission.objects.filter(pk=submission.pk).filter(condition).exists()


def response_window_for(submission: Submission, now: dt.datetime | None = None
                        ) -> ResponseWindow | None:  # fmt: skip
    """The response round open to the paper now (the first by opening time whose
    condition it matches), once the reviews are released; None if none is. A workshop
    without response rounds keeps its single window (`Workshop.rebuttal_opens/closes`).
    The workshop's rounds are read once per workshop instance, a condition once per paper
    instance."""
    from ..permissions import rebuttal_open

    workshop = submission.workshop
    now = now or timezone.now()
    if not workshop.reviews_released:
        return None
    if "_response_rounds" not in workshop.__dict__:
        workshop.__dict__["_response_rounds"] = list(workshop.response_rounds.all())
    rounds = workshop.__dict__["_response_rounds"]
    if not rounds:
        if not rebuttal_open(workshop, now):
            return None
        limit = workshop.rebuttal_word_limit
        return ResponseWindow("The author response window", workshop.rebuttal_closes, 0, limit)
    matched: dict[int, bool] = submission.__dict__.setdefault("_response_matches", {})
    for rnd in sorted(rounds, key=lambda r: (r.opens, r.pk)):
        if not (rnd.opens <= now <= rnd.closes + workshop.grace):
            continue
        if rnd.pk not in matched:
            matched[rnd.pk] = _matches(submission, rnd)
        if matched[rnd.pk]:
            hard = rnd.words_hard or workshop.rebuttal_word_limit
            return ResponseWindow(rnd.name, rnd.closes, rnd.words_soft, hard)
    return None
