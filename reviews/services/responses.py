"""The authors' response (rebuttal) to released reviews."""

from __future__ import annotations

import re

from django.db import transaction

from submissions.models import Submission
from submissions.permissions import is_author
from workshop.activity import activity_record
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import User
from workshop.outbox import mail_queue
from workshop.policy import can, require_visible

from ..models import Assignment, AuthorResponse, Review, ReviewStatus
from ..selectors.rounds import response_window_for

NOT_ITS_REVIEW = "That review is not among this paper's reviews."


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text))


@transaction.atomic
def response_save(*, submission: Submission, user: User, text: str, review: Review | None = None,
                  notify: bool = True) -> AuthorResponse:  # fmt: skip
    """Save the authors' response to one review (or to all, `review` None) in the window.
    Asks `submissions.view` (NotFound for a stranger), then `reviews.respond` (an author, in
    the window: DeadlinePassed once it closed). The open response round's hard word limit
    applies (`response_window_for`; without rounds, the workshop's limit).

    Saving the same text again changes nothing. Side effects: one `response.save` activity
    entry (part of the authors' history), and, unless `notify` is False, a notice to each
    reviewer of the paper who submitted a review, keyed by that entry.
    """
    require_visible(user, "submissions.view", submission)
    if not can(user, "reviews.respond", submission):
        if not is_author(user, submission):
            raise NotAllowed("Only the authors of this paper can respond.")
        raise DeadlinePassed("The author response window is closed.")
    if review is not None and (
        review.assignment.submission_id != submission.pk
        or review.status != ReviewStatus.SUBMITTED  # authors never see drafts
    ):
        raise NotAllowed(NOT_ITS_REVIEW)
    workshop = submission.workshop
    window = response_window_for(submission)
    limit = window.words_hard if window else workshop.rebuttal_word_limit
    text = text.strip()
    words = word_count(text)
    if not text:
        raise ServiceError("Write your response first.")
    if words > limit:
        raise ServiceError(f"The response has {words} words; the limit is {limit}.")
    previous = (
        AuthorResponse.objects.select_for_update().filter(submission=submission, review=review)
    ).first()
    if previous is not None and previous.text == text:
        return previous
    response, _ = AuthorResponse.objects.update_or_create(
        submission=submission, review=review, defaults={"text": text, "author": user}
    )
    to = f"Reviewer {review.assignment.pseudonym}" if review is not None else "all reviews"
    entry = activity_record(
        actor=user, target=response, action="response.save", authors_see=True,
        summary=f"Author response to {to} on #{submission.number} "
        + ("updated" if previous else "saved") + f" ({words} words)",
    )  # fmt: skip
    if not notify:
        return response
    reviewers = Assignment.objects.filter(
        submission=submission, declined_at__isnull=True, review__status=ReviewStatus.SUBMITTED
    ).select_related("reviewer")
    for a in reviewers:
        mail_queue(
            key=f"response:{entry.pk}:{a.reviewer_id}",
            template="author_response_notice",
            to=a.reviewer.email,
            context={"submission": submission, "response": response, "assignment": a},
            workshop=workshop,
            recipient=a.reviewer,
            target=response,
        )
    return response
