"""How the chairs' actions of the reviews app on one paper turn a refused permission into
an error.

They answer NotFound (404) to whoever may not know the paper exists (a chair of another
workshop, a reviewer in conflict with it) and NotAllowed (403) to those who see it (its
authors, its reviewers, the committee in bidding) but may not act on it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from submissions.models import Submission
from workshop.errors import NotAllowed, NotFound
from workshop.policy import can

RowT = TypeVar("RowT", bound=Model)

# Each of these lets the actor know that the paper exists.
SEES_PAPER = ("submissions.view", "reviews.view_paper", "reviews.view_bidding")


def require_on_paper(actor: Any, perm: str, submission: Submission, *, message: str) -> None:
    """`perm` on the paper, or NotFound / NotAllowed as above."""
    if can(actor, perm, submission):
        return
    if any(can(actor, seen, submission) for seen in SEES_PAPER):
        raise NotAllowed(message)
    raise NotFound()


def lock_on_paper(
    rows: QuerySet[RowT], pk: int, *, actor: Any, perm: str, message: str
) -> RowT | None:
    """Row `pk` of `rows` (a model with a `submission`), locked, once `actor` holds `perm`
    on its paper (`require_on_paper`); None when the row is gone (a retried request)."""
    row = rows.select_for_update().select_related("submission__workshop").filter(pk=pk).first()
    if row is not None:
        require_on_paper(actor, perm, row.submission, message=message)  # type: ignore[attr-defined]
    return row
