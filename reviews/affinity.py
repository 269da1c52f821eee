"""How well a reviewer fits a paper: topic expertise and text similarity.

Used to sort the bidding list and, with bids, to build the matching engine's affinity
matrix. Text similarity is TF-IDF cosine (scikit-learn) between each paper's title, abstract
and keywords and each reviewer's expertise text; reviewers without text get 0 there and fall
back to topics (and bids, in the matcher).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

LEVEL_WEIGHT = {"expert": 1.0, "knowledgeable": 0.5, "none": 0.0}
SECONDARY_WEIGHT = 0.5


def paper_text(title: str, abstract: str, keywords: str) -> str:
    return f"{title}\n{title}\n{keywords}\n{abstract}"


def text_similarity(paper_texts: Sequence[str], reviewer_texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity, papers x reviewers, in [0, 1]. Empty texts give zeros."""
    n_papers, n_reviewers = len(paper_texts), len(reviewer_texts)
    result = np.zeros((n_papers, n_reviewers), dtype=np.float64)
    has_text = [i for i, t in enumerate(reviewer_texts) if t and t.strip()]
    if not n_papers or not has_text:
        return result
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, min_df=1, ngram_range=(1, 2), max_features=50000
    )
    corpus = list(paper_texts) + [reviewer_texts[i] for i in has_text]
    try:
        matrix = vectorizer.fit_transform(corpus)
    except ValueError:  # only stop words
        return result
    papers, reviewers = matrix[:n_papers], matrix[n_papers:]
    # rows are L2-normalised by TfidfVectorizer, so the dot product is the cosine
    result[:, has_text] = (papers @ reviewers.T).toarray()
    return np.clip(result, 0.0, 1.0)


def topic_scores(
    papers: Sequence[tuple[int | None, set[int]]], reviewers: Sequence[dict[int, str]]
) -> np.ndarray:
    """Topic fit in [0, 1], papers x reviewers: the primary topic's expertise weight, plus
    half the best secondary topic's, capped at 1."""
    result = np.zeros((len(papers), len(reviewers)), dtype=np.float64)
    for j, levels in enumerate(reviewers):
        weights = {tid: LEVEL_WEIGHT.get(level, 0.0) for tid, level in levels.items()}
        if not any(weights.values()):
            continue
        for i, (primary, secondary) in enumerate(papers):
            score = weights.get(primary, 0.0) if primary is not None else 0.0
            if secondary:
                score += SECONDARY_WEIGHT * max(weights.get(t, 0.0) for t in secondary)
            result[i, j] = min(score, 1.0)
    return result


def fit_scores(topic: np.ndarray, text: np.ndarray, *, topic_weight: float = 0.5) -> np.ndarray:
    """The estimated fit the bidding list sorts by (no bids: they are what it asks for)."""
    return topic_weight * topic + (1.0 - topic_weight) * text
