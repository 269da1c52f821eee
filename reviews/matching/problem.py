"""Input validation and normalisation into flat edge arrays.

Every solver works on the same :class:`Instance`: the eligible (candidate, not
forbidden, not locked) pairs as three parallel numpy arrays, plus the locked
pairs and the demand/load vectors *after* subtracting the locks.  Doing this
once, vectorised, keeps the solvers free of input-format special cases and lets
them add arcs to the flow network in bulk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

MODES = ("max_total", "fair", "randomized")


@dataclass
class Instance:
    """A validated matching instance (see module docstring).

    ``ep``/``er``/``ea`` are the eligible non-locked pairs (paper, reviewer,
    affinity), sorted by paper then reviewer.  ``lp``/``lr``/``la`` are the
    locks that can be honoured; ``bad_locks`` are locks on forbidden pairs.
    ``rdemand``/``rmax``/``rmin`` are what remains for the free pairs once the
    honoured locks are counted (clipped at zero; the raw excesses are reported
    by the diagnosis).
    """

    n: int
    m: int
    ep: np.ndarray
    er: np.ndarray
    ea: np.ndarray
    lp: np.ndarray
    lr: np.ndarray
    la: np.ndarray
    bad_locks: np.ndarray
    demand: np.ndarray
    max_load: np.ndarray
    min_load: np.ndarray
    rdemand: np.ndarray
    rmax: np.ndarray
    rmin: np.ndarray

    @property
    def lock_per_paper(self) -> np.ndarray:
        """Number of honoured locks per paper."""
        return np.bincount(self.lp, minlength=self.n)

    @property
    def lock_per_reviewer(self) -> np.ndarray:
        """Number of honoured locks per reviewer."""
        return np.bincount(self.lr, minlength=self.m)


def wsum(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Float64 ``bincount`` with weights (numpy returns int64 for empty input)."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64)


def _int_vector(value: Any, size: int, name: str) -> np.ndarray:
    """Broadcast an int or per-item array to an int64 vector; reject bad values."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(size, arr.item())
    if arr.shape != (size,):
        raise ValueError(f"{name} must be an int or an array of length {size}, got {arr.shape}")
    whole = arr.dtype.kind in "iub" or (
        arr.dtype.kind == "f"
        and bool(np.all(np.isfinite(arr)))
        and bool(np.all(arr == np.round(arr)))
    )
    if not whole:
        raise ValueError(f"{name} must contain whole numbers")
    out = arr.astype(np.int64)
    if np.any(out < 0):
        raise ValueError(f"{name} must be non-negative")
    return out


def _matrix_keys(mat: Any, n: int, m: int, name: str) -> np.ndarray:
    """Sorted unique keys ``p * m + r`` of the true entries of a boolean matrix."""
    if sparse.issparse(mat):
        if mat.shape != (n, m):
            raise ValueError(f"{name} has shape {mat.shape}, expected {(n, m)}")
        coo = sparse.coo_matrix(mat)
        keep = coo.data != 0
        keys = coo.row[keep].astype(np.int64) * m + coo.col[keep]
        return np.unique(keys)
    arr = np.asarray(mat)
    if arr.shape != (n, m):
        raise ValueError(f"{name} has shape {arr.shape}, expected {(n, m)}")
    return np.flatnonzero(arr.astype(bool)).astype(np.int64)


def _lock_keys(locked: Any, n: int, m: int) -> np.ndarray:
    """Locks given as a boolean matrix or as (paper, reviewer) pairs -> sorted keys."""
    if locked is None:
        return np.zeros(0, dtype=np.int64)
    if sparse.issparse(locked):
        return _matrix_keys(locked, n, m, "locked")
    if isinstance(locked, np.ndarray) and locked.dtype == bool and locked.ndim == 2:
        return _matrix_keys(locked, n, m, "locked")
    pairs = np.asarray(list(locked) if isinstance(locked, Iterable) else locked)
    if pairs.size == 0:
        return np.zeros(0, dtype=np.int64)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iu":
        raise ValueError("locked must be (paper, reviewer) integer pairs or a boolean matrix")
    p, r = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    if np.any((p < 0) | (p >= n) | (r < 0) | (r >= m)):
        raise ValueError("locked pair index out of range")
    return np.unique(p * m + r)


def _candidates(affinity: Any) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Shape plus sorted candidate keys and their affinities (float64)."""
    if sparse.issparse(affinity):
        if affinity.ndim != 2:
            raise ValueError("affinity must be 2-D")
        # copy=True: canonicalising in place would mutate the caller's matrix.
        csr = sparse.csr_matrix(affinity, dtype=np.float64, copy=True)
        csr.sum_duplicates()
        csr.sort_indices()
        n, m = csr.shape
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr))
        keys = rows * m + csr.indices
        vals = csr.data
    else:
        arr = np.asarray(affinity, dtype=np.float64)
        if arr.ndim != 2:
            raise ValueError("affinity must be a 2-D papers x reviewers matrix")
        n, m = arr.shape
        keys = np.arange(n * m, dtype=np.int64)
        vals = arr.ravel()
    if not np.all(np.isfinite(vals)):
        raise ValueError("affinity contains NaN or infinite values")
    return n, m, keys, np.ascontiguousarray(vals)


def build_instance(
    affinity: Any,
    demand: Any,
    max_load: Any,
    min_load: Any = 0,
    forbidden: Any = None,
    locked: Any = None,
) -> Instance:
    """Validate the raw inputs of ``solve`` and flatten them into an :class:`Instance`.

    Raises:
        ValueError: on malformed input only (shapes, negative or fractional
            counts, NaN affinities, out-of-range locks).  Infeasibility is never
            an error here; it is diagnosed later.
    """
    n, m, keys, vals = _candidates(affinity)
    demand_v = _int_vector(demand, n, "demand")
    max_v = _int_vector(max_load, m, "max_load")
    min_v = _int_vector(min_load, m, "min_load")

    forb = (
        _matrix_keys(forbidden, n, m, "forbidden")
        if forbidden is not None
        else np.zeros(0, np.int64)
    )
    lock = _lock_keys(locked, n, m)

    bad = np.isin(lock, forb, assume_unique=True)
    good_lock = lock[~bad]
    # A lock on a pair that is not a candidate is still honoured (it is an
    # explicit decision by the chair); it just contributes zero affinity.
    lock_aff = np.zeros(len(good_lock))
    if len(keys):
        pos = np.minimum(np.searchsorted(keys, good_lock), len(keys) - 1)
        found = keys[pos] == good_lock
        lock_aff[found] = vals[pos[found]]

    drop = np.isin(keys, forb, assume_unique=True) | np.isin(keys, lock, assume_unique=True)
    keys, vals = keys[~drop], vals[~drop]

    lp, lr = (good_lock // m).astype(np.int32), (good_lock % m).astype(np.int32)
    lock_p = np.bincount(lp, minlength=n)
    lock_r = np.bincount(lr, minlength=m)
    return Instance(
        n=n,
        m=m,
        ep=(keys // m).astype(np.int32),
        er=(keys % m).astype(np.int32),
        ea=vals,
        lp=lp,
        lr=lr,
        la=lock_aff.astype(np.float64),
        bad_locks=np.stack([lock[bad] // m, lock[bad] % m], axis=1).astype(np.int64),
        demand=demand_v,
        max_load=max_v,
        min_load=min_v,
        rdemand=np.maximum(demand_v - lock_p, 0),
        rmax=np.maximum(max_v - lock_r, 0),
        rmin=np.clip(min_v - lock_r, 0, np.maximum(max_v - lock_r, 0)),
    )
