"""An optional sentence-embedding model, off by default, never downloaded.

A deployer points `EXPERTISE_EMBEDDING_MODEL` at what they installed themselves:
- a directory with `model.onnx` and `tokenizer.json` (e.g. an ONNX export of SPECTER2),
  read with onnxruntime and tokenizers when those packages are installed; or
- "python:<module>:<attribute>", a factory (or object) with the `EmbeddingModel` interface.
With the setting empty (the default) `load_model()` returns None and nothing changes.

The score of a reviewer for a paper is the cosine of the paper's embedding with the mean of
the (unit) embeddings of the reviewer's included publications, clipped to [0, 1]; the
selectors mix it with the text and topic scores (`reviews.affinity.fit_scores`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class EmbeddingModel(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (any width), float."""
        ...


class EmbeddingConfigError(RuntimeError):
    pass


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms == 0, 1.0, norms)


class OnnxModel:
    """A local ONNX sentence encoder (mean pooling over the last hidden state)."""

    def __init__(self, directory: Path, max_length: int = 256) -> None:
        try:
            import onnxruntime  # type: ignore[import-not-found]
            from tokenizers import Tokenizer  # type: ignore[import-not-found]
        except ImportError as exc:
            raise EmbeddingConfigError(
                "EXPERTISE_EMBEDDING_MODEL names an ONNX model, but onnxruntime and "
                "tokenizers are not installed."
            ) from exc
        self.name = directory.name
        self.session = onnxruntime.InferenceSession(str(directory / "model.onnx"))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding()

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - needs a model
        out = []
        inputs = {i.name for i in self.session.get_inputs()}
        for start in range(0, len(texts), 32):
            batch = self.tokenizer.encode_batch(list(texts[start : start + 32]))
            ids = np.array([b.ids for b in batch], dtype=np.int64)
            mask = np.array([b.attention_mask for b in batch], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in inputs})[0]
            pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            out.append(pooled)
        return np.vstack(out) if out else np.zeros((0, 1), dtype=np.float32)


def model_from_setting(value: str) -> EmbeddingModel | None:
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("python:"):
        _, module, attribute = value.split(":", 2)
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, type) or (callable(found) and not isinstance(found, EmbeddingModel)):
            found = found()  # a class or a factory
        model = found
        if not isinstance(model, EmbeddingModel):
            raise EmbeddingConfigError(f"{value} does not give an object with encode().")
        return model
    path = Path(value)
    if not (path / "model.onnx").is_file():
        raise EmbeddingConfigError(f"No model.onnx in {path} (EXPERTISE_EMBEDDING_MODEL).")
    return OnnxModel(path)


@functools.lru_cache(maxsize=4)
def _cached(value: str) -> EmbeddingModel | None:
    return model_from_setting(value)


def load_model() -> EmbeddingModel | None:
    """The configured model (loaded once per process), or None when none is configured."""
    from django.conf import settings

    return _cached(getattr(settings, "EXPERTISE_EMBEDDING_MODEL", "") or "")


def embedding_scores(
    model: EmbeddingModel, paper_texts: Sequence[str], profiles: Sequence[Sequence[str]]
) -> np.ndarray:
    """Cosine of each paper with each reviewer's mean publication embedding, in [0, 1]
    (papers x reviewers; reviewers without publications get zeros)."""
    result = np.zeros((len(paper_texts), len(profiles)), dtype=np.float32)
    flat = [t for docs in profiles for t in docs]
    if not paper_texts or not flat:
        return result
    papers = _unit(model.encode(list(paper_texts)))
    docs = _unit(model.encode(flat))
    centroids = np.zeros((len(profiles), docs.shape[1]), dtype=np.float32)
    start = 0
    for j, texts in enumerate(profiles):
        if texts:
            centroids[j] = docs[start : start + len(texts)].mean(axis=0)
        start += len(texts)
    result[:] = papers @ _unit(centroids).T
    return np.clip(result, 0.0, 1.0)
