"""Reviewers' own copies of a paper, with their canaries (issue 26, item 1).

With the workshop's `review_copy_canary` on, the PDF a reviewer (or area chair) downloads
is a `ReviewCopy` made for their assignment by a worker (`review_copy_make`, from
`reviews.tasks.review_copy_make_task`) from the paper's anonymised copy, and kept until the
paper's PDF changes. A review or comment saved on the paper with a copy's phrase in it is
flagged to the chairs (`canary_check`); a leaked copy is traced by `copy_trace`.

The authors' PDF and the published one are served by the submissions app from the upload
itself: they never pass through here and never carry a marker.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from submissions.models import Submission

from .. import canary
from ..models import Assignment, Comment, FlagKind, Review, ReviewCopy
from .flags import review_flag_raise

log = logging.getLogger(__name__)


def _digest(purpose: str, value: str) -> bytes:
    # Keyed by the deployment's secret: nobody can work out another copy's phrase or token.
    return salted_hmac(f"reviews.review_copy.{purpose}", value).digest()


def copy_token(assignment_id: int) -> str:
    return _digest("token", str(assignment_id)).hex()[: canary.TOKEN_LENGTH]


def copy_phrase(assignment_id: int, taken: Iterable[str] = ()) -> str:
    """The assignment's phrase: the first of its keyed choices that no other copy of the
    same paper has (two copies of one paper never share a phrase)."""
    taken = set(taken)
    for attempt in range(canary.PHRASES):
        phrase = canary.phrase_from_digest(_digest("phrase", f"{assignment_id}:{attempt}"))
        if phrase not in taken:
            return phrase
    raise RuntimeError("Every phrase is taken on this paper.")  # 4,096 copies of one paper


def copy_footer(assignment: Assignment) -> str:
    workshop = assignment.submission.workshop
    return (
        f"Review copy of #{assignment.submission.number} for {assignment.display_name}, "
        f"{workshop.short_name}, confidential"
    )


def review_copy_current(assignment: Assignment) -> ReviewCopy | None:
    """The assignment's copy if it is made from the paper's current PDF, else None (one
    query)."""
    paper = assignment.submission.paper
    if paper is None:
        return None
    copy = ReviewCopy.objects.filter(assignment=assignment).first()
    if copy is None or not copy.file or copy.source_sha256 != paper.sha256:
        return None
    return copy


@transaction.atomic
def review_copy_make(assignment_id: int) -> str:
    """Make (or remake) one assignment's review copy from the paper's anonymised PDF.

    Idempotent: a copy already made from the current PDF is kept ("current"); nothing is
    made while the workshop's setting is off ("off"), for a declined assignment
    ("declined"), before the anonymised copy exists ("waiting"), or from a PDF pypdf cannot
    rewrite ("failed", logged: the reviewer is told the copy is being prepared, never
    served an unmarked one). Concurrent calls for
    one assignment wait for each other (the assignment row is locked).

    Side effects: the `ReviewCopy` row (its phrase and token chosen at its first making)
    and its file; the file of the copy it replaces is deleted.
    """
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("submission__workshop", "submission__paper")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        return "gone"
    submission = assignment.submission
    if not submission.workshop.review_copy_canary:
        return "off"
    if assignment.declined_at:
        return "declined"
    paper = submission.paper
    if paper is None or not paper.reviewer_copy:
        return "waiting"
    copy = ReviewCopy.objects.filter(assignment=assignment).first()
    if copy is not None and copy.file and copy.source_sha256 == paper.sha256:
        return "current"
    if copy is None:
        taken = ReviewCopy.objects.filter(assignment__submission=submission).values_list(
            "phrase", flat=True
        )
        copy = ReviewCopy(
            assignment=assignment,
            phrase=copy_phrase(assignment.pk, taken),
            token=copy_token(assignment.pk),
        )
    with paper.reviewer_copy.open("rb") as source:
        original = source.read()
    marks = canary.Marks(footer=copy_footer(assignment), phrase=copy.phrase, token=copy.token)
    try:
        made = canary.stamp(original, marks)
    except Exception:  # pypdf raises many kinds of error on a PDF it cannot rewrite
        log.exception("Review copy of assignment %s could not be made.", assignment.pk)
        return "failed"
    old = copy.file.name if copy.file else None
    copy.assignment = assignment
    copy.file.save("copy.pdf", ContentFile(made), save=False)
    copy.sha256 = hashlib.sha256(made).hexdigest()
    copy.source_sha256 = paper.sha256
    copy.made_at = timezone.now()
    copy.save()
    if old:
        storage, name = copy.file.storage, old
        transaction.on_commit(lambda: storage.delete(name))
    return "made"


def review_copy_prepare(assignment: Assignment) -> None:
    """Ask the workers for the assignment's copy if it is not made yet (the reviewer opened
    the paper's page), so that it is ready when they open the PDF. One query when it is."""
    from workshop.outbox import task_enqueue

    from ..tasks import review_copy_make_task

    if review_copy_current(assignment) is None:
        task_enqueue(review_copy_make_task, assignment.pk)  # if the broker is down: on download


def review_copy_for(assignment: Assignment) -> ReviewCopy | None:
    """The copy to serve `assignment`'s reviewer: the current one, else one asked of the
    workers (made at once where tasks run in-process) and None while it is being made. If
    the broker cannot be reached, it is made here, in the request."""
    from workshop.outbox import task_enqueue

    from ..tasks import review_copy_make_task

    copy = review_copy_current(assignment)
    if copy is not None:
        return copy
    if not task_enqueue(review_copy_make_task, assignment.pk):
        review_copy_make(assignment.pk)
    return review_copy_current(assignment)


@dataclass(frozen=True)
class Hit:
    copy: ReviewCopy
    own: bool


def canary_hits(*, submission: Submission, writer_id: int, texts: Iterable[str]) -> list[Hit]:
    """The copies of `submission` whose phrase (or a close variant) `texts` contain; `own`
    when the copy is the writer's. One query, and none when the workshop's setting is off."""
    if not submission.workshop.review_copy_canary:
        return []
    text = "\n".join(t for t in texts if t)
    if not text.strip():
        return []
    copies = list(
        ReviewCopy.objects.filter(assignment__submission=submission).select_related(
            "assignment__reviewer"
        )
    )
    found = set(canary.phrases_found(text, [c.phrase for c in copies]))
    return [
        Hit(copy=c, own=c.assignment.reviewer_id == writer_id) for c in copies if c.phrase in found
    ]


def canary_check(
    *,
    submission: Submission,
    writer_id: int,
    texts: Iterable[str],
    review: Review | None = None,
    comment: Comment | None = None,
) -> int:
    """Flag `review` (or `comment`) to the chairs for each copy's phrase it contains: kind
    `canary` for the writer's own copy, `canary_copy` (naming whose copy) for another's.
    Returns how many copies matched.

    Side effects: through `review_flag_raise`, the flags and their activity entries (for the
    chairs only). Nothing the writer can see: the save goes through as usual.
    """
    hits = canary_hits(submission=submission, writer_id=writer_id, texts=texts)
    for hit in hits:
        owner = hit.copy.assignment
        review_flag_raise(
            submission=submission,
            kind=FlagKind.CANARY if hit.own else FlagKind.CANARY_COPY,
            review=review,
            comment=comment,
            copy_owner=owner.reviewer,
            detail={"phrase": hit.copy.phrase, "copy_of": owner.display_name},
        )
    return len(hits)


@dataclass(frozen=True)
class Trace:
    """A copy a PDF was traced to, and by what."""

    copy: ReviewCopy
    by: str


def copy_trace(pdf: bytes) -> tuple[list[Trace], canary.Traces]:
    """The review copies a PDF comes from: by the token in its information dictionary, by
    the reference token in its text layer, else by a copy's phrase in its text layer
    (which may name several copies of different papers: phrases are unique per paper),
    else by the visible footer's paper number, pseudonym and workshop."""
    traces = canary.traces_read(pdf)
    found: list[Trace] = []
    seen: set[int] = set()
    related = ("assignment__submission__workshop", "assignment__reviewer")

    def add(copies: Iterable[ReviewCopy], by: str) -> None:
        for copy in copies:
            if copy.pk not in seen:
                seen.add(copy.pk)
                found.append(Trace(copy, by))

    tokens = [t for t in [traces.info_token] if t]
    if tokens:
        add(ReviewCopy.objects.filter(token__in=tokens).select_related(*related), "metadata")
    if traces.text_tokens:
        add(
            ReviewCopy.objects.filter(token__in=traces.text_tokens).select_related(*related),
            "text-layer reference",
        )
    if not found and traces.text.strip():
        candidates = list(ReviewCopy.objects.select_related(*related))  # a command, not a page
        hit = set(canary.phrases_found(traces.text, sorted({c.phrase for c in candidates})))
        add((c for c in candidates if c.phrase in hit), "text-layer phrase")
    if not found:
        # A printer that drops invisible text keeps the visible footer: paper, pseudonym and
        # workshop name the copy (short names may repeat across workshops: all are listed).
        for number, who, short_name in canary.footers_found(traces.text):
            rows = ReviewCopy.objects.filter(
                assignment__submission__number=number,
                assignment__submission__workshop__short_name=short_name,
            ).select_related(*related)
            add((c for c in rows if c.assignment.display_name == who), "visible footer")
    return found, traces


def flag_texts(answers: dict[int, object]) -> list[str]:
    """The free text of a review's answers (what a phrase could be written in)."""
    return [v for v in answers.values() if isinstance(v, str)]


__all__ = [
    "canary_check",
    "copy_trace",
    "flag_texts",
    "review_copy_current",
    "review_copy_for",
    "review_copy_make",
    "review_copy_prepare",
]
