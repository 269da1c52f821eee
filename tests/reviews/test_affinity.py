"""The text model: stemming, stop words, combinations, the optional embedding interface, and
one analyzer/space for the bidding list and the matching instance."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from reviews.affinity import content_fit, text_similarity
from reviews.expertise import embedding as embedding_module
from reviews.expertise.embedding import EmbeddingModel, embedding_scores, model_from_setting
from reviews.expertise.text import Analyzer, Combine, Document, TextSpace, profile_scores
from reviews.models import Publication
from reviews.selectors.committee import bidding_page
from reviews.selectors.matching import matching_input
from reviews.services.committee import conflict_override_set
from reviews.services.expertise import publication_add, publication_set_excluded
from tests.reviews.assignment_world import member, paper


def test_words_sharing_a_stem_match_and_stop_words_do_not():
    tokens = Analyzer().tokens("The networks were training; a trained network trains.")
    assert tokens == ["network", "train", "train", "network", "train"]
    assert Analyzer(stem=False).tokens("networks network")[0] != "network"
    stemmed = text_similarity(["Training neural networks"], ["trained a neural network"])
    assert stemmed[0, 0] > 0.99  # every content word shares its stem
    space = TextSpace(["Training neural networks"], stem=False)
    plain = profile_scores(
        space, [[Document("trained a neural network")]], combine=Combine(stem=False)
    )
    assert 0 < plain[0, 0] < 0.5  # only "neural" matches without the stemmer
    # stop words alone match nothing, and an empty profile scores zero
    only_stop = text_similarity(["the of and with"], ["the of and with", ""])
    assert only_stop.tolist() == [[0.0, 0.0]]


def test_combinations_recency_and_best_k():
    papers = ["Speculative decoding with draft models", "Deduplicating web corpora"]
    space = TextSpace(papers)
    profile = [
        [
            Document("Draft models for speculative decoding", 2024),
            Document("Web corpora deduplication at scale", 2010),
        ]
    ]
    concat = profile_scores(space, profile, combine=Combine("concat"), reference_year=2025)
    recent = profile_scores(
        space, profile, combine=Combine("concat", half_life=2), reference_year=2025
    )
    assert concat[0, 0] > 0 and concat[1, 0] > 0
    # the 15-year-old paper counts far less with recency weighting
    assert recent[1, 0] / recent[0, 0] < concat[1, 0] / concat[0, 0]
    best1 = profile_scores(space, profile, combine=Combine("best_k", k=1), reference_year=2025)
    best2 = profile_scores(space, profile, combine=Combine("best_k", k=2), reference_year=2025)
    assert best1[0, 0] > 0.5 and best2[0, 0] == pytest.approx(
        (
            best1[0, 0]
            + profile_scores(space, [[profile[0][1]]], combine=Combine("best_k", k=1))[0, 0]
        )
        / 2,
        abs=1e-5,
    )


class TinyModel:
    """A deterministic 'sentence embedding': hashed bag of words in 16 dimensions."""

    name = "tiny"

    def encode(self, texts):
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.sha1(word.encode()).hexdigest(), 16) % 16] += 1
        return out


def test_embedding_interface_with_a_tiny_model_built_here():
    model = model_from_setting("python:tests.reviews.test_affinity:TinyModel")
    assert isinstance(model, EmbeddingModel) and model_from_setting("") is None
    scores = embedding_scores(
        model,
        ["graph networks", "protein folding"],
        [["graph networks"], [], ["protein folding", "graph networks"]],
    )
    assert scores[0, 0] == pytest.approx(1.0) and scores[:, 1].tolist() == [0.0, 0.0]
    assert 0 < scores[1, 2] < 1 and scores[0, 2] == pytest.approx(scores[1, 2], abs=1e-6)
    with pytest.raises(embedding_module.EmbeddingConfigError):
        model_from_setting("/nonexistent/model-dir")


@pytest.fixture
def world(workshop, owner, chair):
    draft = paper(
        workshop,
        owner,
        "Speculative decoding with draft models",
        abstract="Draft models make decoding fast on small hardware.",
    )
    data = paper(
        workshop,
        owner,
        "Deduplicating multilingual web corpora",
        abstract="Near-duplicate detection for pre-training data.",
    )
    conflicted = paper(
        workshop, owner, "Benchmark contamination", abstract="Benchmarks leak into training data."
    )
    rita = member(workshop, "rita", "Rita Reviewer", text="Evaluation of language models")
    conflict_override_set(
        submission=conflicted, user=rita, chair=chair, conflicted=True, reason="test"
    )
    publication_add(
        actor=rita,
        owner=rita,
        title="Drafting speculative decoders",
        year=2024,
        abstract="Speculative decoding with drafted models.",
    )
    excluded = publication_add(
        actor=rita,
        owner=rita,
        title="Deduplicated corpora",
        abstract="Deduplicating multilingual corpora.",
        year=2023,
    )
    return {"rita": rita, "draft": draft, "data": data, "excluded": excluded}


def test_bidding_list_and_matching_instance_read_the_same_text_scores(world, workshop):
    rita = world["rita"]
    page = bidding_page(workshop, rita)
    inst = matching_input(workshop)
    j = inst.reviewer_index()[rita.pk]
    assert {r.submission.pk for r in page.rows} == {world["draft"].pk, world["data"].pk}
    for row in page.rows:
        i = inst.paper_index()[row.submission.pk]
        assert row.explain.text == pytest.approx(inst.parts["text"][i, j], abs=1e-3)
        assert row.explain.text > 0
    assert "embedding" not in inst.parts  # no model configured: nothing changes


def test_an_excluded_publication_no_longer_counts(world, workshop):
    rita, data = world["rita"], world["data"]
    before = matching_input(workshop)
    i, j = before.paper_index()[data.pk], before.reviewer_index()[rita.pk]
    publication_set_excluded(actor=rita, publication=world["excluded"], excluded=True)
    after = matching_input(workshop)
    assert after.parts["text"][i, j] < before.parts["text"][i, j]
    row = next(r for r in bidding_page(workshop, rita).rows if r.submission.pk == data.pk)
    assert row.explain.text == pytest.approx(after.parts["text"][i, j], abs=1e-3)
    assert Publication.objects.filter(user=rita, excluded=True).count() == 1


def test_a_configured_embedding_model_is_mixed_into_affinity(world, workshop, settings):
    plain = matching_input(workshop)
    settings.EXPERTISE_EMBEDDING_MODEL = "python:tests.reviews.test_affinity:TinyModel"
    mixed = matching_input(workshop)
    assert "embedding" in mixed.parts
    # the content fit (text mixed with the embedding by rank) takes the text's place
    assert np.allclose(
        mixed.affinity - mixed.parts["content"], plain.affinity - plain.parts["text"]
    )
    assert np.allclose(
        mixed.parts["content"], content_fit(mixed.parts["text"], mixed.parts["embedding"])
    )
    row = bidding_page(workshop, world["rita"]).rows[0]
    assert row.explain.embedding is not None
