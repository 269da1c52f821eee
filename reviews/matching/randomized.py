"""Randomized mode: capped fractional optimum + bipartite dependent rounding.

The fractional programme (max expected affinity, every free pair's probability
at most ``prob_cap = k/D``) is a flow problem with all capacities multiplied by
``D``: demands ``D*demand``, loads ``D*[min, max]``, pair arcs capacity ``k``.
Its integral optimum divided by ``D`` is therefore an exact optimum of the LP,
and every marginal is a multiple of ``1/D`` -- which lets the sampler below work
in exact integer arithmetic (numerators over ``D``).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

# Largest denominator used to express the cap exactly; caps that are not within
# 1e-12 of a fraction with a denominator up to this are rounded *down* to 1e-6.
MAX_DENOMINATOR = 1000
FINE_DENOMINATOR = 10**6


def cap_fraction(prob_cap: float) -> tuple[int, int]:
    """``(k, D)`` with ``k/D == prob_cap`` (or the largest k/1e6 not above it)."""
    frac = Fraction(prob_cap).limit_denominator(MAX_DENOMINATOR)
    if abs(float(frac) - prob_cap) <= 1e-12 * prob_cap:
        return frac.numerator, frac.denominator
    return max(1, int(np.floor(prob_cap * FINE_DENOMINATOR))), FINE_DENOMINATOR


def dependent_rounding(
    ep: np.ndarray,
    er: np.ndarray,
    num: np.ndarray,
    denom: int,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Round marginals ``num / denom`` on bipartite edges (ep, er) to a 0/1 vector.

    Gandhi, Khuller, Parthasarathy & Srinivasan (J. ACM 2006), "Dependent
    rounding and its applications to approximation algorithms".  While some
    edge is fractional, find either a cycle or a *maximal* path of fractional
    edges, split it into the alternate edge sets M1 and M2, and with
    probability ``beta/(alpha+beta)`` move ``+alpha`` on M1 and ``-alpha`` on M2,
    otherwise ``-beta`` on M1 and ``+beta`` on M2, where alpha and beta are the
    largest steps keeping every value in [0, 1].  Each step makes at least one
    edge integral and leaves every edge's expectation unchanged
    (``beta/(a+b)*alpha - alpha/(a+b)*beta = 0``), so the final 0/1 value of each
    edge has exactly its fractional value as probability.  Interior vertices of
    the cycle/path keep their degree exactly; an endpoint of a maximal path has
    a single fractional edge, which a vertex with integral fractional degree
    (every paper) cannot have -- so papers keep their demand and reviewers end
    at the floor or ceiling of their fractional load.

    The walk keeps its stack between steps (after a cycle is rounded, only the
    part of the cycle after its first newly integral edge is popped), and each
    step is one vectorised numpy update of the cycle, so the work is about the
    total length of the rounded cycles.  With the benchmark's cap 1/2 every
    cycle resolves completely in one step; generic caps (large ``D``) need
    about one step per fractional edge.

    Returns:
        Boolean array, True for the edges sampled into the assignment.
    """
    val = num.astype(np.int64)
    out = val >= denom
    frac_ids = np.flatnonzero((val > 0) & (val < denom))
    if len(frac_ids) == 0:
        return out
    # Node ids: papers 0..n-1, reviewers n+r.  Python lists: the walk is
    # inherently sequential and list indexing is far cheaper than numpy scalars.
    eu = ep[frac_ids].astype(np.int64)
    ev = er[frac_ids].astype(np.int64) + n
    npvals = val[frac_ids].copy()
    nodes = n + int(er.max()) + 1
    ends_u, ends_v = eu.tolist(), ev.tolist()
    order = np.argsort(np.concatenate([eu, ev]), kind="stable")
    inc = np.concatenate([np.arange(len(eu)), np.arange(len(eu))])[order]
    starts = np.searchsorted(np.concatenate([eu, ev])[order], np.arange(nodes + 1))
    adj = inc.tolist()
    ptr = starts[:-1].tolist()
    end = starts[1:].tolist()
    fdeg = np.diff(starts).tolist()
    alive = [True] * len(npvals)
    queue = [v for v in range(nodes) if fdeg[v] == 1]
    scan = 0  # global pointer for start vertices once no degree-1 vertex is left

    def next_edge(u: int, exclude: int) -> int:
        i = ptr[u]
        while i < end[u] and not alive[adj[i]]:
            i += 1
        ptr[u] = i
        while i < end[u]:
            e = adj[i]
            if alive[e] and e != exclude:
                return e
            i += 1
        return -1

    sign_cache: dict[int, np.ndarray] = {}

    def shift(edges: list[int]) -> None:
        idx = np.asarray(edges)
        sign = sign_cache.get(len(edges))
        if sign is None:
            sign = np.ones(len(edges), dtype=np.int64)
            sign[1::2] = -1
            sign_cache[len(edges)] = sign
        v = npvals[idx]
        up = np.where(sign > 0, denom - v, v)  # room to move in the "+alpha" direction
        down = np.where(sign > 0, v, denom - v)
        alpha, beta = int(up.min()), int(down.min())
        # +alpha with probability beta/(alpha+beta): zero expected change.
        step = alpha if rng.random() * (alpha + beta) < beta else -beta
        v = v + step * sign
        npvals[idx] = v
        for e in idx[(v == 0) | (v == denom)].tolist():
            alive[e] = False
            for x in (ends_u[e], ends_v[e]):
                fdeg[x] -= 1
                if fdeg[x] == 1:
                    queue.append(x)

    while True:
        start, anchored = -1, False
        while queue:
            v = queue.pop()
            if fdeg[v] == 1:
                start, anchored = v, True
                break
        if start < 0:
            while scan < nodes and fdeg[scan] == 0:
                scan += 1
            if scan == nodes:
                break
            start = scan
        stack, estack, pos = [start], [-1], {start: 0}
        while stack:
            u = stack[-1]
            e = next_edge(u, estack[-1])
            if e < 0:
                if len(stack) == 1:
                    break
                if not anchored:
                    # The bottom may still have other fractional edges: restart
                    # the walk from this dead end so the path becomes maximal.
                    stack.reverse()
                    estack = [-1, *estack[1:][::-1]]
                    pos = {v: i for i, v in enumerate(stack)}
                    anchored = True
                    continue
                shift(estack[1:])
                break
            w = ends_v[e] if ends_u[e] == u else ends_u[e]
            if w in pos:
                i = pos[w]
                cyc = [*estack[i + 1 :], e]
                shift(cyc)
                # Keep the cycle's prefix that is still fractional: it is a
                # valid walk, so it need not be walked again.
                j = 0
                while alive[cyc[j]]:
                    j += 1
                keep = i + 1 + j
                for v in stack[keep:]:
                    del pos[v]
                del stack[keep:]
                del estack[keep:]
            else:
                pos[w] = len(stack)
                stack.append(w)
                estack.append(e)
    out[frac_ids] = npvals >= denom
    return out
