"""Plain-English explanations of why an instance cannot be solved.

Two kinds of checks:

* :func:`precheck` -- counting arguments that are cheap to vectorise: a paper
  with fewer eligible reviewers than its demand, total demand above total
  capacity, a min load above a reviewer's eligible papers, min loads summing
  above total demand, and bad locks.  Each names the paper/reviewer by index
  and gives the numbers, so a chair can act on it.
* :func:`explain_shortfall` -- run on the best partial flow when the counting
  checks found nothing: it extracts a Hall violator (a set of papers whose
  eligible reviewers are all saturated) from the residual graph of the maximum
  flow, which is the certificate that no assignment can do better.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from .problem import Instance, wsum

MAX_LINES = 20  # per kind of problem; a 10,000-paper instance would drown the reader


def _fmt(x: float) -> str:
    """Counts print as ints, fractional capacities with up to 4 decimals."""
    return str(round(x)) if abs(x - round(x)) < 1e-9 else f"{x:.4g}"


def _limited(lines: list[str], noun: str) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more {noun}."]


def precheck(inst: Instance, prob_cap: float | None = None) -> list[str]:
    """Counting checks that prove infeasibility (empty list: none found).

    With ``prob_cap`` (randomized mode) a free pair carries at most ``prob_cap``
    of a review, so eligibility counts are weighted by it.
    """
    out: list[str] = []
    n, m = inst.n, inst.m
    cap = 1.0 if prob_cap is None else prob_cap
    lock_p, lock_r = inst.lock_per_paper, inst.lock_per_reviewer

    for p, r in inst.bad_locks:
        out.append(
            f"Locked pair (paper {p}, reviewer {r}) is forbidden (conflict of interest), "
            "so the lock cannot be honoured."
        )
    lines = [
        f"Paper {p} has {lock_p[p]} locked reviewers but its demand is only {inst.demand[p]}."
        for p in np.flatnonzero(lock_p > inst.demand)
    ]
    out += _limited(lines, "papers with too many locks")
    lines = [
        f"Reviewer {r} has {lock_r[r]} locked papers but max load {inst.max_load[r]}."
        for r in np.flatnonzero(lock_r > inst.max_load)
    ]
    out += _limited(lines, "reviewers with too many locks")

    free_p = np.bincount(inst.ep, minlength=n)
    elig_p = free_p + lock_p
    room_p = free_p * cap + lock_p
    short = np.flatnonzero(room_p < inst.demand - 1e-9)
    lines = []
    for p in short:
        if elig_p[p] < inst.demand[p] or cap == 1.0:
            lines.append(
                f"Paper {p} has only {elig_p[p]} eligible reviewers but needs "
                f"{inst.demand[p]} (short by {inst.demand[p] - elig_p[p]})."
            )
        else:
            lines.append(
                f"Paper {p} has {elig_p[p]} eligible reviewers; with prob_cap {cap:g} they "
                f"cover at most {_fmt(room_p[p])} expected reviews but it needs {inst.demand[p]}."
            )
    out += _limited(lines, "papers with too few eligible reviewers")

    total_demand, total_cap = int(inst.demand.sum()), int(inst.max_load.sum())
    if total_demand > total_cap:
        out.append(
            f"Not enough capacity: total demand is {total_demand} reviews but the total "
            f"capacity (sum of max loads) is {total_cap}, so {total_demand - total_cap} "
            "review slots are missing."
        )

    lines = [
        f"Reviewer {r} has min load {inst.min_load[r]} above its max load {inst.max_load[r]}."
        for r in np.flatnonzero(inst.min_load > inst.max_load)
    ]
    out += _limited(lines, "reviewers with min load above max load")
    free_r = np.bincount(inst.er, minlength=m)
    elig_r = free_r + lock_r
    room_r = free_r * cap + lock_r
    lines = []
    for r in np.flatnonzero(room_r < np.minimum(inst.min_load, inst.max_load) - 1e-9):
        extra = "" if cap == 1.0 else f" (with prob_cap {cap:g}: at most {_fmt(room_r[r])})"
        lines.append(
            f"Reviewer {r} has min load {inst.min_load[r]} but only {elig_r[r]} eligible "
            f"papers{extra}, so the min load cannot be met."
        )
    out += _limited(lines, "reviewers whose min load cannot be met")
    total_min = int(inst.min_load.sum())
    if total_min > total_demand:
        out.append(
            f"The min loads cannot all be met: they sum to {total_min} reviews but the "
            f"total demand is only {total_demand} (excess {total_min - total_demand})."
        )
    return out


def explain_shortfall(inst: Instance, x: np.ndarray, unit: int, cap: int) -> list[str]:
    """Explain a partial flow ``x`` (units of ``1/unit``) that misses demand or min loads.

    For unmet demand: papers reachable in the residual graph from a short paper
    (paper->reviewer on unsaturated pairs, reviewer->paper on used pairs) form
    a set whose eligible reviewers are all at max load -- a Hall violator.
    """
    n, m = inst.n, inst.m
    got_p = wsum(inst.ep, x, n) / unit
    load = wsum(inst.er, x, m) / unit
    unmet = inst.rdemand - got_p
    out: list[str] = []
    short = np.flatnonzero(unmet > 1e-9)
    if len(short):
        fwd = x < cap
        back = x > 0
        rows = np.concatenate([inst.ep[fwd], n + inst.er[back], np.full(len(short), n + m)])
        cols = np.concatenate([n + inst.er[fwd], inst.ep[back], short])
        g = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + m + 1, n + m + 1))
        reach = csgraph.breadth_first_order(g, n + m, directed=True, return_predecessors=False)
        papers = np.sort(reach[reach < n])
        revs = np.sort(reach[(reach >= n) & (reach < n + m)] - n)
        need = inst.rdemand[papers].sum()
        shown = ", ".join(str(p) for p in papers[:MAX_LINES])
        more = f" and {len(papers) - MAX_LINES} more" if len(papers) > MAX_LINES else ""
        # Every pair from these papers to a reviewer outside ``revs`` is already
        # full and ``revs`` are all at max load, so ``got`` is the most they can get.
        got = got_p[papers].sum()
        out.append(
            f"Papers {shown}{more} need {need} reviews between them (after locks), but the "
            f"reviewers eligible for them ({len(revs)} of whom are at max load) can supply "
            f"at most {_fmt(got)}; {_fmt(unmet.sum())} reviews cannot be placed."
        )
        lines = [
            f"Paper {p} gets only {_fmt(got_p[p] + inst.lock_per_paper[p])} of the "
            f"{inst.demand[p]} reviews it needs."
            for p in short
        ]
        out += _limited(lines, "papers left short")
    lines = [
        f"Reviewer {r} can get only {_fmt(load[r] + inst.lock_per_reviewer[r])} reviews, "
        f"below its min load of {inst.min_load[r]}."
        for r in np.flatnonzero(load < inst.rmin - 1e-9)
    ]
    return out + _limited(lines, "reviewers below their min load")
