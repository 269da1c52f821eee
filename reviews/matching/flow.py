"""Min-cost-flow core shared by every mode (OR-Tools ``SimpleMinCostFlow``).

Network (node ids): papers ``0..n-1``, reviewers ``n..n+m-1``, sink ``n+m``.
Paper ``p`` has supply ``demand_p * unit``; arc paper->reviewer per eligible pair
with capacity ``unit`` (``k`` for a randomized cap ``k/unit``) and cost
``-round(w * scale)``; arc reviewer->sink with capacity ``(max - min) * unit``.
The min load is a lower bound on reviewer->sink, removed by the textbook
transformation: reviewer ``r`` gets supply ``-min_r * unit`` (it must absorb its
minimum itself) and the sink absorbs the rest.  The network is then balanced by
construction and ``solve()`` either proves infeasibility or returns the exact
integral optimum.  All arcs are added with one bulk call from numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from .problem import Instance

# Integer cost resolution: the largest |weight| maps to this many units.  The
# rounding error is then <= 0.5e-8 * max|w| per arc, i.e. far below the 1e-6
# relative optimality target, while costs * nodes stays well inside int64.
COST_RESOLUTION = 10**8
# Coarser resolution for the lexicographic fallback, whose big-M bonus multiplies it.
FALLBACK_RESOLUTION = 10**6
INT64_BUDGET = 2**62


@dataclass
class FlowOutcome:
    """Integral flow on each eligible pair (``x``, in units of ``1/unit``).

    ``complete`` is True when every paper's demand and every min load is met,
    in which case ``x`` is an exact optimum of the weighted problem.
    ``objective`` is the scaled integer cost reported by OR-Tools (only
    meaningful when ``complete``).
    """

    x: np.ndarray
    complete: bool
    objective: int


def _resolution(wanted: int, flow_units: int, factor: int = 1) -> int:
    """Largest resolution <= ``wanted`` keeping ``|cost| * flow * factor`` inside int64.

    Only binds for huge flows (e.g. a randomized cap with denominator 1e6 on a
    very large instance); OR-Tools would otherwise report a cost-range error.
    """
    return max(1, min(wanted, INT64_BUDGET // max(1, flow_units * factor)))


def _costs(weights: np.ndarray, resolution: int) -> np.ndarray:
    """Map float weights to non-positive-for-positive int64 costs (min-cost = max-weight)."""
    wmax = float(np.max(np.abs(weights))) if len(weights) else 0.0
    scale = resolution / wmax if wmax > 0 else 1.0
    return -np.rint(weights * scale).astype(np.int64)


def _add_arcs(
    smcf: min_cost_flow.SimpleMinCostFlow,
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
) -> None:
    """One bulk call; OR-Tools wants int32 nodes and int64 capacities/costs."""
    if len(tails):
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.ascontiguousarray(tails, dtype=np.int32),
            np.ascontiguousarray(heads, dtype=np.int32),
            np.ascontiguousarray(caps, dtype=np.int64),
            np.ascontiguousarray(costs, dtype=np.int64),
        )


def solve_flow(
    inst: Instance,
    weights: np.ndarray | None = None,
    *,
    unit: int = 1,
    edge_cap: int | None = None,
) -> FlowOutcome:
    """Maximise ``sum(weights * x)`` over the flow polytope of ``inst``.

    Args:
        inst: the instance; only its eligible non-locked pairs are arcs, the
            locks are already subtracted from demand and loads.
        weights: per-pair objective (defaults to the affinities).
        unit: every demand/load is multiplied by this (the denominator of a
            randomized cap); the pair capacity defaults to ``unit`` (x <= 1).
        edge_cap: pair arc capacity in the same units (``k`` for cap ``k/unit``).

    Returns:
        The exact optimum when the instance is feasible; otherwise the flow of
        :func:`_fallback`, which places as much demand as possible.
    """
    n, m = inst.n, inst.m
    w = inst.ea if weights is None else weights
    cap = unit if edge_cap is None else edge_cap
    total = int(inst.rdemand.sum())
    resolution = _resolution(COST_RESOLUTION, total * unit)
    sink = n + m
    rev = np.arange(m, dtype=np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    _add_arcs(
        smcf,
        np.concatenate([inst.ep, n + rev]),
        np.concatenate([n + inst.er.astype(np.int64), np.full(m, sink)]),
        np.concatenate([np.full(len(inst.ep), cap, np.int64), (inst.rmax - inst.rmin) * unit]),
        np.concatenate([_costs(w, resolution), np.zeros(m, np.int64)]),
    )
    supplies = np.concatenate(
        [inst.rdemand * unit, -inst.rmin * unit, [(int(inst.rmin.sum()) - total) * unit]]
    )
    smcf.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies.astype(np.int64))
    status = smcf.solve()
    if status == smcf.OPTIMAL:
        x = smcf.flows(np.arange(len(inst.ep), dtype=np.int32))
        return FlowOutcome(np.asarray(x, dtype=np.int64), True, int(smcf.optimal_cost()))
    if status not in (smcf.INFEASIBLE, smcf.UNBALANCED):  # pragma: no cover - range errors
        raise RuntimeError(f"min-cost flow failed with status {status}")
    return _fallback(inst, w, unit, cap)


def _fallback(inst: Instance, w: np.ndarray, unit: int, cap: int) -> FlowOutcome:
    """Best partial flow for an infeasible instance, lexicographically:
    (1) as much demand as possible, (2) then as much min load as possible,
    (3) then maximum weight.

    (1) is OR-Tools' ``solve_max_flow_with_min_cost``.  (2) over (3) uses two
    parallel reviewer->sink arcs, the first of capacity ``min_r`` with bonus
    ``-B``.  Any two maximum flows differ by simple residual cycles; each has at
    most ``2*min(n, m) + 2`` pair arcs, so its weight change is below
    ``(2*min(n, m) + 2) * resolution < B``: a cycle that raises the min-load
    flow always pays off, which makes the priority exact.
    """
    n, m = inst.n, inst.m
    sink = n + m
    rev = np.arange(m, dtype=np.int64)
    total = int(inst.rdemand.sum())
    cycle_arcs = 2 * min(n, m) + 2
    resolution = _resolution(FALLBACK_RESOLUTION, total * unit, cycle_arcs + 1)
    big = cycle_arcs * resolution + 1
    smcf = min_cost_flow.SimpleMinCostFlow()
    _add_arcs(
        smcf,
        np.concatenate([inst.ep, n + rev, n + rev]),
        np.concatenate([n + inst.er.astype(np.int64), np.full(2 * m, sink)]),
        np.concatenate(
            [
                np.full(len(inst.ep), cap, np.int64),
                inst.rmin * unit,
                (inst.rmax - inst.rmin) * unit,
            ]
        ),
        np.concatenate([_costs(w, resolution), np.full(m, -big, np.int64), np.zeros(m, np.int64)]),
    )
    supplies = np.concatenate([inst.rdemand * unit, np.zeros(m, np.int64), [-total * unit]])
    smcf.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies.astype(np.int64))
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:  # pragma: no cover - OR-Tools reports a range problem
        raise RuntimeError(f"min-cost flow failed with status {status}")
    x = np.asarray(smcf.flows(np.arange(len(inst.ep), dtype=np.int32)), dtype=np.int64)
    return FlowOutcome(x, False, int(smcf.optimal_cost()))
