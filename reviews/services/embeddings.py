"""Text embeddings computed once and stored (issue 25): a vector per text and model.

`text_vectors_compute` encodes, in batches, the texts that have no vector yet for the model
and stores them (`TextEmbedding`, unique on text hash and model: two workers racing store
one row). It runs in a worker (`reviews.tasks.text_embeddings_task`) when a paper is
submitted, imported or its text edited (`papers_text_changed`, called by the submissions
app through `settings.SUBMISSION_TEXT_CHANGED`) and when a publication list or profile text
changes (`profile_texts_changed`), and for everything under review in the periodic sweep
(`embeddings_sweep`), which is also what recomputes every vector after the model changes.
`StoredModel` is what the bidding list and the matching build encode with: it reads stored
vectors and encodes (and stores) only what is missing, so a text is encoded once, ever.

The vectors are derived data, like a review copy: computing them writes no activity entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from workshop.outbox import task_enqueue

from ..expertise.embedding import EmbeddingModel, configured_model, text_hash
from ..models import TextEmbedding
from ..selectors.embeddings import (
    paper_texts,
    profile_texts,
    stored_hashes,
    stored_matrix,
    texts_under_review,
)

log = logging.getLogger(__name__)
STORE_BATCH = 256  # texts encoded and inserted together
SWEEP_LOCK = "embeddings-sweep"
SWEEP_SECONDS = 240.0  # one sweep's share of work; the next sweep goes on from there
TASK_IDS = 500  # ids per task: an import of 10,000 papers is 20 tasks


def text_vectors_compute(
    *, model: EmbeddingModel, texts: Iterable[str], deadline: float | None = None
) -> int:
    """Encode and store the vectors `model` lacks for `texts`, in batches; how many were
    stored. Stops between batches once `deadline` (a `time.monotonic()` value) is past.
    Idempotent: a vector stored meanwhile by another worker is kept, not duplicated."""
    by_hash = {text_hash(t): t for t in texts}
    have = stored_hashes(model.name, by_hash)
    missing = [(h, t) for h, t in by_hash.items() if h not in have]
    stored = 0
    for start in range(0, len(missing), STORE_BATCH):
        if deadline is not None and time.monotonic() > deadline:
            break
        batch = missing[start : start + STORE_BATCH]
        vectors = np.asarray(model.encode([t for _, t in batch]), dtype=np.float32)
        TextEmbedding.objects.bulk_create(
            [
                TextEmbedding(
                    text_hash=h, model=model.name, dimension=int(v.shape[0]), vector=v.tobytes()
                )
                for (h, _), v in zip(batch, vectors, strict=True)
            ],
            ignore_conflicts=True,
        )
        stored += len(batch)
    return stored


class StoredModel:
    """The configured model behind the vector store: `encode` reads the stored vectors and
    encodes (then stores) only the texts that have none, each distinct text once."""

    def __init__(self, model: EmbeddingModel) -> None:
        self.model = model
        self.name = model.name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, 1), dtype=np.float32)
        keys = [text_hash(t) for t in texts]
        out, missing = stored_matrix(self.name, keys)
        if missing:
            log.info("Encoding %d texts without a stored vector (%s).", len(missing), self.name)
            text_vectors_compute(model=self.model, texts=[texts[i] for i in missing])
            computed, _ = stored_matrix(self.name, [keys[i] for i in missing])
            assert computed is not None  # just stored
            if out is None:
                out = np.zeros((len(keys), computed.shape[1]), dtype=np.float32)
            out[missing] = computed
        assert out is not None
        return out


def papers_embed(submission_ids: Iterable[int]) -> int:
    """Store the vectors of these papers' texts (the configured model; 0 when none)."""
    model = configured_model()
    if model is None:
        return 0
    return text_vectors_compute(model=model, texts=paper_texts(submission_ids))


def profiles_embed(user_ids: Iterable[int]) -> int:
    """Store the vectors of these people's included publications and free texts."""
    model = configured_model()
    if model is None:
        return 0
    return text_vectors_compute(model=model, texts=profile_texts(user_ids))


def embeddings_sweep(seconds: float = SWEEP_SECONDS) -> int:
    """Store the vectors still missing for everything under review, for about `seconds`
    (the next sweep goes on); one sweep at a time. After a model change this recomputes
    every vector in the background; the chairs' assignment page shows the progress."""
    model = configured_model()
    if model is None or not cache.add(SWEEP_LOCK, 1, timeout=int(seconds) + 60):
        return 0
    try:
        return text_vectors_compute(
            model=model, texts=texts_under_review(), deadline=time.monotonic() + seconds
        )
    finally:
        cache.delete(SWEEP_LOCK)


def _enqueue_after_commit(kind: str, ids: list[int]) -> None:
    if not (settings.EXPERTISE_EMBEDDING_MODEL or "").strip() or not ids:
        return
    from ..tasks import text_embeddings_task

    def publish() -> None:
        for start in range(0, len(ids), TASK_IDS):
            if not task_enqueue(text_embeddings_task, kind, ids[start : start + TASK_IDS]):
                return  # the broker is down: the sweep (or the first read) computes them

    transaction.on_commit(publish)


def papers_text_changed(submission_ids: list[int]) -> None:
    """Papers were submitted, restored, imported or their text edited: their vectors are
    computed in a worker once the change commits (nothing when no model is configured)."""
    _enqueue_after_commit("papers", list(submission_ids))


def profile_texts_changed(user_id: int) -> None:
    """A publication list or profile text changed: its new texts' vectors are computed in a
    worker once the change commits (nothing when no model is configured)."""
    _enqueue_after_commit("profiles", [user_id])


def embeddings_sweep_request() -> bool:
    """Ask a worker for a sweep now (a chair's button); False when the broker is down."""
    from ..tasks import embeddings_sweep_task

    return task_enqueue(embeddings_sweep_task)
