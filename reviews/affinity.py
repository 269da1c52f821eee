"""How well a reviewer fits a paper: topic expertise, text similarity, optional embeddings.

Used to sort the bidding list and, with bids, to build the matching engine's affinity
matrix; both go through `expertise_fit` so that they read the same analyzer, the same
TF-IDF space (fitted on the workshop's papers under review) and the same combination of
publications (`reviews.expertise.text.DEFAULT_COMBINE`). A reviewer's text profile is
their included publications (title, abstract, year) plus the free text of their profile;
reviewers without any get 0 there and fall back to topics (and bids, in the matcher).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .expertise.embedding import EmbeddingModel, embedding_scores
from .expertise.text import (
    DEFAULT_COMBINE,
    Combine,
    Document,
    TextSpace,
    document_similarities,
    profile_scores,
)

LEVEL_WEIGHT = {"expert": 1.0, "knowledgeable": 0.5, "none": 0.0}
SECONDARY_WEIGHT = 0.5


def paper_text(title: str, abstract: str, keywords: str) -> str:
    return f"{title}\n{title}\n{keywords}\n{abstract}"


@dataclass(frozen=True)
class PublicationText:
    """An included publication as the text model and the explanation need it."""

    pk: int
    title: str
    abstract: str
    year: int | None

    @property
    def document(self) -> Document:
        return Document(f"{self.title}\n{self.abstract}", self.year)


def profile_documents(publications: Sequence[PublicationText], free_text: str) -> list[Document]:
    docs = [p.document for p in publications]
    if free_text and free_text.strip():
        docs.append(Document(free_text))
    return docs


def text_similarity(paper_texts: Sequence[str], reviewer_texts: Sequence[str]) -> np.ndarray:
    """Stemmed TF-IDF cosine, papers x reviewers, in [0, 1], one text per reviewer."""
    if not paper_texts:
        return np.zeros((0, len(reviewer_texts)))
    space = TextSpace(paper_texts)
    profiles = [[Document(t)] if t and t.strip() else [] for t in reviewer_texts]
    return profile_scores(space, profiles).astype(np.float64)


@dataclass
class ExpertiseFit:
    """The parts of the fit, papers x reviewers, and the space they were computed in."""

    space: TextSpace
    text: np.ndarray
    embedding: np.ndarray | None


def expertise_fit(
    paper_texts: Sequence[str],
    profiles: Sequence[Sequence[Document]],
    *,
    model: EmbeddingModel | None = None,
    combine: Combine = DEFAULT_COMBINE,
    reference_year: int | None = None,
) -> ExpertiseFit:
    """Text (and, with a model, embedding) fit of every paper for every profile; recency
    counts back from `reference_year` (the workshop's submission deadline's year)."""
    space = TextSpace(paper_texts, stem=combine.stem)
    text = profile_scores(
        space, profiles, combine=combine, reference_year=reference_year
    ).astype(np.float64)
    embedding = None
    if model is not None:
        embedding = embedding_scores(
            model, paper_texts, [[d.text for d in docs] for docs in profiles]
        ).astype(np.float64)
    return ExpertiseFit(space, text, embedding)


def best_publications(
    space: TextSpace,
    publications: Sequence[PublicationText],
    rows: Sequence[int] | None = None,
    n: int = 2,
) -> list[list[tuple[PublicationText, float]]]:
    """Per paper (all, or the `rows` given), the `n` included publications that match it
    best, with their cosine; only publications with some similarity."""
    if not publications:
        count = space.papers.shape[0] if rows is None else len(rows)
        return [[] for _ in range(count)]
    sims = document_similarities(space, [p.document.text for p in publications])
    if rows is not None:
        sims = sims[list(rows)]
    out = []
    for row in sims:
        order = np.argsort(-row, kind="stable")[:n]
        out.append([(publications[i], round(float(row[i]), 3)) for i in order if row[i] > 0])
    return out


def topic_scores(
    papers: Sequence[tuple[int | None, set[int]]], reviewers: Sequence[dict[int, str]]
) -> np.ndarray:
    """Topic fit in [0, 1], papers x reviewers: the primary topic's expertise weight, plus
    half the best secondary topic's, capped at 1. Vectorised over reviewers."""
    result = np.zeros((len(papers), len(reviewers)), dtype=np.float64)
    topic_ids = sorted({t for levels in reviewers for t in levels})
    if not topic_ids or not len(papers):
        return result
    row = {t: k for k, t in enumerate(topic_ids)}
    weights = np.zeros((len(topic_ids), len(reviewers)), dtype=np.float64)
    for j, levels in enumerate(reviewers):
        for tid, level in levels.items():
            weights[row[tid], j] = LEVEL_WEIGHT.get(level, 0.0)
    for i, (primary, secondary) in enumerate(papers):
        if primary in row:
            result[i] = weights[row[primary]]
        known = [row[t] for t in secondary or () if t in row]
        if known:
            result[i] += SECONDARY_WEIGHT * weights[known].max(axis=0)
    return np.minimum(result, 1.0)


def fit_scores(
    topic: np.ndarray,
    text: np.ndarray,
    *,
    embedding: np.ndarray | None = None,
    topic_weight: float = 0.5,
) -> np.ndarray:
    """The estimated fit the bidding list sorts by (no bids: they are what it asks for).
    With an embedding model, its score shares the non-topic half with the text score."""
    content = text if embedding is None else (text + embedding) / 2
    return topic_weight * topic + (1.0 - topic_weight) * content
