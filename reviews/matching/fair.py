"""Fair mode: maximise the smallest per-paper affinity sum, then the total.

Small instances (at most ``MILP_MAX_PAIRS`` free pairs) are solved exactly by two
HiGHS MILPs.  Larger ones use the heuristic below, which never returns a floor
below max_total's and reports a proven upper bound on the best floor.

1. Start from the max_total optimum (floor ``F0``).
2. Upper bound ``U``: the smallest over papers of (locked affinity + its
   ``demand`` best free affinities) -- no assignment can beat its weakest paper's
   best case -- tightened by the LP relaxation ``max T s.t. sum_r a_pr x_pr >= T``
   when the instance has at most ``LP_MAX_PAIRS`` free pairs.
3. Binary search on the target ``T`` in ``[F0, U]`` (probing ``U`` first): the
   exchange-chain repair (:mod:`.exchange`) raises every paper below ``T`` while
   keeping every paper it touches at ``>= T`` (a paper with no chain is retried
   after the others moved).  Success raises the lower end to the achieved
   floor; failure lowers the upper end (the partial progress is kept: it never
   lowers the floor).  The search stops when the bracket is below 1e-4
   (relative) or after ``TIME_BUDGET`` seconds.
4. Total recovery: lock the papers that needed raising to their fair
   assignment and re-solve max_total (min-cost flow) for all the others; lock
   any paper that fell below the floor too and repeat.  The fair assignment of
   the unlocked papers is feasible for every re-solve, so the total can only
   rise and the floor is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from . import lp
from .exchange import ExchangeSearch
from .flow import solve_flow
from .problem import Instance, wsum

MILP_MAX_PAIRS = 400
LP_MAX_PAIRS = 20_000
TIME_BUDGET = 30.0  # seconds for the binary search, keeping L under a minute overall
REL_TOL = 1e-4  # binary search stops when the bracket is this small (relative)
RECOVERY_ROUNDS = 8


@dataclass
class FairOutcome:
    """Selection over free pairs, status, achieved floor and proven bound."""

    chosen: np.ndarray
    status: str
    floor: float
    bound: float | None


def paper_sums(inst: Instance, chosen: np.ndarray) -> np.ndarray:
    """Per-paper affinity sums including locks."""
    locks = wsum(inst.lp, inst.la, inst.n)
    return locks + wsum(inst.ep[chosen], inst.ea[chosen], inst.n)


def _floor(inst: Instance, chosen: np.ndarray) -> float:
    active = inst.demand > 0
    return float(paper_sums(inst, chosen)[active].min()) if active.any() else 0.0


def best_case_bound(inst: Instance) -> float:
    """min over active papers of locked affinity + sum of its ``rdemand`` best free pairs."""
    active = inst.demand > 0
    if not active.any():
        return 0.0
    order = np.lexsort((-inst.ea, inst.ep))
    ep, ea = inst.ep[order], inst.ea[order]
    rank = np.arange(len(ep)) - np.searchsorted(ep, np.arange(inst.n))[ep]
    take = rank < inst.rdemand[ep]
    best = wsum(ep[take], ea[take], inst.n)
    best += wsum(inst.lp, inst.la, inst.n)
    return float(best[active].min())


def solve_fair(inst: Instance, chosen0: np.ndarray) -> FairOutcome:
    """Fair assignment of a feasible instance, starting from max_total's ``chosen0``."""
    bound = best_case_bound(inst)
    if len(inst.ep) == 0 or not (inst.demand > 0).any():
        # Nothing to choose, or no floor to raise: max_total's answer is optimal.
        return FairOutcome(chosen0, "optimal", _floor(inst, chosen0), bound)
    if len(inst.ep) <= LP_MAX_PAIRS:
        lp_bound = lp.fair_lp_bound(inst, time_limit=10.0)
        if lp_bound is not None:
            bound = min(bound, lp_bound)
    floor0 = _floor(inst, chosen0)
    if len(inst.ep) <= MILP_MAX_PAIRS:
        exact = lp.fair_milp(inst, time_limit=10.0)
        if exact is not None and exact[1] and _floor(inst, exact[0]) >= floor0 - 1e-9:
            floor = _floor(inst, exact[0])
            return FairOutcome(exact[0], "optimal", floor, max(bound, floor))

    search = ExchangeSearch(inst, chosen0)
    deadline = time.perf_counter() + TIME_BUDGET
    lo, hi = floor0, max(bound, floor0)
    best = chosen0.copy()
    target = hi
    while hi - lo > REL_TOL * max(1.0, abs(hi)) and time.perf_counter() < deadline:
        ok = search.repair(target, deadline)
        if search.floor() > lo:
            lo, best = search.floor(), search.chosen.copy()
        if not ok:
            hi = target
        target = (lo + hi) / 2
    best = _recover_total(inst, best, lo, chosen0)
    floor = _floor(inst, best)
    # max(): an LP bound can sit a solver tolerance (~1e-9) below a floor it proves optimal.
    return FairOutcome(best, "heuristic", floor, max(bound, floor))


def _pinned(inst: Instance, chosen: np.ndarray, pin: np.ndarray) -> tuple[Instance, np.ndarray]:
    """Sub-instance where the papers in ``pin`` keep their current pairs as locks.

    Returns the sub-instance and the indices (into ``inst``'s free pairs) of its
    free pairs.
    """
    on_pinned = pin[inst.ep]
    fixed = on_pinned & chosen
    keep = np.flatnonzero(~on_pinned)
    used = np.bincount(inst.er[fixed], minlength=inst.m)
    rmax = inst.rmax - used
    sub = replace(
        inst,
        ep=inst.ep[keep],
        er=inst.er[keep],
        ea=inst.ea[keep],
        lp=np.concatenate([inst.lp, inst.ep[fixed]]),
        lr=np.concatenate([inst.lr, inst.er[fixed]]),
        la=np.concatenate([inst.la, inst.ea[fixed]]),
        rdemand=np.where(pin, 0, inst.rdemand),
        rmax=rmax,
        rmin=np.clip(inst.rmin - used, 0, rmax),
    )
    return sub, keep


def _recover_total(
    inst: Instance, chosen: np.ndarray, floor: float, chosen0: np.ndarray
) -> np.ndarray:
    """Step 4 of the module docstring; returns ``chosen`` unchanged if it cannot help."""
    tol = 1e-9 * max(1.0, abs(floor))
    active = inst.demand > 0
    pin = active & (paper_sums(inst, chosen0) < floor - tol)
    for _ in range(RECOVERY_ROUNDS):
        sub, keep = _pinned(inst, chosen, pin)
        out = solve_flow(sub)
        if not out.complete:  # cannot happen (chosen is feasible for sub); be safe
            return chosen
        trial = chosen & pin[inst.ep]
        trial[keep[out.x > 0]] = True
        low = active & (paper_sums(inst, trial) < floor - tol)
        if not low.any():
            better = inst.ea[trial].sum() >= inst.ea[chosen].sum()
            return trial if better else chosen
        pin |= low
    return chosen
