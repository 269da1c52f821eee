"""An optional sentence-embedding model, off by default, never downloaded.

A deployer points `EXPERTISE_EMBEDDING_MODEL` at what they installed themselves:
- a sentence-transformers model directory (`modules.json`, `1_Pooling/`, `tokenizer.json`,
  ...): run with onnxruntime when it holds an ONNX export (`model.onnx` or
  `onnx/model.onnx`) and onnxruntime and tokenizers are installed, else with the
  sentence-transformers package when that is installed;
- a directory with an ONNX export and its tokenizer (`model.onnx` + `tokenizer.json`, e.g. of
  SPECTER2), read with onnxruntime and tokenizers; or
- "python:<module>:<attribute>", a factory (or object) with the `EmbeddingModel` interface.
Nothing is ever fetched from a model hub: the hub libraries are told to stay offline and
only local files are read. With the setting empty (the default) `load_model()` returns None
and nothing changes.

Every text is encoded once per model: `load_model()` gives the configured model behind the
database's vector store (`reviews.services.embeddings`), so the bidding list and the
matching build read stored vectors and only a text never seen before is encoded. A
directory model's name carries a fingerprint of its weights, so replacing the files is a
new model whose vectors are computed again.

The score of a reviewer for a paper is the cosine of the paper's embedding with the mean of
the (unit) embeddings of the reviewer's included publications, clipped to [0, 1]; the
selectors mix it with the text and topic scores (`reviews.affinity.fit_scores`).
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from scipy import sparse

# Hub libraries (huggingface_hub, transformers, sentence-transformers) read these: with them
# set, a missing file is an error instead of a download.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
ENCODE_BATCH = 32


@runtime_checkable
class EmbeddingModel(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text (any width), float, in a new array (the caller may change it)."""
        ...


class EmbeddingConfigError(RuntimeError):
    pass


def text_hash(text: str) -> str:
    """The key of a text's vector: SHA-256 of exactly the text encoded."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _unit(rows: np.ndarray, *, inplace: bool = False) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    if inplace:
        rows /= norms
        return rows
    return rows / norms


def _fingerprint(directory: Path, weights: Path) -> str:
    """The directory's name and a digest of its weights (a replaced model is a new one)."""
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{directory.name[:150]}@{digest.hexdigest()[:16]}"


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _pooling(directory: Path) -> str:
    """A sentence-transformers directory's pooling ("mean" when it says none)."""
    config = _json(directory / "1_Pooling" / "config.json")
    if config.get("pooling_mode_cls_token"):
        return "cls"
    if config.get("pooling_mode_max_tokens"):
        return "max"
    return "mean"


def onnx_file(directory: Path) -> Path | None:
    for candidate in (directory / "model.onnx", directory / "onnx" / "model.onnx"):
        if candidate.is_file():
            return candidate
    return None


class OnnxModel:
    """A local ONNX sentence encoder: the tokenizer's ids through the exported transformer,
    pooled as the directory's sentence-transformers config says (mean by default)."""

    def __init__(self, directory: Path, max_length: int | None = None) -> None:
        try:
            import onnxruntime  # type: ignore[import-not-found]
            from tokenizers import Tokenizer  # type: ignore[import-not-found]
        except ImportError as exc:
            raise EmbeddingConfigError(
                "EXPERTISE_EMBEDDING_MODEL names an ONNX model, but onnxruntime and "
                "tokenizers are not installed (pip install onnxruntime tokenizers)."
            ) from exc
        weights = onnx_file(directory)
        if weights is None or not (directory / "tokenizer.json").is_file():
            raise EmbeddingConfigError(
                f"{directory} needs model.onnx (or onnx/model.onnx) and tokenizer.json."
            )
        self.name = _fingerprint(directory, weights)
        self.pooling = _pooling(directory)
        length = max_length or _json(directory / "sentence_bert_config.json").get(
            "max_seq_length", 256
        )
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            str(weights), options, providers=["CPUExecutionProvider"]
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(length))
        pad = self.tokenizer.padding or {}
        pad_token = pad.get("pad_token") or "[PAD]"
        pad_id = self.tokenizer.token_to_id(pad_token)
        self.tokenizer.enable_padding(
            pad_id=pad_id if pad_id is not None else 0, pad_token=pad_token
        )

    def _batch(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        results = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})
        if "sentence_embedding" in self.outputs:  # an export with its pooling inside
            return np.asarray(results[self.outputs.index("sentence_embedding")], np.float32)
        hidden = np.asarray(results[0], dtype=np.float32)
        if self.pooling == "cls":
            return hidden[:, 0]
        if self.pooling == "max":
            return np.where(mask[..., None] > 0, hidden, -np.inf).max(axis=1)
        return (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [t or "" for t in texts]
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        # batches of similar length: little padding to compute
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        rows: list[np.ndarray] = []
        for start in range(0, len(order), ENCODE_BATCH):
            rows.append(self._batch([texts[i] for i in order[start : start + ENCODE_BATCH]]))
        out = np.empty((len(texts), rows[0].shape[1]), dtype=np.float32)
        out[order] = np.vstack(rows)
        return out


class SentenceTransformerModel:
    """A local sentence-transformers directory run by that package (torch), offline."""

    def __init__(self, directory: Path) -> None:
        os.environ.update(OFFLINE_ENV)
        try:
            from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
        except ImportError as exc:
            raise EmbeddingConfigError(
                f"{directory} is a sentence-transformers model without an ONNX export: install "
                "sentence-transformers, or put an ONNX export (onnx/model.onnx) beside it and "
                "install onnxruntime and tokenizers."
            ) from exc
        weights = next(
            (p for p in (directory / "model.safetensors", directory / "pytorch_model.bin")
             if p.is_file()),
            None,
        )  # fmt: skip
        if weights is None:
            raise EmbeddingConfigError(f"No model weights in {directory}.")
        self.name = _fingerprint(directory, weights)
        self.model = SentenceTransformer(str(directory), device="cpu", local_files_only=True)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(
            self.model.encode(list(texts), batch_size=ENCODE_BATCH, convert_to_numpy=True),
            dtype=np.float32,
        )


def model_from_setting(value: str) -> EmbeddingModel | None:
    """The model the setting names, loaded from local files only (None when empty)."""
    value = (value or "").strip()
    if not value:
        return None
    os.environ.update(OFFLINE_ENV)
    if value.startswith("python:"):
        _, module, attribute = value.split(":", 2)
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, type) or (callable(found) and not isinstance(found, EmbeddingModel)):
            found = found()  # a class or a factory
        model = found
        if not isinstance(model, EmbeddingModel):
            raise EmbeddingConfigError(f"{value} does not give an object with encode().")
        return model
    path = Path(value).expanduser()
    if not path.is_dir():
        raise EmbeddingConfigError(
            f"EXPERTISE_EMBEDDING_MODEL: {path} is not a directory (a sentence-transformers "
            "model directory or an ONNX export with tokenizer.json)."
        )
    if onnx_file(path) is not None:
        try:
            return OnnxModel(path)
        except EmbeddingConfigError:
            if not (path / "modules.json").is_file():
                raise
    if (path / "modules.json").is_file():
        return SentenceTransformerModel(path)
    raise EmbeddingConfigError(
        f"No model.onnx (or onnx/model.onnx) and no modules.json in {path} "
        "(EXPERTISE_EMBEDDING_MODEL)."
    )


@functools.lru_cache(maxsize=4)
def _cached(value: str) -> EmbeddingModel | None:
    return model_from_setting(value)


def configured_model() -> EmbeddingModel | None:
    """The configured model itself (loaded once per process), or None when none is."""
    from django.conf import settings

    return _cached(getattr(settings, "EXPERTISE_EMBEDDING_MODEL", "") or "")


def load_model() -> EmbeddingModel | None:
    """The configured model behind the stored vectors (each text encoded once, ever), or
    None when no model is configured. What the bidding list and the matching build use."""
    model = configured_model()
    if model is None:
        return None
    from ..services.embeddings import StoredModel

    return StoredModel(model)


def embedding_scores(
    model: EmbeddingModel, paper_texts: Sequence[str], profiles: Sequence[Sequence[str]]
) -> np.ndarray:
    """Cosine of each paper with each reviewer's mean publication embedding, in [0, 1]
    (papers x reviewers; reviewers without publications get zeros)."""
    flat = [t for docs in profiles for t in docs]
    if not paper_texts or not flat:
        return np.zeros((len(paper_texts), len(profiles)), dtype=np.float32)
    papers = _unit(model.encode(list(paper_texts)), inplace=True)  # fresh arrays: no copies
    docs = _unit(model.encode(flat), inplace=True)
    owner = np.repeat(np.arange(len(profiles)), [len(texts) for texts in profiles])
    gather = sparse.csr_matrix(
        (np.ones(len(flat), dtype=np.float32), (owner, np.arange(len(flat)))),
        shape=(len(profiles), len(flat)),
    )
    centroids = np.asarray(gather @ docs)  # the sum has the mean's direction
    del docs, gather  # before the papers x reviewers matrix is made
    result = papers @ _unit(centroids, inplace=True).T  # 10,000 x 5,000: 200 MB, made once
    return np.clip(result, 0.0, 1.0, out=result)
