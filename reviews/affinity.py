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

    def content(self) -> np.ndarray:
        """The content fit (`content_fit`): the text, mixed with the embedding by rank."""
        return content_fit(self.text, self.embedding)


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
    text = profile_scores(space, profiles, combine=combine, reference_year=reference_year).astype(
        np.float64
    )
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


# The embedding's share of the content fit when a model is set. On the gold-standard dataset
# (bench/affinity_eval.py --model, an int8 ONNX all-MiniLM-L6-v2; text: concatenated, 5-year
# half-life) the pooled loss by weight was 0.2: 0.232, 0.4: 0.215, 0.5: 0.212, 0.6: 0.209,
# 0.7: 0.209, 0.8: 0.209, 1 (embedding alone): 0.229; text alone 0.247. A split-half choice
# over every text variant and weight at once did worse on the held-out halves (0.225) than
# this fixed weight (0.210), so the weight stays the plain one; choosing the weight alone by
# halves (what the bench now does) is yet to be run with a model.
EMBEDDING_WEIGHT = 0.6


def _ranks(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's values as ranks scaled into [0, 1], ties sharing their mean rank; and the
    row sorted. Rows are reviewers here (a transposed block), so each sort is contiguous."""
    n = rows.shape[1]
    order = np.argsort(rows, axis=1)
    ordered = np.take_along_axis(rows, order, axis=1)
    position = np.broadcast_to(np.arange(n), rows.shape)
    first = np.ones(rows.shape, dtype=bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    last = np.ones(rows.shape, dtype=bool)
    last[:, :-1] = first[:, 1:]
    start = np.maximum.accumulate(np.where(first, position, 0), axis=1)
    end = np.minimum.accumulate(np.where(last, position, n)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.empty(rows.shape, dtype=np.float64)
    np.put_along_axis(ranks, order, ((start + end) / (2.0 * max(n - 1, 1))), axis=1)
    return ranks, ordered


def content_fit(
    text: np.ndarray,
    embedding: np.ndarray | None = None,
    *,
    embedding_weight: float = EMBEDDING_WEIGHT,
    block: int = 256,
) -> np.ndarray:
    """The content part of the fit, papers x reviewers: without an embedding, the text fit
    itself; with one, the two mixed by rank and put back on the text's scale.

    Per reviewer (column): each paper's text rank and embedding rank among the papers are
    mixed, (1 - w) * text rank + w * embedding rank, and the paper that comes k-th in the
    mix gets the reviewer's k-th text score. The mix only reorders a reviewer's text scores,
    so one reviewer's fits stay comparable with another's (for the matcher) and the two
    scales need no tuning; the bidding list and the matching instance rank over the same
    papers (every paper under review), so they agree. Reviewers in blocks (memory)."""
    if embedding is None or not embedding_weight:
        return text
    out = np.empty(text.shape, dtype=np.float64)
    for start in range(0, text.shape[1], block):
        t = np.ascontiguousarray(text[:, start : start + block].T, dtype=np.float64)
        e = np.ascontiguousarray(embedding[:, start : start + block].T, dtype=np.float64)
        text_ranks, text_sorted = _ranks(t)
        embedding_ranks = _ranks(e)[0]
        mix = (1.0 - embedding_weight) * text_ranks + embedding_weight * embedding_ranks
        # ranks tie often in a weighted sum: rounded, so that a tie is one whatever the
        # float rounding, and then the embedding's rank decides, then the text's
        mix = np.round(mix, 9)
        order = np.lexsort((text_ranks, embedding_ranks, mix), axis=1)
        placed = np.empty(t.shape, dtype=np.float64)
        np.put_along_axis(placed, order, text_sorted, axis=1)
        out[:, start : start + block] = placed.T
    return out


def fit_scores(topic: np.ndarray, content: np.ndarray, *, topic_weight: float = 0.5) -> np.ndarray:
    """The estimated fit the bidding list sorts by (no bids: they are what it asks for):
    half topic fit, half content fit (`content_fit`: the text, mixed by rank with the
    embedding when a model is set)."""
    return topic_weight * topic + (1.0 - topic_weight) * content
