"""Reads of the stored text embeddings: the vectors of given texts, which texts the
matching and the bidding list will ask for, and how many of them have a vector yet.

The texts are built by the same functions the fit uses (`reviews.affinity.paper_text`,
`profile_documents`), so a vector computed ahead of time is the one the fit reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from submissions.models import Submission, SubmissionStatus
from workshop.models import Membership, Role, Workshop

from ..affinity import paper_text, profile_documents
from ..expertise.embedding import text_hash
from ..models import ReviewerProfile, TextEmbedding
from .expertise import included_publications

READ_CHUNK = 5000
COMMITTEE_ROLES = (Role.REVIEWER, Role.AREA_CHAIR)


def stored_matrix(model: str, hashes: Sequence[str]) -> tuple[np.ndarray | None, list[int]]:
    """The stored vectors of `hashes` as one float32 matrix, row i for hashes[i] (None when
    none is stored), and the rows that have no vector; one query per 5,000 distinct hashes.
    Each vector is copied into its rows as it is read, so only one copy of the whole is
    ever in memory (100,000 publications at 384 dimensions: 150 MB)."""
    rows: dict[str, list[int]] = {}
    for i, key in enumerate(hashes):
        rows.setdefault(key, []).append(i)
    wanted = list(rows)
    out: np.ndarray | None = None
    found: set[str] = set()
    for start in range(0, len(wanted), READ_CHUNK):
        for key, vector in TextEmbedding.objects.filter(
            model=model, text_hash__in=wanted[start : start + READ_CHUNK]
        ).values_list("text_hash", "vector"):
            values = np.frombuffer(vector, dtype=np.float32)
            if out is None:
                out = np.zeros((len(hashes), values.size), dtype=np.float32)
            out[rows[key]] = values
            found.add(key)
    missing = [i for key in wanted if key not in found for i in rows[key]]
    return out, sorted(missing)


def stored_hashes(model: str, hashes: Iterable[str]) -> set[str]:
    """Which of `hashes` have a vector for `model` (no vector read)."""
    wanted = list(dict.fromkeys(hashes))
    found: set[str] = set()
    for start in range(0, len(wanted), READ_CHUNK):
        found.update(
            TextEmbedding.objects.filter(
                model=model, text_hash__in=wanted[start : start + READ_CHUNK]
            ).values_list("text_hash", flat=True)
        )
    return found


def paper_texts(submission_ids: Iterable[int]) -> list[str]:
    """The texts the fit reads of these papers (submitted ones only: the others are not in
    bidding or matching)."""
    return [
        paper_text(title, abstract, keywords)
        for title, abstract, keywords in Submission.objects.filter(
            pk__in=list(submission_ids), status=SubmissionStatus.SUBMITTED
        ).values_list("title", "abstract", "keywords")
    ]


def profile_texts(user_ids: Iterable[int], workshop: Workshop | None = None) -> list[str]:
    """The texts the fit reads of these people: their included publications and the free
    text of their reviewer profiles (of `workshop`, or of every workshop)."""
    user_ids = list(user_ids)
    publications = included_publications(user_ids)
    profiles = ReviewerProfile.objects.filter(user_id__in=user_ids).exclude(expertise_text="")
    if workshop is not None:
        profiles = profiles.filter(workshop=workshop)
    texts = [d.text for pubs in publications.values() for d in profile_documents(pubs, "")]
    texts += [d.text for t in profiles.values_list("expertise_text", flat=True)
              for d in profile_documents([], t)]  # fmt: skip
    return texts


def workshop_texts(workshop: Workshop) -> list[str]:
    """Every text the workshop's matching and bidding list read: its papers under review,
    its committee's publications and free texts."""
    papers = Submission.objects.filter(workshop=workshop, status=SubmissionStatus.SUBMITTED)
    members = Membership.objects.filter(workshop=workshop, role__in=COMMITTEE_ROLES)
    return paper_texts(papers.values_list("pk", flat=True)) + profile_texts(
        set(members.values_list("user_id", flat=True)), workshop
    )


def texts_under_review() -> list[str]:
    """The texts of every workshop that has papers under review (the background sweep's
    work list), each once."""
    workshops = Workshop.objects.filter(
        pk__in=Submission.objects.filter(status=SubmissionStatus.SUBMITTED).values("workshop_id")
    )
    texts: dict[str, None] = {}
    for workshop in workshops:
        texts.update(dict.fromkeys(workshop_texts(workshop)))
    return list(texts)


@dataclass(frozen=True)
class EmbeddingProgress:
    """How many of a workshop's texts have a vector for the configured model."""

    model: str
    texts: int
    stored: int

    @property
    def missing(self) -> int:
        return self.texts - self.stored

    @property
    def percent(self) -> int:
        return 100 if not self.texts else int(100 * self.stored / self.texts)


def embedding_progress(workshop: Workshop, model: str) -> EmbeddingProgress:
    hashes = {text_hash(t) for t in workshop_texts(workshop)}
    return EmbeddingProgress(model, len(hashes), len(stored_hashes(model, hashes)))
