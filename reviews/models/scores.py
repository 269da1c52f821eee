"""Each paper's review figures, stored: what searches, score sorts and totals read.

One row per paper that ever had a reviewer, rewritten by `paper_scores_refresh`
(reviews.services.scores) inside the same transaction as every action that changes what it
sums: a review submitted or updated, an assignment added, removed or declined, a matching
run committed, the review form's recommendation question changed. Reading a workshop's
`score:>=4` or its totals is then an indexed scan of small rows, not an aggregate over every
answer of the workshop.
"""

from __future__ import annotations

from django.db import models

from submissions.models import Submission


class PaperScore(models.Model):
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, primary_key=True, related_name="score"
    )
    assigned = models.PositiveIntegerField(default=0, help_text="Active reviewer assignments.")
    done = models.PositiveIntegerField(default=0, help_text="Of them, submitted reviews.")
    count = models.PositiveIntegerField(default=0, help_text="Recommendation scores given.")
    mean = models.FloatField(null=True)
    median = models.FloatField(null=True)
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)
    spread = models.FloatField(null=True)
    weighted = models.FloatField(null=True, help_text="Mean weighted by the confidences.")

    class Meta:
        verbose_name = "paper's review figures"
        verbose_name_plural = "papers' review figures"

    def __str__(self) -> str:
        return f"#{self.submission_id}: {self.done} done, mean {self.mean}"
