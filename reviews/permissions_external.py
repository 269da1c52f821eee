"""The policy of external reviewers (issue 28, part 1).

Registered with django-rules when the app loads (`ReviewsConfig.ready`) and asked through
`workshop.policy`. What the external reviewer themselves may do lives in
`reviews.permissions` (their paper: `is_paper_external` in `reviews.view_paper`; the
discussion and the other reviews only as the chairs allow: `external_joins_discussion`;
their review: `reviews.write_review`, as for any assignment). Here: who asks for one, who
sees the requests, who releases a held one, who approves the review.
"""

from __future__ import annotations

from typing import Any

import rules

from submissions.permissions import decisions_out, is_in_review
from workshop.models import User
from workshop.permissions import is_chair

from .models import ExternalPolicy, ExternalReviewRequest
from .permissions import in_conflict, is_paper_area_chair, is_paper_reviewer


@rules.predicate
def members_may_request(_user: object, submission: Any) -> bool:
    """The chairs let the paper's reviewers request external reviewers (`allowed`, or
    `approval`: each request is then held for a chair)."""
    from .selectors.external import external_settings

    return external_settings(submission.workshop).policy != ExternalPolicy.CHAIRS


@rules.predicate
def is_request_requester(user: User, request: ExternalReviewRequest) -> bool:
    """The committee member who asked, still on the paper and not in conflict with it."""
    submission = request.submission
    return (
        request.requester_id == getattr(user, "pk", None)
        and not in_conflict(user, submission)
        and (is_paper_reviewer(user, submission) or is_paper_area_chair(user, submission))
    )


# Ask for an external reviewer of a paper (object: the paper): its chairs and area chair
# always, its reviewers as the chairs choose; until decisions are out.
rules.add_perm(
    "reviews.request_external",
    is_in_review
    & ~decisions_out
    & (is_chair | is_paper_area_chair | (is_paper_reviewer & members_may_request)),
)
# An emergency reviewer with the short deadline (object: the paper): its area chair and
# the chairs.
rules.add_perm(
    "reviews.recruit_emergency", is_in_review & ~decisions_out & (is_chair | is_paper_area_chair)
)
# Every request on a paper, with the experts' addresses (object: the paper); a reviewer
# sees their own requests only.
rules.add_perm("reviews.see_external_requests", is_chair | is_paper_area_chair)
# Release or refuse a held request (object: the workshop or the request): the chairs.
rules.add_perm("reviews.decide_external_request", is_chair)
# Approve an external review so that it counts (object: the request): its requester and
# the chairs.
rules.add_perm("reviews.approve_external_review", is_chair | is_request_requester)
# Withdraw a request not answered yet (object: the request): its requester and the chairs.
rules.add_perm("reviews.withdraw_external_request", is_chair | is_request_requester)
