"""Who reads the flags on reviews: the chairs of the workshop, nobody else (issue 26)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from submissions.models import Submission
from workshop.policy import can

from ..models import ReviewFlag


def review_flags_for(user: Any, submissions: Iterable[Submission]) -> dict[int, list[ReviewFlag]]:
    """The flags of each paper that `user` may see, by paper id, oldest first: every flag
    for a holder of `reviews.view_review_flags` on the paper's workshop, nothing for anyone
    else (the reviewer flagged and the authors included). One query whatever the number of
    papers, with the flagged and matched reviews' assignments read with it (for their
    pseudonyms and links)."""
    papers = list(submissions)
    workshops = {s.workshop_id: s for s in papers}
    allowed = {
        wid for wid, paper in workshops.items() if can(user, "reviews.view_review_flags", paper)
    }
    ids = [s.pk for s in papers if s.workshop_id in allowed]
    found: dict[int, list[ReviewFlag]] = defaultdict(list)
    if not ids:
        return found
    for flag in ReviewFlag.objects.filter(submission_id__in=ids).select_related(
        "review__assignment", "matched_review__assignment__submission", "copy_owner"
    ):
        found[flag.submission_id].append(flag)
    return found
