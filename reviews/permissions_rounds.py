"""The policy of review rounds and response rounds (issue 27, parts 2 and 3), registered
with django-rules when `reviews.permissions` loads (it imports this module last).

Named permissions:
- `reviews.manage_rounds` (workshop): create and change review and response rounds.
- `reviews.send_to_round` (paper): send a paper to a later round ("revise and resubmit")
  and assign its reviewers again there.
- `reviews.upload_revision` (paper): its contact authors, while the paper's round takes revisions.
- `reviews.view_revision` (paper): the revised PDF's diff against the previous version:
  the chairs, and the paper's reviewers and area chair (not in conflict).
"""

from __future__ import annotations

import rules

from submissions.models import Submission, SubmissionStatus
from submissions.permissions import is_contact_author
from workshop.models import User
from workshop.permissions import is_chair

from .permissions import is_paper_area_chair, is_paper_reviewer
from .selectors.rounds import paper_round, resubmission_open


def paper_round_cached(submission: Submission):  # type: ignore[no-untyped-def]
    """The paper's latest later round (or None), fetched once per paper instance."""
    if "_policy_paper_round" not in submission.__dict__:
        submission.__dict__["_policy_paper_round"] = paper_round(submission)
    return submission.__dict__["_policy_paper_round"]


@rules.predicate
def while_revision_open(_user: User, submission: Submission) -> bool:
    """The paper is under review in a later round whose resubmission window is open."""
    return submission.status == SubmissionStatus.SUBMITTED and resubmission_open(
        paper_round_cached(submission)
    )


@rules.predicate
def has_revision(_user: User, submission: Submission) -> bool:
    found = paper_round_cached(submission)
    return found is not None and found.previous_paper_id is not None


rules.add_perm("reviews.manage_rounds", is_chair)
rules.add_perm("reviews.send_to_round", is_chair)
rules.add_perm("reviews.upload_revision", is_contact_author & while_revision_open)
rules.add_perm(
    "reviews.view_revision",
    has_revision & (is_chair | is_paper_reviewer | is_paper_area_chair),
)
