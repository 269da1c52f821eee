"""Reviewers' own copies of a paper, each with its canary (issue 26; see `reviews.canary`)."""

from __future__ import annotations

import uuid

from django.db import models

from .assignment import Assignment


def _copy_name(instance: ReviewCopy, filename: str) -> str:
    return f"review-copies/{instance.assignment.submission.workshop_id}/{uuid.uuid4().hex}.pdf"


class ReviewCopy(models.Model):
    """The PDF one reviewer (or area chair) downloads for one paper, made by a worker from
    the paper's anonymised copy and kept until the paper's PDF changes (`source_sha256`, the
    SHA-256 of the uploaded version it was made from, then differs and it is made again).

    `phrase` and `token` are chosen once per assignment and stay the same across versions,
    so that any version of a leaked copy traces back. `file` is empty until made.
    """

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="review_copy"
    )
    phrase = models.CharField(max_length=60, help_text="The canary: two uncommon words.")
    token = models.CharField(
        max_length=32, unique=True, help_text="The fingerprint in the copy's metadata and text."
    )
    file = models.FileField(upload_to=_copy_name, blank=True, max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    made_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "review copies"

    def __str__(self) -> str:
        return f"Review copy for {self.assignment_id} ({self.phrase})"
