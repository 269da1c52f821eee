"""The authors' response (rebuttal) to released reviews."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from submissions.models import Submission
from submissions.permissions import is_author
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import User, Workshop
from workshop.outbox import mail_queue
from workshop.phases import accepts_until

from ..models import Assignment, AuthorResponse, Review, ReviewStatus


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", text))


def rebuttal_open(workshop: Workshop, now=None) -> bool:
    now = now or timezone.now()
    return (
        workshop.reviews_released
        and workshop.rebuttal_opens is not None
        and workshop.rebuttal_closes is not None
        and workshop.rebuttal_opens <= now
        and accepts_until(workshop.rebuttal_closes, workshop, now)
    )


@transaction.atomic
def response_save(*, submission: Submission, user: User, text: str, review: Review | None = None
                  ) -> AuthorResponse:  # fmt: skip
    """Save the authors' response to one review (or to all, `review` None) in the window.

    Side effects: a notice to each reviewer of the paper who submitted a review (keyed by
    the response and its length, so saving the same text twice notifies once).
    """
    workshop = submission.workshop
    if not is_author(user, submission):
        raise NotAllowed("Only the authors of this paper can respond.")
    if not rebuttal_open(workshop):
        raise DeadlinePassed("The author response window is closed.")
    if review is not None and review.assignment.submission_id != submission.pk:
        raise NotAllowed("That review belongs to another paper.")
    text = text.strip()
    words = word_count(text)
    if not text:
        raise ServiceError("Write your response first.")
    if words > workshop.rebuttal_word_limit:
        raise ServiceError(
            f"The response has {words} words; the limit is {workshop.rebuttal_word_limit}."
        )
    response, _ = AuthorResponse.objects.update_or_create(
        submission=submission, review=review, defaults={"text": text, "author": user}
    )
    reviewers = Assignment.objects.filter(
        submission=submission, declined_at__isnull=True, review__status=ReviewStatus.SUBMITTED
    ).select_related("reviewer")
    stamp = int(response.updated_at.timestamp())
    for a in reviewers:
        mail_queue(
            key=f"response:{response.pk}:{stamp}:{a.reviewer_id}",
            template="author_response_notice",
            to=a.reviewer.email,
            context={"submission": submission, "response": response, "assignment": a},
            workshop=workshop,
            recipient=a.reviewer,
        )
    return response
