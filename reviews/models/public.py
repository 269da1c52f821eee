"""Open reviewing: comments the public posts on a paper's published forum."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from submissions.models import Submission


class PublicCommentStatus(models.TextChoices):
    HELD = "held", "Held for moderation"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class PublicComment(models.Model):
    """A signed-in person's comment on a published forum (`reviews.view_public_forum`).

    It is held until a chair approves it (`public_comment_moderate`); a rejected one is kept
    (for the rate limit and the log) but never shown. `signature` is fixed when it is posted:
    the person's name, or "Authors" / "Reviewer B" / "Area chair" for the paper's own people,
    so that a comment never reveals who wrote or reviewed the paper.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="public_comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="public_comments"
    )
    signature = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown with $math$; rendered safely.")
    status = models.CharField(
        max_length=10,
        choices=PublicCommentStatus.choices,
        default=PublicCommentStatus.HELD,
        db_index=True,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        indexes = [
            models.Index(fields=["submission", "status"], name="public_comment_shown"),
            models.Index(fields=["author", "created_at"], name="public_comment_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.signature} on #{self.submission.number}"
