"""The content fit: the text, mixed by rank with the embedding when a model is set
(issue 25, part 3), the same for the bidding list (one reviewer) and the matching instance."""

from __future__ import annotations

import numpy as np
import pytest

from reviews.affinity import EMBEDDING_WEIGHT, content_fit, fit_scores


def test_without_an_embedding_the_content_is_the_text():
    text = np.array([[0.3, 0.0], [0.1, 0.2]])
    assert content_fit(text) is text
    assert content_fit(text, np.ones_like(text), embedding_weight=0.0) is text


def test_the_mix_by_hand():
    """Ranks in [0, 1] (ascending): text 0.3, 0.2, 0.1, 0.0 -> 1, 2/3, 1/3, 0; embedding
    0.1, 0.9, 0.5, 0.7 -> 0, 1, 1/3, 2/3. At weight 0.7: 0.3, 0.9, 1/3, 7/15, so the order
    is p0 < p2 < p3 < p1 and they take the text's values in that order: 0, 0.1, 0.2, 0.3."""
    text = np.array([[0.3], [0.2], [0.1], [0.0]])
    embedding = np.array([[0.1], [0.9], [0.5], [0.7]])
    mixed = content_fit(text, embedding, embedding_weight=0.7)
    assert mixed[:, 0].tolist() == pytest.approx([0.0, 0.3, 0.1, 0.2])
    # weight 1: the embedding's order on the text's values
    only = content_fit(text, embedding, embedding_weight=1.0)
    assert only[:, 0].tolist() == pytest.approx([0.0, 0.3, 0.1, 0.2])
    assert 0 < EMBEDDING_WEIGHT < 1


def test_each_reviewer_keeps_their_text_scores_and_columns_are_independent():
    rng = np.random.default_rng(3)
    text = rng.random((40, 7)) * np.linspace(0.1, 0.6, 7)  # reviewers on different scales
    text[:, 6] = 0.0  # a reviewer without publications
    embedding = rng.random((40, 7))
    mixed = content_fit(text, embedding, block=3)
    for j in range(7):
        # a reordering of the reviewer's own text scores: their scale is kept for the matcher
        assert np.allclose(np.sort(mixed[:, j]), np.sort(text[:, j]))
        # one reviewer alone (the bidding list) gets what the whole instance gives
        alone = content_fit(text[:, [j]], embedding[:, [j]])
        assert np.allclose(alone[:, 0], mixed[:, j])
    assert not mixed[:, 6].any()
    # the embedding moves papers: the mix orders differently from the text alone
    assert not np.array_equal(np.argsort(mixed[:, 0]), np.argsort(text[:, 0]))


def test_fit_scores_are_half_topic_half_content():
    topic, content = np.array([1.0, 0.0]), np.array([0.2, 0.4])
    assert fit_scores(topic, content).tolist() == pytest.approx([0.6, 0.2])


def test_the_mix_equals_a_direct_computation_with_scipy_ranks():
    from scipy.stats import rankdata

    rng = np.random.default_rng(5)
    text = np.round(rng.random((300, 9)), 2)  # many ties, as cosines of short texts have
    text[text < 0.3] = 0.0
    embedding = np.round(rng.random((300, 9)), 2)
    w, n = 0.6, 300
    mixed = content_fit(text, embedding, embedding_weight=w, block=4)
    for j in range(9):
        t_rank = rankdata(text[:, j]) - 1
        e_rank = rankdata(embedding[:, j]) - 1
        mix = np.round(((1 - w) * t_rank + w * e_rank) / (n - 1), 9)
        expected = np.empty(n)
        expected[np.lexsort((t_rank, e_rank, mix))] = np.sort(text[:, j])
        assert np.array_equal(mixed[:, j], expected)
