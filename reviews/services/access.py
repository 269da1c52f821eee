"""How the actions of the reviews app turn a refused permission into an error.

Chairs' actions on one paper answer NotFound (404) to whoever may not know the paper exists
(a chair of another workshop, a reviewer in conflict with it) and NotAllowed (403) to those
who see it (its authors, its reviewers, the committee in bidding) but may not act on it.
"""

from __future__ import annotations

from typing import Any

from submissions.models import Submission
from workshop.errors import NotAllowed, NotFound
from workshop.policy import can


def require_on_paper(actor: Any, perm: str, submission: Submission, *, message: str) -> None:
    """`perm` on the paper, or NotFound / NotAllowed as above."""
    if can(actor, perm, submission):
        return
    if any(
        can(actor, seen, submission)
        for seen in ("submissions.view", "reviews.view_paper", "reviews.view_bidding")
    ):
        raise NotAllowed(message)
    raise NotFound()
