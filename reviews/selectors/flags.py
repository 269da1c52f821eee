"""Who reads the flags on reviews: the chairs of the workshop, nobody else (issue 26)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from submissions.models import Submission
from workshop.models import Workshop
from workshop.policy import can

from ..models import FlagKind, ReviewFlag


def _flags() -> QuerySet[ReviewFlag]:
    """Flags with what their labels and links read: the flagged and matched reviews'
    assignments (pseudonyms), the matched paper, the paper's workshop."""
    return ReviewFlag.objects.select_related(
        "submission__workshop",
        "review__assignment",
        "comment",
        "matched_review__assignment__submission",
        "copy_owner",
    )


def _by_paper(flags: Iterable[ReviewFlag]) -> dict[int, list[ReviewFlag]]:
    found: dict[int, list[ReviewFlag]] = defaultdict(list)
    for flag in flags:
        found[flag.submission_id].append(flag)
    return dict(found)


def review_flags_for(user: Any, submissions: Iterable[Submission]) -> dict[int, list[ReviewFlag]]:
    """The flags of each paper that `user` may see, by paper id, oldest first: every flag
    for a holder of `reviews.view_review_flags` on the paper's workshop, nothing for anyone
    else (the reviewer flagged and the authors included). One query whatever the number of
    papers."""
    papers = list(submissions)
    one_per_workshop = {s.workshop_id: s for s in papers}
    allowed = {
        wid
        for wid, paper in one_per_workshop.items()
        if can(user, "reviews.view_review_flags", paper)
    }
    ids = [s.pk for s in papers if s.workshop_id in allowed]
    if not ids:
        return {}
    return _by_paper(_flags().filter(submission_id__in=ids))


def review_flags_in_workshop(user: Any, workshop: Workshop) -> dict[int, list[ReviewFlag]]:
    """Every flag of the workshop's papers, by paper id, for a holder of
    `reviews.view_review_flags` on it (the CSV export of the desk); nothing for anyone
    else. One query."""
    if not can(user, "reviews.view_review_flags", workshop):
        return {}
    return _by_paper(_flags().filter(submission__workshop=workshop))


def flag_label(flag: ReviewFlag) -> str:
    """What a chair reads on the desk and in the CSV: whose review (pseudonym), the reason
    and what it matches, e.g. "Reviewer B: near copy of #3 Reviewer A (0.93)"."""
    detail = flag.detail or {}
    if flag.review is not None:
        who = flag.review.assignment.display_name
    else:
        who = flag.comment.signature if flag.comment is not None else ""
    kind = flag.kind
    if kind == FlagKind.NEAR_COPY and flag.matched_review is not None:
        matched = flag.matched_review.assignment
        reason = (
            f"near copy of #{matched.submission.number} {matched.display_name}"
            + (" (same reviewer)" if detail.get("same_reviewer") else "")
            + (f" ({detail['similarity']:.2f})" if "similarity" in detail else "")
        )
    elif kind == FlagKind.ABSTRACT_COPY:
        reason = "copies the abstract" + (
            f" ({detail['share']:.0%} of its text)" if "share" in detail else ""
        )
    elif kind == FlagKind.TOO_SHORT:
        reason = f"too short ({detail.get('words', '?')} of {detail.get('minimum', '?')} words)"
    elif kind == FlagKind.CANARY:
        reason = "canary phrase of the reviewer's own copy"
    elif kind == FlagKind.CANARY_COPY:
        reason = "canary phrase of another reviewer's copy" + (
            f" ({detail['owner']})" if "owner" in detail else ""
        )
    else:
        reason = flag.get_kind_display()
    return f"{who}: {reason}" if who else reason


@dataclass(frozen=True)
class FlagLine:
    """One flag as the chairs' paper page shows it: the label and, for a near copy, the
    page of the paper whose review it copies."""

    label: str
    kind: str
    matched_url: str = ""
    matched_number: int | None = None


def review_flag_lines(user: Any, submission: Submission) -> list[FlagLine]:
    """The paper's flags for the chairs' view of its page (empty for anyone else): one query
    for a chair, none otherwise beyond the policy's reading of the role."""
    lines = []
    for flag in review_flags_for(user, [submission]).get(submission.pk, []):
        url, number = "", None
        if flag.matched_review is not None:
            paper = flag.matched_review.assignment.submission
            url = reverse("reviews:paper", args=[submission.workshop.slug, paper.number])
            number = paper.number
        lines.append(FlagLine(flag_label(flag), flag.kind, url, number))
    return lines
