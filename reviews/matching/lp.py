"""Linear-programming relaxations solved with HiGHS (scipy).

Used for bounds, not for the main solves: the max_total LP relaxation (its
optimum equals the flow optimum because the constraint matrix is totally
unimodular -- the benchmark uses it to measure the flow's scaling gap) and the
fair-mode LP ``max T s.t. every paper's affinity sum >= T`` whose optimum is an
upper bound on the best achievable floor.  Also the exact fair MILP for small
instances.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .problem import Instance, wsum


def _rows(inst: Instance) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    """Incidence matrices (papers x pairs) and (reviewers x pairs)."""
    e = len(inst.ep)
    cols = np.arange(e)
    ones = np.ones(e)
    paper = sparse.csr_matrix((ones, (inst.ep, cols)), shape=(inst.n, e))
    rev = sparse.csr_matrix((ones, (inst.er, cols)), shape=(inst.m, e))
    return paper, rev


def max_total_bound(inst: Instance, cap: float = 1.0) -> float | None:
    """Optimum of the LP relaxation of max_total (None when the LP is infeasible).

    With ``cap < 1`` it is randomized mode's fractional programme (free pairs
    bounded by ``cap``), whose optimum is the best expected affinity.
    """
    paper, rev = _rows(inst)
    res = linprog(
        -inst.ea,
        A_ub=sparse.vstack([rev, -rev]).tocsr(),
        b_ub=np.concatenate([inst.rmax, -inst.rmin]),
        A_eq=paper,
        b_eq=inst.rdemand,
        bounds=(0, cap),
        method="highs",
    )
    if res.status != 0:
        return None
    return float(-res.fun) + float(inst.la.sum())


def _fair_constraints(inst: Instance) -> tuple[list[LinearConstraint], np.ndarray]:
    """Constraints over variables ``[x_pairs..., T]`` and the index of active papers.

    Only papers with positive demand take part in the floor (a paper that needs
    no review has sum 0 and would pin the floor at 0).
    """
    paper, rev = _rows(inst)
    e = len(inst.ep)
    active = np.flatnonzero(inst.demand > 0)
    lock_sum = wsum(inst.lp, inst.la, inst.n)
    zero_col = sparse.csr_matrix((inst.n, 1))
    weighted = sparse.csr_matrix((inst.ea, (inst.ep, np.arange(e))), shape=(inst.n, e))
    fair_rows = sparse.hstack([weighted, -np.ones((inst.n, 1))]).tocsr()[active]
    cons = [
        LinearConstraint(sparse.hstack([paper, zero_col]).tocsr(), inst.rdemand, inst.rdemand),
        LinearConstraint(
            sparse.hstack([rev, sparse.csr_matrix((inst.m, 1))]).tocsr(), inst.rmin, inst.rmax
        ),
        LinearConstraint(fair_rows, -lock_sum[active], np.inf),
    ]
    return cons, active


def fair_lp_bound(inst: Instance, time_limit: float = 60.0) -> float | None:
    """Optimum of ``max T`` over the LP relaxation: an upper bound on any floor."""
    cons, active = _fair_constraints(inst)
    if len(active) == 0:
        return 0.0
    e = len(inst.ep)
    c = np.zeros(e + 1)
    c[-1] = -1.0
    bounds = Bounds(np.r_[np.zeros(e), -np.inf], np.r_[np.ones(e), np.inf])
    res = milp(c, constraints=cons, bounds=bounds, options={"time_limit": time_limit})
    if res.status != 0 or res.x is None:
        return None
    return float(res.x[-1])


def fair_milp(inst: Instance, time_limit: float = 20.0) -> tuple[np.ndarray, bool] | None:
    """Exact lexicographic fair assignment by two MILPs (floor, then total).

    Returns ``(chosen, proven)`` where ``proven`` says both stages finished
    optimally, or None when HiGHS found no solution in time.
    """
    cons, _active = _fair_constraints(inst)
    e = len(inst.ep)
    integrality = np.r_[np.ones(e), 0]
    bounds = Bounds(np.r_[np.zeros(e), -np.inf], np.r_[np.ones(e), np.inf])
    opts = {"time_limit": time_limit, "mip_rel_gap": 0.0}
    c = np.zeros(e + 1)
    c[-1] = -1.0
    first = milp(c, constraints=cons, bounds=bounds, integrality=integrality, options=opts)
    if first.x is None:
        return None
    floor = float(first.x[-1])
    # Stage 2 keeps the floor (with a tolerance far below any affinity gap that
    # matters) and maximises the total.
    tol = 1e-9 * max(1.0, abs(floor))
    bounds2 = Bounds(np.r_[np.zeros(e), floor - tol], np.r_[np.ones(e), np.inf])
    second = milp(
        np.r_[-inst.ea, 0.0],
        constraints=cons,
        bounds=bounds2,
        integrality=integrality,
        options=opts,
    )
    best = second if second.x is not None else first
    proven = first.status == 0 and second.status == 0
    return best.x[:e] > 0.5, proven
