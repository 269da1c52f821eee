"""The single entry point :func:`solve` and the assembly of :class:`Result`."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy import sparse

from . import diagnose, fair, randomized
from .flow import solve_flow
from .problem import MODES, Instance, build_instance, wsum
from .result import Result


def make_result(
    inst: Instance,
    chosen: np.ndarray,
    *,
    mode: str,
    status: str,
    diagnosis: list[str],
    started: float,
    **extra: Any,
) -> Result:
    """Build a :class:`Result` from a boolean selection over ``inst``'s free pairs.

    The honoured locks are always part of the assignment.  ``feasible`` is True
    exactly when the diagnosis is empty, so callers must put every violated
    constraint into it.
    """
    p = np.concatenate([inst.ep[chosen], inst.lp]).astype(np.int64)
    r = np.concatenate([inst.er[chosen], inst.lr]).astype(np.int64)
    a = np.concatenate([inst.ea[chosen], inst.la])
    order = np.lexsort((r, p))
    p, r, a = p[order], r[order], a[order]
    sums = wsum(p, a, inst.n)
    count = np.bincount(p, minlength=inst.n)
    active = inst.demand > 0
    feasible = not diagnosis
    return Result(
        pairs=np.stack([p, r], axis=1),
        total_affinity=float(a.sum()),
        paper_sums=sums,
        min_paper_sum=float(sums[active].min()) if active.any() else 0.0,
        loads=np.bincount(r, minlength=inst.m),
        unmet_demand=np.maximum(inst.demand - count, 0),
        feasible=feasible,
        diagnosis=list(diagnosis),
        mode=mode,
        status=status if feasible else "infeasible",
        solve_seconds=time.perf_counter() - started,
        **extra,
    )


def _validate_mode(mode: str, prob_cap: float | None) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == "randomized":
        if prob_cap is None:
            raise ValueError("randomized mode needs prob_cap in (0, 1]")
        cap = float(prob_cap)
        if not (np.isfinite(cap) and 0.0 < cap <= 1.0):
            raise ValueError(f"prob_cap must be in (0, 1], got {prob_cap}")


def solve(
    affinity: Any,
    *,
    demand: Any,
    max_load: Any,
    min_load: Any = 0,
    forbidden: Any = None,
    locked: Any = None,
    mode: str = "max_total",
    prob_cap: float | None = None,
    seed: int | np.random.Generator | None = None,
) -> Result:
    """Assign reviewers to papers; see the package docstring for the formulations.

    Args:
        affinity: papers x reviewers, dense array or scipy.sparse matrix (a
            missing sparse entry is not a candidate; a stored zero is).
        demand: reviews per paper (int or per-paper array).
        max_load, min_load: reviews per reviewer (int or per-reviewer array).
        forbidden: boolean papers x reviewers (dense or sparse): conflicts.
        locked: (paper, reviewer) pairs or a boolean matrix that must be kept.
        mode: ``"max_total"``, ``"fair"`` or ``"randomized"``.
        prob_cap: randomized mode only: cap on every free pair's probability.
        seed: randomized mode only: seed or numpy Generator for the sampler.

    Returns:
        A :class:`Result`.  Infeasible instances never raise: they come back
        with ``feasible=False``, a diagnosis and the best partial assignment.

    Raises:
        ValueError: malformed input (shapes, negative demand/loads, unknown
            mode, missing or out-of-range ``prob_cap``).
    """
    started = time.perf_counter()
    _validate_mode(mode, prob_cap)
    inst = build_instance(affinity, demand, max_load, min_load, forbidden, locked)
    if mode == "randomized":
        return _solve_randomized(inst, float(prob_cap), seed, started)  # type: ignore[arg-type]

    issues = diagnose.precheck(inst)
    outcome = solve_flow(inst)
    if not outcome.complete:
        issues += diagnose.explain_shortfall(inst, outcome.x, 1, 1)
    chosen = outcome.x > 0
    if mode == "max_total" or issues:
        return make_result(
            inst, chosen, mode=mode, status="optimal", diagnosis=issues, started=started
        )
    base = make_result(inst, chosen, mode=mode, status="optimal", diagnosis=[], started=started)
    fr = fair.solve_fair(inst, chosen)
    return make_result(
        inst,
        fr.chosen,
        mode=mode,
        status=fr.status,
        diagnosis=[],
        started=started,
        fair_floor=fr.floor,
        fair_floor_bound=fr.bound,
        baseline_total=base.total_affinity,
        baseline_min_paper_sum=base.min_paper_sum,
    )


def _solve_randomized(
    inst: Instance, prob_cap: float, seed: int | np.random.Generator | None, started: float
) -> Result:
    """Exact fractional flow on the 1/D grid, then one dependent-rounding sample."""
    k, denom = randomized.cap_fraction(prob_cap)
    issues = diagnose.precheck(inst, prob_cap=k / denom)
    outcome = solve_flow(inst, unit=denom, edge_cap=k)
    if not outcome.complete:
        issues += diagnose.explain_shortfall(inst, outcome.x, denom, k)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    chosen = randomized.dependent_rounding(inst.ep, inst.er, outcome.x, denom, inst.n, rng)
    marg = sparse.csr_matrix(
        (
            np.concatenate([outcome.x / denom, np.ones(len(inst.lp))]),
            (np.concatenate([inst.ep, inst.lp]), np.concatenate([inst.er, inst.lr])),
        ),
        shape=(inst.n, inst.m),
    )
    marg.eliminate_zeros()
    expected = float(outcome.x @ inst.ea) / denom + float(inst.la.sum())
    return make_result(
        inst,
        chosen,
        mode="randomized",
        status="sampled",
        diagnosis=issues,
        started=started,
        marginals=marg,
        marginal_denominator=denom,
        expected_total=expected,
        prob_cap=k / denom,
    )


def sample_assignment(result: Result, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Draw a fresh assignment from a randomized result's marginals.

    Re-uses the fractional solution instead of re-solving, which is what a
    statistical check of the marginals needs.  Returns (k, 2) (paper, reviewer)
    pairs; pairs with marginal 1 (including locks) are always present.
    """
    if result.marginals is None or result.marginal_denominator is None:
        raise ValueError("sample_assignment needs a result from randomized mode")
    coo = result.marginals.tocoo()
    denom = result.marginal_denominator
    num = np.rint(coo.data * denom).astype(np.int64)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n = result.marginals.shape[0]
    chosen = randomized.dependent_rounding(coo.row, coo.col, num, denom, n, rng)
    pairs = np.stack([coo.row[chosen], coo.col[chosen]], axis=1).astype(np.int64)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
