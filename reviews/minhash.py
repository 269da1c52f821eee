"""Near-duplicate text by MinHash over word shingles, with LSH bands (no Django here).

A text becomes the set of its word 5-shingles (every run of five consecutive words, lower
case). Its signature keeps, for each of `PERMUTATIONS` hash functions, the smallest hash of
any shingle: two texts agree on a position with probability equal to the Jaccard
similarity of their shingle sets, so the share of equal positions estimates it.

The signature is cut into `BANDS` bands of `ROWS` positions; each band gives one key. Two
texts share at least one key with probability 1 - (1 - J^ROWS)^BANDS: about 95% at J=0.8
and 6% at J=0.5 with 16 bands of 8 rows. A store indexed by key then finds the candidates
for a new text with one lookup of its 16 keys, whatever the number of texts stored, and
only those candidates are compared.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np

SHINGLE = 5
PERMUTATIONS = 128
BANDS = 16
ROWS = PERMUTATIONS // BANDS
PRIME = (1 << 31) - 1  # a Mersenne prime: a * h + b stays below 2^63 for a, b, h < 2^31
WORD = re.compile(r"\w+", re.UNICODE)
# The estimated similarity from which a text counts as a near copy of another.
NEAR_COPY = 0.8


def _coefficients() -> tuple[np.ndarray, np.ndarray]:
    """The fixed hash functions h_i(x) = (a_i x + b_i) mod PRIME, derived from their index
    (the same on every machine and in every version, so stored signatures stay comparable)."""
    a, b = [], []
    for i in range(PERMUTATIONS):
        digest = hashlib.sha256(f"minhash:{i}".encode()).digest()
        a.append(int.from_bytes(digest[:8], "big") % (PRIME - 1) + 1)
        b.append(int.from_bytes(digest[8:16], "big") % PRIME)
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


A, B = _coefficients()


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def shingles(tokens: list[str], k: int = SHINGLE) -> set[str]:
    """Every run of `k` consecutive words; none for a text of fewer than `k` words."""
    return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def _hash32(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=4).digest(), "big")


def signature(shingle_set: Iterable[str]) -> list[int]:
    """The MinHash signature of a set of shingles ([] for an empty set)."""
    hashes = np.array([_hash32(s) % PRIME for s in shingle_set], dtype=np.uint64)
    if hashes.size == 0:
        return []
    values = (A[:, None] * hashes[None, :] + B[:, None]) % PRIME
    return [int(v) for v in values.min(axis=1)]


def band_keys(sig: list[int]) -> list[int]:
    """One signed 64-bit key per band (the band's index is part of the key, so equal rows
    in different bands never collide)."""
    if not sig:
        return []
    keys = []
    for band in range(BANDS):
        rows = sig[band * ROWS : (band + 1) * ROWS]
        raw = f"{band}:" + ",".join(map(str, rows))
        digest = hashlib.blake2b(raw.encode(), digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def similarity(one: list[int], other: list[int]) -> float:
    """The estimated Jaccard similarity of two signatures' shingle sets."""
    if not one or len(one) != len(other):
        return 0.0
    return sum(x == y for x, y in zip(one, other, strict=True)) / len(one)


def containment(part: set[str], whole: set[str]) -> float:
    """The share of `part`'s shingles found in `whole` (exact, for two small texts)."""
    if not part:
        return 0.0
    return len(part & whole) / len(part)
