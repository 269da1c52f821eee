"""Flags on reviews for the chairs (issue 26): the one writer of `ReviewFlag`.

Whatever finds something wrong with a review or a comment (the canary check of review
copies, the copy and length checks of `reviews.services.review_checks`) calls
`review_flag_raise`. Nothing here is shown to or mailed to the reviewer or the authors: the
flag is read through `reviews.selectors.flags.review_flags_for` by the chairs only, and the
activity entry it writes is hidden from the authors (`authors_see=False`) and lives in the
chairs' log.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from submissions.models import Submission
from workshop.activity import activity_record
from workshop.outbox import chairs_mail_queue
from workshop.policy import SYSTEM

from ..models import Comment, FlagKind, Review, ReviewFlag
from ..selectors.flags import flag_label


@transaction.atomic
def review_flag_raise(
    *,
    submission: Submission,
    kind: str,
    review: Review | None = None,
    comment: Comment | None = None,
    matched_review: Review | None = None,
    copy_owner: Any = None,
    detail: dict[str, Any] | None = None,
    actor: Any = SYSTEM,
) -> tuple[ReviewFlag, bool]:
    """Record that `review` (or `comment`) of `submission` is suspect in the way `kind`
    says, with what it matches. Idempotent: the same finding raised again (a review
    re-submitted with the same text) returns the existing flag, with its `detail` brought up
    to date, and `created` False. The caller has checked nothing about the actor's rights:
    flags are raised by the system's own checks, never by a person's request.

    Side effects, when the flag is new: the flag; one `review.flag` activity entry (the
    system as actor, hidden from the authors); one finding to each chair
    (`review_flag_found`, in their daily digest unless they chose a mail each time).
    Nothing the reviewer or the authors can read.
    """
    if (review is None) == (comment is None):
        raise ValueError("A flag concerns exactly one review or one comment.")
    if kind not in FlagKind.values:
        raise ValueError(f"No such flag kind: {kind}")
    keys = {
        "review": review,
        "comment": comment,
        "kind": kind,
        "matched_review": matched_review,
        "copy_owner": copy_owner,
    }
    detail = detail or {}
    try:
        with transaction.atomic():
            flag, created = ReviewFlag.objects.get_or_create(
                **keys, defaults={"submission": submission, "detail": detail}
            )
    except IntegrityError:  # raised at the same moment by a concurrent save
        flag, created = ReviewFlag.objects.get(**keys), False
    if not created:
        if flag.detail != detail:
            flag.detail = detail
            flag.save(update_fields=["detail"])
        return flag, False
    activity_record(
        actor=actor,
        action="review.flag",
        target=review or comment,
        workshop=submission.workshop,
        summary=f"#{submission.number}: {flag.get_kind_display()}",
        after={"kind": kind, **detail},
        authors_see=False,
    )
    chairs_mail_queue(
        workshop=submission.workshop,
        key=f"review_flag:{flag.pk}",
        template="review_flag_found",
        context={"submission": submission, "what": flag_label(flag)},
        target=submission,
    )
    return flag, True
