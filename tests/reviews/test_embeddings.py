"""Embeddings computed once (issue 25, parts 1 and 2): the vector store, the task that fills
it, the bidding list and the matching build reading the same stored vectors, and the local
model directories `EXPERTISE_EMBEDDING_MODEL` accepts."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.affinity import paper_text
from reviews.expertise import embedding as embedding_module
from reviews.expertise.embedding import (
    EmbeddingConfigError,
    embedding_scores,
    load_model,
    model_from_setting,
    text_hash,
)
from reviews.models import TextEmbedding
from reviews.selectors.committee import bidding_page
from reviews.selectors.embeddings import embedding_progress, workshop_texts
from reviews.selectors.matching import matching_input
from reviews.services.embeddings import StoredModel, embeddings_sweep
from reviews.services.expertise import publication_add
from submissions.models import Submission, SubmissionStatus
from submissions.services.lifecycle import submission_update
from tests.factories import SubmissionFactory, WorkshopFactory, make_chair
from tests.reviews.assignment_world import member, paper

encoded: list[str] = []  # every text the counting models below were asked to encode


class CountingModel:
    """A deterministic 'sentence embedding' (hashed bag of words, 16 dimensions) that
    records what it encodes, so a test can count encodings."""

    name = "counting"

    def encode(self, texts):
        encoded.extend(texts)
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.sha1(word.encode()).hexdigest(), 16) % 16] += 1
        return out


class OtherModel(CountingModel):
    name = "counting-v2"


COUNTING = "python:tests.reviews.test_embeddings:CountingModel"
OTHER = "python:tests.reviews.test_embeddings:OtherModel"


@pytest.fixture(autouse=True)
def _fresh_counts():
    encoded.clear()
    embedding_module._cached.cache_clear()
    yield
    embedding_module._cached.cache_clear()


@pytest.fixture
def world(workshop, owner):
    papers = [
        paper(workshop, owner, "Speculative decoding with draft models",
              abstract="Draft models make decoding fast on small hardware."),
        paper(workshop, owner, "Deduplicating multilingual web corpora",
              abstract="Near-duplicate detection for pre-training data."),
    ]  # fmt: skip
    rita = member(workshop, "rita", "Rita Reviewer", text="Evaluation of language models")
    sam = member(workshop, "sam", "Sam Scorer")
    publication_add(actor=rita, owner=rita, title="Drafting speculative decoders", year=2024,
                    abstract="Speculative decoding with drafted models.")  # fmt: skip
    publication_add(actor=sam, owner=sam, title="Web corpora at scale", year=2023,
                    abstract="Deduplication of crawled corpora.")  # fmt: skip
    return {"papers": papers, "rita": rita, "sam": sam}


def test_a_text_is_encoded_once_then_read(db):
    stored = StoredModel(CountingModel())
    first = stored.encode(["graph networks", "protein folding", "graph networks"])
    assert encoded == ["graph networks", "protein folding"]  # a miss, each distinct text once
    again = stored.encode(["protein folding", "graph networks"])
    assert len(encoded) == 2  # a hit: nothing encoded
    assert np.array_equal(again, first[[1, 0]])
    row = TextEmbedding.objects.get(text_hash=text_hash("graph networks"), model="counting")
    assert row.dimension == 16 and len(bytes(row.vector)) == 16 * 4  # float32
    assert np.array_equal(np.frombuffer(bytes(row.vector), np.float32), first[0])
    stored.encode(["graph networks", "a new text"])
    assert encoded[2:] == ["a new text"]


def test_another_model_has_vectors_of_its_own(db):
    StoredModel(CountingModel()).encode(["graph networks"])
    StoredModel(OtherModel()).encode(["graph networks"])
    assert encoded == ["graph networks", "graph networks"]
    assert set(TextEmbedding.objects.values_list("model", flat=True)) == {
        "counting",
        "counting-v2",
    }


def test_without_a_model_nothing_is_stored_or_enqueued(world, workshop, settings):
    assert load_model() is None
    inst = matching_input(workshop)
    assert "embedding" not in inst.parts
    assert embeddings_sweep() == 0 and not TextEmbedding.objects.exists()


def test_the_sweep_stores_every_text_and_the_fit_then_encodes_nothing(world, workshop, settings):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    texts = set(workshop_texts(workshop))
    assert paper_text(world["papers"][0].title, world["papers"][0].abstract, "") in texts
    assert "Evaluation of language models" in texts  # a profile's free text
    assert embedding_progress(workshop, "counting").stored == 0
    assert embeddings_sweep() == len(texts)
    progress = embedding_progress(workshop, "counting")
    assert (progress.texts, progress.stored, progress.missing) == (len(texts), len(texts), 0)
    encoded.clear()
    inst = matching_input(workshop)
    page = bidding_page(workshop, world["rita"])
    assert encoded == []  # both only read
    j = inst.reviewer_index()[world["rita"].pk]
    for row in page.rows:
        i = inst.paper_index()[row.submission.pk]
        assert row.explain.embedding == pytest.approx(inst.parts["embedding"][i, j], abs=1e-3)
    assert inst.parts["embedding"].max() > 0


def test_stored_vectors_give_the_scores_the_model_gives(world, workshop, settings):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    inst = matching_input(workshop)  # every vector missing: computed on demand, stored
    count = len(encoded)
    assert count == TextEmbedding.objects.count() > 0
    again = matching_input(workshop)
    assert len(encoded) == count
    direct = embedding_scores(
        CountingModel(),
        [paper_text(p.title, p.abstract, p.keywords) for p in inst.papers],
        [["Drafting speculative decoders\nSpeculative decoding with drafted models.",
          "Evaluation of language models"],
         ["Web corpora at scale\nDeduplication of crawled corpora."]],
    )  # fmt: skip
    order = [again.reviewer_index()[u.pk] for u in (world["rita"], world["sam"])]
    assert np.allclose(again.parts["embedding"][:, order], direct, atol=1e-6)


def test_a_model_change_recomputes_every_vector(world, workshop, settings):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    embeddings_sweep()
    settings.EXPERTISE_EMBEDDING_MODEL = OTHER
    progress = embedding_progress(workshop, "counting-v2")
    assert progress.stored == 0 and progress.missing == progress.texts > 0
    encoded.clear()
    assert embeddings_sweep() == progress.texts
    assert len(encoded) == progress.texts
    assert embedding_progress(workshop, "counting-v2").missing == 0


def test_editing_a_paper_encodes_its_new_text_in_the_task(
    world, workshop, settings, django_capture_on_commit_callbacks
):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    embeddings_sweep()
    encoded.clear()
    open_call = SubmissionFactory(title="Tree attention", abstract="Trees of drafts.")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission_update(
            submission=open_call, user=open_call.created_by, abstract="Drafts in parallel."
        )
    assert len(callbacks) >= 1
    open_call.refresh_from_db()
    encoded_text = paper_text(open_call.title, open_call.abstract, open_call.keywords)
    assert encoded == [encoded_text]
    encoded.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submission_update(submission=open_call, user=open_call.created_by, tldr="Short.")
    assert encoded == []  # not a text the models read
    paper(workshop, world["papers"][0].created_by, "Tree drafts", abstract="A new paper.")
    matching_input(workshop)
    assert len(encoded) == 1  # adding one paper costs one encoding, not a rebuild


def test_a_new_publication_is_encoded_in_the_task(
    world, workshop, settings, django_capture_on_commit_callbacks
):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    embeddings_sweep()
    encoded.clear()
    rita = world["rita"]
    with django_capture_on_commit_callbacks(execute=True):
        publication_add(actor=rita, owner=rita, title="Tree attention", abstract="Trees.")
    assert encoded == ["Tree attention\nTrees."]


def test_editing_a_draft_or_without_a_model_enqueues_nothing(
    db, settings, django_capture_on_commit_callbacks
):
    draft = SubmissionFactory(status=SubmissionStatus.DRAFT)
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission_update(submission=draft, user=draft.created_by, abstract="Still a draft.")
    assert callbacks == [] and encoded == []
    settings.EXPERTISE_EMBEDDING_MODEL = ""
    submitted = SubmissionFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission_update(submission=submitted, user=submitted.created_by, abstract="Edited.")
    assert encoded == [] and not TextEmbedding.objects.exists()


def test_the_embedding_tasks_are_routed_to_the_matching_queue():
    routes = django_settings.CELERY_TASK_ROUTES
    for name in ("reviews.tasks.text_embeddings_task", "reviews.tasks.embeddings_sweep_task"):
        assert routes[name]["queue"] == "matching"
    beat = [e["task"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert "reviews.tasks.embeddings_sweep_task" in beat


def _bulk(workshop, owner, count: int, start: int) -> None:
    topic = workshop.topics.first()
    Submission.objects.bulk_create(
        Submission(workshop=workshop, number=n, title=f"Paper {n} on draft decoding",
                   abstract=f"Abstract {n}: speculative decoding on task {n % 7}.",
                   primary_topic=topic, status=SubmissionStatus.SUBMITTED, created_by=owner)
        for n in range(start, start + count)
    )  # fmt: skip


def test_the_bidding_page_reads_vectors_in_a_constant_number_of_queries(
    world, workshop, owner, settings
):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    rita = world["rita"]
    _bulk(workshop, owner, 8, start=10)
    embeddings_sweep()
    with CaptureQueriesContext(connection) as small:
        page = bidding_page(workshop, rita)
    assert page.total == 10 and page.rows[0].explain.embedding is not None
    _bulk(workshop, owner, 120, start=100)
    embeddings_sweep()
    encoded.clear()
    with CaptureQueriesContext(connection) as large:
        page = bidding_page(workshop, rita)
    assert page.total == 130 and encoded == []
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]


def test_bad_model_settings_say_what_is_wrong(tmp_path):
    with pytest.raises(EmbeddingConfigError, match="not a directory"):
        model_from_setting(str(tmp_path / "missing"))
    with pytest.raises(EmbeddingConfigError, match=r"modules\.json"):
        model_from_setting(str(tmp_path))
    (tmp_path / "modules.json").write_text("[]")
    (tmp_path / "model.safetensors").write_bytes(b"weights")
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        with pytest.raises(EmbeddingConfigError, match="install sentence-transformers"):
            model_from_setting(str(tmp_path))
    assert os.environ["HF_HUB_OFFLINE"] == "1"  # the hub libraries never download


def test_the_pooling_and_name_of_a_model_directory(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    assert embedding_module._pooling(tmp_path) == "cls"
    assert embedding_module._pooling(tmp_path / "nowhere") == "mean"
    weights = tmp_path / "model.onnx"
    weights.write_bytes(b"one")
    first = embedding_module._fingerprint(tmp_path, weights)
    weights.write_bytes(b"two")
    assert (
        first.startswith(tmp_path.name)
        and embedding_module._fingerprint(tmp_path, weights) != first
    )  # replaced weights: another model, other vectors


REAL_MODEL = os.environ.get("EXPERTISE_TEST_MODEL_DIR", "")


@pytest.mark.skipif(
    not REAL_MODEL,
    reason="EXPERTISE_TEST_MODEL_DIR names no local model directory (a sentence-transformers "
    "directory or an ONNX export with tokenizer.json): the real model test is skipped",
)
def test_a_real_local_model_directory_loads_and_ranks_related_text_first(db):
    model = model_from_setting(REAL_MODEL)
    assert model is not None and Path(REAL_MODEL).name in model.name
    texts = [
        "Speculative decoding accelerates inference of large language models.",
        "Faster language model inference with draft models.",
        "Crystal structures of protein complexes determined by cryo-electron microscopy.",
    ]
    vectors = StoredModel(model).encode(texts)
    assert vectors.shape[0] == 3 and vectors.shape[1] >= 64
    scores = embedding_scores(model, [texts[0]], [[texts[1]], [texts[2]]])
    assert scores[0, 0] > scores[0, 1] + 0.2
    assert TextEmbedding.objects.filter(model=model.name).count() == 3


def test_the_assignment_page_shows_the_chairs_the_embedding_progress(
    world, workshop, chair, client, settings
):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    client.force_login(chair)
    add = reverse("admin:reviews_matchingrun_add")
    texts = len(set(workshop_texts(workshop)))
    page = client.get(add).content.decode()
    assert f"0 of {texts} texts have a vector" in page and "Compute them now" in page
    response = client.post(
        reverse("admin:reviews_run_embeddings"), {"workshop": workshop.pk}, follow=True
    )
    assert "being computed in the background" in response.content.decode()
    assert f"{texts} of {texts} texts have a vector (100%)" in response.content.decode()
    settings.EXPERTISE_EMBEDDING_MODEL = ""
    assert "Text embeddings" not in client.get(add).content.decode()


def test_only_a_chair_of_the_workshop_asks_for_the_embeddings(world, workshop, client, settings):
    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    other = make_chair(WorkshopFactory(), email="olga@elsewhere.org")
    client.force_login(other)
    response = client.post(reverse("admin:reviews_run_embeddings"), {"workshop": workshop.pk})
    assert response.status_code == 404 and not TextEmbedding.objects.exists()
    garbage = client.post(reverse("admin:reviews_run_embeddings"), {"workshop": "abc"})
    assert garbage.status_code == 404
    client.force_login(world["rita"])  # a reviewer: no admin at all
    response = client.post(reverse("admin:reviews_run_embeddings"), {"workshop": workshop.pk})
    assert response.status_code in (302, 403, 404) and not TextEmbedding.objects.exists()


def test_imported_papers_are_encoded_in_the_task(
    world, workshop, chair, settings, django_capture_on_commit_callbacks
):
    from submissions.services.imports import submission_import_check, submissions_import_write_many

    settings.EXPERTISE_EMBEDDING_MODEL = COUNTING
    topic = workshop.topics.first()
    papers = [
        submission_import_check(
            workshop=workshop, chair=chair, number=50 + n, title=f"Imported {n}",
            abstract=f"Abstract {n}.", keywords="", topics=[topic], status=status,
            submitted_at=None, authors=[("Ann Author", f"ann{n}@example.org", "", True)],
        )
        for n, status in enumerate([SubmissionStatus.SUBMITTED, SubmissionStatus.DRAFT])
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        submissions_import_write_many(workshop=workshop, chair=chair, papers=papers)
    assert encoded == [paper_text("Imported 0", "Abstract 0.", "")]  # the draft waits
