"""A person's publications: the profile their expertise is computed from.

Per person, not per workshop (a reviewer imports once and every committee they sit on uses
the list). Each publication is kept once per person: imports merge by DOI, else by the
normalised title (`title_key`). `excluded` is the person's choice to leave a publication out
of their expertise (OpenReview's expertise selection); it survives re-imports. The
co-authors of recent publications also feed the conflict selector, excluded or not.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q


class PublicationSource(models.TextChoices):
    BIBTEX = "bibtex", "BibTeX"
    DBLP = "dblp", "DBLP"
    ORCID = "orcid", "ORCID"
    OPENREVIEW = "openreview", "OpenReview"
    SEMANTIC_SCHOLAR = "semantic_scholar", "Semantic Scholar"
    MANUAL = "manual", "Entered by hand"


def title_key(title: str) -> str:
    """The title as compared for duplicates: accents, case, punctuation and spacing out."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[\W_]+", " ", text).strip()[:300]


def normalise_doi(doi: str) -> str:
    doi = doi.strip().lower()
    doi = re.sub(r"^(https?://)?(dx\.)?doi\.org/", "", doi)
    return re.sub(r"^doi:\s*", "", doi)[:200]


class Publication(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publications"
    )
    title = models.CharField(max_length=500)
    abstract = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    venue = models.CharField(max_length=300, blank=True)
    authors = models.JSONField(
        default=list, blank=True, help_text="Author names as listed, the person included."
    )
    url = models.URLField(max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    title_key = models.CharField(max_length=300, editable=False)
    sources = models.JSONField(default=list, blank=True)
    excluded = models.BooleanField(
        default=False, help_text="Left out of the expertise (the choice is kept on re-import)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "-year", "title"]
        constraints = [
            models.UniqueConstraint(fields=["user", "title_key"], name="publication_title_unique"),
            models.UniqueConstraint(
                fields=["user", "doi"], condition=~Q(doi=""), name="publication_doi_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year or 'n.d.'})"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # derived columns only: the one-row helpers the constraints need
        self.title_key = title_key(self.title)
        self.doi = normalise_doi(self.doi) if self.doi else ""
        super().save(*args, **kwargs)

    @property
    def text(self) -> str:
        """What the text model reads."""
        return f"{self.title}\n{self.abstract}"


class AffinityScore(models.Model):
    """An affinity of a reviewer for a paper computed elsewhere (OpenReview's affinity CSV,
    TPMS, ...), kept per source so that a re-import replaces its own scores only. The
    matching engine adds them (averaged over sources) to its own affinity, with the weight
    `imported`."""

    workshop = models.ForeignKey(
        "workshop.Workshop", on_delete=models.CASCADE, related_name="affinity_scores"
    )
    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.CASCADE, related_name="affinity_scores"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affinity_scores"
    )
    source = models.CharField(max_length=30, default="openreview")
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "user", "source"], name="affinity_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.submission}: {self.score}"


class TextEmbedding(models.Model):
    """The vector one embedding model gives one exact text (a paper's title and abstract, a
    publication, a profile's free text), computed once and read by the bidding list and the
    matching build alike. Keyed by the SHA-256 of the text's UTF-8 bytes and the model's
    name, so an edited text or another model is a new row and an unchanged one is reused
    across papers, reviewers and workshops. The vector is stored as float32 bytes."""

    text_hash = models.CharField(max_length=64)
    model = models.CharField(max_length=200)
    dimension = models.PositiveIntegerField()
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["text_hash", "model"], name="text_embedding_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model}: {self.text_hash[:12]} ({self.dimension})"
