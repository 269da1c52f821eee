"""Benchmark of ``reviews.matching.solve`` on seeded synthetic instances.

Run ``python bench/matching.py [--sizes S,M,L] [--modes max_total,fair,randomized]``.
Every (size, mode) runs in a fresh subprocess so its peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``, read right after the solve and before any
verification LP) is an honest figure for generation + solve.  Each case prints
one JSON line; the randomized marginal check on S prints its own line.

Instances: papers and reviewers get unit topic vectors around a few cluster
centres; paper and reviewer cluster sizes follow *different* Dirichlet draws so
some topics have too few reviewers (that contention is what makes fair mode
matter).  Affinity = max(cosine, 0) * 0.9 + N(0, 0.05) noise, clipped to [0, 1];
each paper keeps its top-k reviewers (scipy CSR) and 2% of those candidate
pairs become conflicts (forbidden).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from reviews.matching import Result, sample_assignment, solve  # noqa: E402
from reviews.matching.lp import max_total_bound  # noqa: E402
from reviews.matching.problem import build_instance  # noqa: E402


@dataclass(frozen=True)
class Size:
    """Parameters of one instance size (capacity / demand ~ 1.33 everywhere)."""

    papers: int
    reviewers: int
    demand: int
    max_load: int
    top_k: int
    topics: int


SIZES = {
    "S": Size(200, 100, 3, 8, 50, 8),
    "M": Size(2_000, 800, 3, 10, 100, 15),
    "L": Size(10_000, 5_000, 3, 8, 200, 30),
}
MODES = ("max_total", "fair", "randomized")
PROB_CAP = 0.5
CHECK_SAMPLES = 1_000


def generate(size: Size, seed: int = 0) -> dict:
    """A seeded instance: CSR affinity (top-k per paper), CSR forbidden, demand, max_load."""
    rng = np.random.default_rng(seed)
    dim = 32
    centres = rng.normal(size=(size.topics, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def members(count: int, alpha: float, spread: float) -> np.ndarray:
        share = rng.dirichlet(np.full(size.topics, alpha))
        topic = rng.choice(size.topics, size=count, p=share)
        vec = centres[topic] + spread * rng.normal(size=(count, dim)) / np.sqrt(dim)
        return vec / np.linalg.norm(vec, axis=1, keepdims=True)

    papers = members(size.papers, 2.0, 0.9)
    reviewers = members(size.reviewers, 2.0, 0.9)
    rows, cols, vals = [], [], []
    chunk = 1_000  # bounds the dense similarity block to chunk x reviewers floats
    for lo in range(0, size.papers, chunk):
        block = np.maximum(papers[lo : lo + chunk] @ reviewers.T, 0.0) * 0.9
        block = np.clip(block + rng.normal(0.0, 0.05, size=block.shape), 0.0, 1.0)
        top = np.argpartition(-block, size.top_k - 1, axis=1)[:, : size.top_k]
        rows.append(np.repeat(np.arange(lo, lo + len(block)), size.top_k))
        cols.append(top.ravel())
        vals.append(np.take_along_axis(block, top, axis=1).ravel())
    shape = (size.papers, size.reviewers)
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    affinity = sparse.csr_matrix((v, (r, c)), shape=shape)
    conflict = rng.random(len(r)) < 0.02
    forbidden = sparse.csr_matrix(
        (np.ones(conflict.sum(), dtype=bool), (r[conflict], c[conflict])), shape=shape
    )
    return {
        "affinity": affinity,
        "forbidden": forbidden,
        "demand": size.demand,
        "max_load": size.max_load,
    }


def _peak_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(size_name: str, mode: str) -> dict:
    """Generate, solve once and measure; LP bounds are computed after the peak is read."""
    size = SIZES[size_name]
    inst = generate(size)
    kwargs = {"prob_cap": PROB_CAP, "seed": 0} if mode == "randomized" else {}
    t0 = time.perf_counter()
    res: Result = solve(
        inst["affinity"],
        demand=inst["demand"],
        max_load=inst["max_load"],
        forbidden=inst["forbidden"],
        mode=mode,
        **kwargs,
    )
    seconds = time.perf_counter() - t0
    peak = _peak_mb()
    out = {
        "size": size_name,
        "mode": mode,
        "papers": size.papers,
        "reviewers": size.reviewers,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak, 1),
        "feasible": res.feasible,
        "status": res.status,
        "total_affinity": round(res.total_affinity, 6),
        "min_paper_sum": round(res.min_paper_sum, 6),
    }
    if size_name in ("S", "M"):
        built = build_instance(
            inst["affinity"], inst["demand"], inst["max_load"], 0, inst["forbidden"], None
        )
        # Randomized mode is measured against its own (capped) LP: its expected
        # affinity must equal that optimum; the others against the plain LP.
        cap = res.prob_cap if mode == "randomized" and res.prob_cap else 1.0
        bound = max_total_bound(built, cap=cap)
        out["lp_bound"] = None if bound is None else round(bound, 6)
        if bound is not None:
            value = res.expected_total if mode == "randomized" else res.total_affinity
            out["gap"] = (bound - value) / abs(bound) if bound else 0.0
    if mode == "fair":
        out["fair_floor_bound"] = res.fair_floor_bound
        out["max_total_min_paper_sum"] = round(res.baseline_min_paper_sum or 0.0, 6)
        out["max_total_total_affinity"] = round(res.baseline_total or 0.0, 6)
        if res.baseline_total:
            out["total_loss_rel"] = (res.baseline_total - res.total_affinity) / res.baseline_total
    if mode == "randomized":
        assert res.marginals is not None
        out["prob_cap"] = res.prob_cap
        out["max_pair_probability"] = float(res.marginals.max())
        out["expected_total"] = round(res.expected_total or 0.0, 6)
    return out


def marginal_check(size_name: str = "S", samples: int = CHECK_SAMPLES) -> dict:
    """Largest |empirical frequency - marginal| in standard errors over seeded samples."""
    inst = generate(SIZES[size_name])
    t0 = time.perf_counter()
    res = solve(
        inst["affinity"],
        demand=inst["demand"],
        max_load=inst["max_load"],
        forbidden=inst["forbidden"],
        mode="randomized",
        prob_cap=PROB_CAP,
        seed=0,
    )
    assert res.marginals is not None
    n, m = res.marginals.shape
    counts = np.zeros(n * m)
    for s in range(samples):
        pairs = sample_assignment(res, seed=s)
        counts[pairs[:, 0] * m + pairs[:, 1]] += 1
    coo = res.marginals.tocoo()
    x = coo.data
    keys = coo.row.astype(np.int64) * m + coo.col
    frac = (x > 0) & (x < 1)
    se = np.sqrt(x[frac] * (1 - x[frac]) / samples)
    z = np.abs(counts[keys[frac]] / samples - x[frac]) / se
    outside = np.ones(n * m, dtype=bool)
    outside[keys] = False
    return {
        "check": "randomized_marginals",
        "size": size_name,
        "samples": samples,
        "fractional_pairs": int(frac.sum()),
        "max_abs_z": round(float(z.max()), 3) if len(z) else 0.0,
        "pairs_beyond_5se": int((z > 5).sum()),
        "never_sampled_outside_support": bool(counts[outside].sum() == 0),
        "prob_cap": res.prob_cap,
        "max_pair_probability": float(x.max()),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def main(argv: list[str] | None = None) -> None:
    """Spawn one subprocess per case (fresh RSS) and relay its JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="S,M,L")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--case", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    ap.add_argument("--samples", type=int, default=CHECK_SAMPLES)
    args = ap.parse_args(argv)
    if args.case:
        size_name, mode = args.case
        row = marginal_check(size_name, args.samples) if mode == "check" else run_case(*args.case)
        print(json.dumps(row), flush=True)
        return
    sizes = [s for s in args.sizes.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    for name in sizes + modes:
        if name not in SIZES and name not in MODES:
            ap.error(f"unknown size or mode {name!r}")
    cases = [(s, m) for s in sizes for m in modes]
    if "S" in sizes and "randomized" in modes:
        cases.append(("S", "check"))
    for size_name, mode in cases:
        cmd = [sys.executable, os.path.abspath(__file__), "--case", size_name, mode]
        cmd += ["--samples", str(args.samples)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            row = {"size": size_name, "mode": mode, "error": proc.stderr.strip()[-2000:]}
            print(json.dumps(row), flush=True)
        else:
            print(proc.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
