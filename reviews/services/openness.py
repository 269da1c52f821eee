"""Open reviewing (issue 14): the workshop's openness policy, public comments and their
moderation.

What is public is decided by the named permissions (`reviews.view_public_forum`,
`reviews.see_public_authors`, `reviews.comment_publicly`,
`reviews.moderate_public_comments`); these services ask them and write exactly one activity
entry per change.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from submissions.models import Submission
from submissions.permissions import is_author
from workshop.activity import activity_record
from workshop.errors import NotAllowed, ServiceError
from workshop.models import Openness, Role, User, Workshop
from workshop.outbox import chairs_mail_queue
from workshop.permissions import is_person
from workshop.policy import can, require, require_visible
from workshop.services import config_save

from ..models import Assignment, PublicComment, PublicCommentStatus
from ..permissions import PUBLIC_COMMENT_RATE, PUBLIC_COMMENT_WINDOW

MAX_PUBLIC_COMMENT = 5000


class RateLimited(ServiceError):
    """Too many public comments in the window (answered 429)."""

    status_code = 429


def openness_set(*, actor: Any, workshop: Workshop, openness: str) -> Workshop:
    """A chair chooses the workshop's openness policy. Goes through `config_save` (the same
    path as the admin's settings form): asks `workshop.manage`, writes one
    `workshop.configure` entry naming `openness` before and after; nothing when unchanged."""
    if openness not in Openness.values:
        raise ServiceError("Choose one of the openness policies.")
    workshop.openness = openness
    return config_save(actor=actor, instance=workshop)  # type: ignore[return-value]


def public_signature(user: User, submission: Submission) -> str:
    """How a public comment is signed: the paper's own people by their role on it (authors
    are never named where the forum does not name them, reviewers by their pseudonym, or by
    name where they signed their review), everyone else by their name."""
    if is_author(user, submission):
        return "Authors"
    assignment = (
        Assignment.objects.filter(submission=submission, reviewer=user, declined_at__isnull=True)
        .select_related("review")
        .order_by("role")
        .first()
    )
    if assignment is not None:
        review = getattr(assignment, "review", None) if assignment.role == Role.REVIEWER else None
        if review is not None and review.signed:
            return user.name or "Reviewer"
        return assignment.display_name
    if can(user, "reviews.moderate_public_comments", submission):
        return "Program chairs"
    return user.name or "Anonymous reader"


@transaction.atomic
def public_comment_post(*, actor: User, submission: Submission, body: str) -> PublicComment:
    """A signed-in person comments on a published forum. Asks `reviews.view_public_forum`
    (404), then `reviews.comment_publicly`: signed in (NotAllowed) and within the rate limit
    of PUBLIC_COMMENT_RATE comments per hour per workshop, counted in the database under a
    lock on the person's row (RateLimited, 429, with a plain message).

    Side effects: the comment, held until a chair approves it; one `public_comment.post`
    activity entry; a mail to every chair of the workshop through the outbox, one per
    "comments are waiting" episode (keyed by the oldest held comment), so a busy forum does
    not flood them.
    """
    # The stored state, not the caller's copy: the policy and the switches may have moved.
    submission = Submission.objects.select_related("workshop").get(pk=submission.pk)
    require_visible(actor, "reviews.view_public_forum", submission)
    if not is_person(actor):
        raise NotAllowed("Sign in to comment.")
    # Serialise one person's posts before counting: two tabs cannot both take the last slot.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    if not can(actor, "reviews.comment_publicly", submission):
        minutes = int(PUBLIC_COMMENT_WINDOW.total_seconds() // 60)
        raise RateLimited(
            f"You have posted {PUBLIC_COMMENT_RATE} comments on this workshop's forums in the "
            f"last {minutes} minutes, the most we accept. Please try again later."
        )
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise ServiceError("Write something first.")
    if len(body) > MAX_PUBLIC_COMMENT:
        raise ServiceError(f"A comment can have at most {MAX_PUBLIC_COMMENT:,} characters.")
    comment = PublicComment.objects.create(
        submission=submission,
        author=actor,
        body=body,
        signature=public_signature(actor, submission)[:200],
    )
    workshop = submission.workshop
    activity_record(
        actor=actor,
        action="public_comment.post",
        target=comment,
        workshop=workshop,
        summary=f"Public comment on #{submission.number} by {comment.signature}, held for "
        "moderation",
        after={"status": comment.status},
    )
    first_held = (
        PublicComment.objects.filter(submission__workshop=workshop, status=PublicCommentStatus.HELD)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    waiting = PublicComment.objects.filter(
        submission__workshop=workshop, status=PublicCommentStatus.HELD
    ).count()
    chairs_mail_queue(
        workshop=workshop,
        key=f"public-comments-held:{workshop.pk}:{first_held}",
        template="public_comments_held",
        context={"comment": comment, "waiting": waiting},
        target=comment,
    )
    return comment


@transaction.atomic
def public_comment_moderate(
    *, actor: Any, comment: PublicComment, approve: bool, reason: str = ""
) -> PublicComment:
    """A chair approves (published on the forum) or rejects (never shown) a public comment.
    Asks `reviews.moderate_public_comments` on the comment's paper (NotFound for anyone
    else: they may not know a held comment exists). Idempotent: the same verdict twice
    changes nothing.

    Side effects: one `public_comment.approve` or `public_comment.reject` activity entry.
    """
    locked = (
        PublicComment.objects.select_for_update()
        .select_related("submission__workshop")
        .filter(pk=comment.pk)
        .first()
    )
    if locked is None:
        raise ServiceError("No such comment.")
    require_visible(actor, "reviews.moderate_public_comments", locked.submission)
    require(actor, "reviews.moderate_public_comments", locked.submission)
    status = PublicCommentStatus.APPROVED if approve else PublicCommentStatus.REJECTED
    if locked.status == status:
        return locked
    before = locked.status
    locked.status = status
    locked.moderated_by = actor if isinstance(actor, User) else None
    locked.moderated_at = timezone.now()
    locked.save(update_fields=["status", "moderated_by", "moderated_at"])
    verb = "approve" if approve else "reject"
    activity_record(
        actor=actor,
        action=f"public_comment.{verb}",
        target=locked,
        workshop=locked.submission.workshop,
        summary=f"Public comment by {locked.signature} on #{locked.submission.number} "
        + ("approved" if approve else "rejected"),
        before={"status": before},
        after={"status": status},
        reason=reason,
    )
    return locked


def public_comments_moderate(
    *, actor: Any, comment_ids: list[int], approve: bool, reason: str = ""
) -> int:
    """Approve or reject several comments (the admin's actions, the moderation list): one
    `public_comment_moderate` each, with the chair's reason. Returns how many changed."""
    changed = 0
    for comment in PublicComment.objects.filter(pk__in=comment_ids).order_by("pk"):
        before = comment.status
        after = public_comment_moderate(
            actor=actor, comment=comment, approve=approve, reason=reason
        )
        changed += after.status != before
    return changed
