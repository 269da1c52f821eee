"""Tests of the pure matching package (no database).

Small random instances are checked against independent oracles: a HiGHS MILP
(scipy.optimize.milp) for max_total and the capped LP, and brute-force
enumeration for fair mode's max-min.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from reviews.matching import fair as fair_module
from reviews.matching import sample_assignment, solve
from reviews.matching.randomized import cap_fraction

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- oracles


def milp_oracle(inst: dict, cap: float | None = None, objective: str = "total") -> float | None:
    """Optimum of max_total (or of the capped LP when ``cap``); None if infeasible.

    ``objective="placed"`` instead maximises the number of assignments with demand
    and max load as upper bounds (the max-flow value of an infeasible instance).
    """
    aff, cand = inst["dense"], inst["cand"] & ~inst["forbidden"]
    n, m = aff.shape
    locked = np.zeros((n, m), dtype=bool)
    for p, r in inst["locked"]:
        locked[p, r] = True
    if (locked & inst["forbidden"]).any():
        return None
    pairs = np.argwhere(cand | locked)
    k = len(pairs)
    if k == 0:
        if objective == "placed":
            return 0.0
        ok = not inst["demand"].any() and not inst["min_load"].any()
        return 0.0 if ok else None
    values = np.where(inst["cand"][pairs[:, 0], pairs[:, 1]], aff[pairs[:, 0], pairs[:, 1]], 0.0)
    paper_rows = np.zeros((n, k))
    rev_rows = np.zeros((m, k))
    paper_rows[pairs[:, 0], np.arange(k)] = 1
    rev_rows[pairs[:, 1], np.arange(k)] = 1
    is_locked = locked[pairs[:, 0], pairs[:, 1]]
    ub = np.where(is_locked, 1.0, 1.0 if cap is None else cap)
    bounds = Bounds(np.where(is_locked, 1.0, 0.0), ub)
    integrality = np.zeros(k) if cap is not None else np.ones(k)
    if objective == "placed":
        cons = [
            LinearConstraint(paper_rows, -np.inf, inst["demand"]),
            LinearConstraint(rev_rows, -np.inf, inst["max_load"]),
        ]
        res = milp(-np.ones(k), constraints=cons, bounds=bounds, integrality=integrality)
        return None if res.x is None else float(-res.fun)
    cons = [
        LinearConstraint(paper_rows, inst["demand"], inst["demand"]),
        LinearConstraint(rev_rows, inst["min_load"], inst["max_load"]),
    ]
    opts = {"mip_rel_gap": 0.0}
    res = milp(-values, constraints=cons, bounds=bounds, integrality=integrality, options=opts)
    return None if res.status != 0 else float(-res.fun)


def brute_force_fair(inst: dict) -> tuple[float, float] | None:
    """(best floor, best total at that floor) by enumerating every assignment."""
    aff, cand = inst["dense"], inst["cand"] & ~inst["forbidden"]
    n, m = aff.shape
    options = []
    for p in range(n):
        elig = [r for r in range(m) if cand[p, r]]
        options.append(list(itertools.combinations(elig, int(inst["demand"][p]))))
    best: tuple[float, float] | None = None
    active = inst["demand"] > 0
    for combo in itertools.product(*options):
        load = np.zeros(m, dtype=int)
        for revs in combo:
            load[list(revs)] += 1
        if (load > inst["max_load"]).any() or (load < inst["min_load"]).any():
            continue
        sums = np.array([sum(aff[p, r] for r in revs) for p, revs in enumerate(combo)])
        floor = float(sums[active].min()) if active.any() else 0.0
        key = (round(floor, 9), round(float(sums.sum()), 9))
        if best is None or key > best:
            best = key
    return best


# --------------------------------------------------------------------------- strategies


@st.composite
def instances(draw, max_n: int = 6, max_m: int = 6, locks: bool = True, max_demand: int = 3):
    """Small instances; affinities on a 0.1 grid (with negatives) so ties are common."""
    n = draw(st.integers(1, max_n))
    m = draw(st.integers(1, max_m))
    grid = st.integers(-3, 10)
    dense = np.array(draw(st.lists(grid, min_size=n * m, max_size=n * m))).reshape(n, m) / 10
    fmt = draw(st.sampled_from(["dense", "sparse"]))
    if fmt == "sparse":
        cand = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)))
        cand = cand.reshape(n, m) | (dense > 0.5)
    else:
        cand = np.ones((n, m), dtype=bool)
    forbidden = (
        np.array(draw(st.lists(st.integers(0, 9), min_size=n * m, max_size=n * m))).reshape(n, m)
        == 0
    )
    demand = np.array(draw(st.lists(st.integers(0, min(max_demand, m)), min_size=n, max_size=n)))
    max_load = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)))
    min_load = np.array(draw(st.lists(st.integers(0, 2), min_size=m, max_size=m)))
    min_load = np.minimum(min_load, max_load)
    locked: list[tuple[int, int]] = []
    if locks and draw(st.booleans()):
        cells = [(p, r) for p in range(n) for r in range(m) if not forbidden[p, r]]
        if cells:
            locked = draw(st.lists(st.sampled_from(cells), max_size=2, unique=True))
    if fmt == "sparse":
        rows, cols = np.nonzero(cand)
        matrix = sparse.csr_matrix((dense[rows, cols], (rows, cols)), shape=(n, m))
    else:
        matrix = dense
    return {
        "affinity": matrix,
        "dense": dense,
        "cand": cand,
        "forbidden": forbidden,
        "demand": demand,
        "max_load": max_load,
        "min_load": min_load,
        "locked": locked,
    }


def run(inst: dict, **kwargs) -> object:
    return solve(
        inst["affinity"],
        demand=inst["demand"],
        max_load=inst["max_load"],
        min_load=inst["min_load"],
        forbidden=inst["forbidden"],
        locked=inst["locked"] or None,
        **kwargs,
    )


def check_constraints(inst: dict, res) -> None:
    """Invariants every result must satisfy, feasible or not."""
    n, m = inst["dense"].shape
    pairs = res.pairs
    assert pairs.shape[1] == 2
    assert len({(int(p), int(r)) for p, r in pairs}) == len(pairs), "duplicate pair"
    assert not inst["forbidden"][pairs[:, 0], pairs[:, 1]].any(), "conflict broken"
    allowed = inst["cand"].copy()
    for p, r in inst["locked"]:
        allowed[p, r] = True
        assert any((pairs[:, 0] == p) & (pairs[:, 1] == r)), "lock dropped"
    assert allowed[pairs[:, 0], pairs[:, 1]].all(), "non-candidate assigned"
    count = np.bincount(pairs[:, 0], minlength=n)
    loads = np.bincount(pairs[:, 1], minlength=m)
    assert np.array_equal(loads, res.loads)
    assert np.array_equal(res.unmet_demand, np.maximum(inst["demand"] - count, 0))
    sums = np.bincount(pairs[:, 0], weights=inst["dense"][pairs[:, 0], pairs[:, 1]], minlength=n)
    # a lock on a non-candidate contributes zero affinity
    for p, r in inst["locked"]:
        if not inst["cand"][p, r]:
            sums[p] -= inst["dense"][p, r]
    assert np.allclose(sums, res.paper_sums)
    assert res.total_affinity == pytest.approx(sums.sum(), abs=1e-9)
    if res.feasible:
        assert not res.diagnosis
        assert np.array_equal(count, inst["demand"]), "demand broken"
        assert (loads <= inst["max_load"]).all() and (loads >= inst["min_load"]).all()
    else:
        assert res.diagnosis and all(isinstance(s, str) and s for s in res.diagnosis)
        if len(inst["locked"]) == 0:
            assert (count <= inst["demand"]).all() and (loads <= inst["max_load"]).all()


# --------------------------------------------------------------------------- max_total


@FAST
@given(instances())
def test_max_total_matches_milp_and_keeps_constraints(inst):
    res = run(inst)
    check_constraints(inst, res)
    opt = milp_oracle(inst)
    assert res.feasible == (opt is not None)
    if opt is not None:
        assert res.status == "optimal"
        assert res.total_affinity == pytest.approx(opt, rel=1e-6, abs=1e-9)


@FAST
@given(instances(locks=False))
def test_infeasible_partial_places_as_much_demand_as_possible(inst):
    res = run(inst)
    if not res.feasible:
        placed = milp_oracle(inst, objective="placed")
        assert len(res.pairs) == placed
        assert res.unmet_demand.sum() == inst["demand"].sum() - placed


@FAST
@given(instances(locks=False, max_n=5, max_m=5))
def test_sparse_and_dense_inputs_give_same_optimum(inst):
    stored = sparse.csr_matrix(inst["dense"])  # drops zeros...
    rows, cols = np.nonzero(np.ones_like(inst["dense"], dtype=bool))
    full = sparse.csr_matrix((inst["dense"][rows, cols], (rows, cols)), shape=stored.shape)
    assert full.nnz == inst["dense"].size  # ...so store every cell, zeros explicitly
    kw = {"demand": inst["demand"], "max_load": inst["max_load"], "min_load": inst["min_load"]}
    a = solve(inst["dense"], forbidden=inst["forbidden"], **kw)
    b = solve(full, forbidden=sparse.csr_matrix(inst["forbidden"]), **kw)
    assert a.feasible == b.feasible
    assert a.total_affinity == pytest.approx(b.total_affinity, abs=1e-9)


def test_sparse_missing_entry_is_not_a_candidate_but_stored_zero_is():
    dense = np.array([[0.9, 0.0]])
    missing = sparse.csr_matrix(([0.9], ([0], [0])), shape=(1, 2))
    explicit = sparse.csr_matrix(([0.9, 0.0], ([0, 0], [0, 1])), shape=(1, 2))
    assert solve(dense, demand=2, max_load=1).feasible
    assert solve(explicit, demand=2, max_load=1).feasible
    res = solve(missing, demand=2, max_load=1)
    assert not res.feasible and res.unmet_demand.tolist() == [1]
    assert "Paper 0 has only 1 eligible reviewers but needs 2" in " ".join(res.diagnosis)


@pytest.mark.parametrize("seed", [0, 1])
def test_max_total_within_1e_7_of_lp_on_continuous_affinities(seed):
    # Catches a too-coarse integer cost scaling, which the 0.1 grid above cannot.
    rng = np.random.default_rng(seed)
    aff = rng.random((40, 25)) ** 3
    inst = {
        "dense": aff,
        "cand": np.ones_like(aff, dtype=bool),
        "forbidden": rng.random(aff.shape) < 0.1,
        "demand": np.full(40, 2),
        "max_load": np.full(25, 4),
        "min_load": np.full(25, 1),
        "locked": [],
    }
    res = solve(aff, demand=2, max_load=4, min_load=1, forbidden=inst["forbidden"])
    opt = milp_oracle(inst, cap=1.0)  # LP relaxation: exact because the matrix is TU
    assert res.feasible and res.total_affinity == pytest.approx(opt, rel=1e-7)


def test_scaling_is_exact_for_tiny_affinity_differences():
    # Differences of 1e-7 relative must still be resolved by the integer costs.
    aff = np.array([[1.0, 1.0 - 1e-7], [1.0 - 2e-7, 1.0]])
    res = solve(aff, demand=1, max_load=1)
    assert res.pairs.tolist() == [[0, 0], [1, 1]]


# --------------------------------------------------------------------------- fair


@FAST
@given(instances(max_n=4, max_m=4, locks=False, max_demand=2))
def test_fair_is_exact_on_tiny_instances(inst):
    res = run(inst, mode="fair")
    check_constraints(inst, res)
    best = brute_force_fair(inst)
    assert res.feasible == (best is not None)
    if best is None:
        return
    base = run(inst)
    assert res.status == "optimal"
    assert res.min_paper_sum >= base.min_paper_sum - 1e-9
    assert res.min_paper_sum == pytest.approx(best[0], abs=1e-7)
    assert res.total_affinity == pytest.approx(best[1], abs=1e-6)
    assert res.fair_floor_bound >= res.min_paper_sum - 1e-7
    assert res.baseline_min_paper_sum == pytest.approx(base.min_paper_sum)


@FAST
@given(instances())
def test_fair_heuristic_path_keeps_constraints_and_floor(inst):
    # Force the heuristic (no MILP, no LP bound) on instances small enough to check.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fair_module, "MILP_MAX_PAIRS", -1)
        mp.setattr(fair_module, "LP_MAX_PAIRS", -1)
        res = run(inst, mode="fair")
    check_constraints(inst, res)
    if res.feasible:
        assert res.status in ("heuristic", "optimal")  # optimal: nothing to choose
        base = run(inst)
        assert res.min_paper_sum >= base.min_paper_sum - 1e-9
        assert res.fair_floor_bound >= res.min_paper_sum - 1e-9
        assert res.fair_floor == pytest.approx(res.min_paper_sum)
        assert res.total_affinity <= base.total_affinity + 1e-9


def clustered_instance(seed: int, papers: int = 60, reviewers: int = 30) -> dict:
    """Two topics, few reviewers in the second: papers there compete for them."""
    rng = np.random.default_rng(seed)
    p_topic = rng.random(papers) < 0.5
    r_topic = rng.random(reviewers) < 0.2
    aff = np.where(p_topic[:, None] == r_topic[None, :], 0.8, 0.15)
    aff = np.clip(aff + rng.normal(0, 0.08, size=aff.shape), 0, 1)
    return {"affinity": aff, "demand": 3, "max_load": 8}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fair_raises_the_floor_and_loses_little_total(seed):
    inst = clustered_instance(seed)
    base = solve(**_kw(inst))
    res = solve(**_kw(inst), mode="fair")
    assert res.feasible and res.status == "heuristic"
    assert res.min_paper_sum > base.min_paper_sum + 1e-6
    assert res.min_paper_sum <= res.fair_floor_bound + 1e-9
    assert res.total_affinity >= 0.95 * base.total_affinity
    assert np.bincount(res.pairs[:, 0], minlength=60).tolist() == [3] * 60
    assert res.loads.max() <= 8


def _kw(inst: dict) -> dict:
    return {"affinity": inst["affinity"], "demand": inst["demand"], "max_load": inst["max_load"]}


# --------------------------------------------------------------------------- randomized


@FAST
@given(instances(), st.sampled_from([0.5, 1 / 3, 0.75, 1.0, 0.123456789]), st.integers(0, 3))
def test_randomized_respects_cap_and_marginals(inst, cap, seed):
    res = run(inst, mode="randomized", prob_cap=cap, seed=seed)
    check_constraints(inst, res)
    x = res.marginals.toarray()
    locked = np.zeros_like(x, dtype=bool)
    for p, r in inst["locked"]:
        locked[p, r] = True
    assert res.prob_cap <= cap + 1e-15
    assert (x[~locked] <= cap + 1e-12).all() and (x >= 0).all()
    assert (x[locked] == 1).all()
    assert not (x[inst["forbidden"]] > 0).any()
    opt = milp_oracle(inst, cap=res.prob_cap)
    assert res.feasible == (opt is not None)
    if opt is None:
        return
    assert np.allclose(x.sum(axis=1), inst["demand"])
    frac_load = x.sum(axis=0)
    assert (frac_load <= inst["max_load"] + 1e-9).all()
    assert (frac_load >= inst["min_load"] - 1e-9).all()
    assert res.expected_total == pytest.approx(opt, rel=1e-6, abs=1e-9)
    # the sample: exact demand, loads at floor/ceil of the fractional load
    assert (res.loads >= np.floor(frac_load + 1e-9)).all()
    assert (res.loads <= np.ceil(frac_load - 1e-9)).all()
    assert x[res.pairs[:, 0], res.pairs[:, 1]].min(initial=1) > 0


def test_randomized_is_reproducible_with_seed():
    inst = clustered_instance(3)
    a = solve(**_kw(inst), mode="randomized", prob_cap=0.4, seed=7)
    b = solve(**_kw(inst), mode="randomized", prob_cap=0.4, seed=7)
    c = solve(**_kw(inst), mode="randomized", prob_cap=0.4, seed=8)
    assert np.array_equal(a.pairs, b.pairs)
    assert not np.array_equal(a.pairs, c.pairs)
    assert a.marginals.max() <= 0.4 + 1e-12


def test_sampler_empirical_marginals_match():
    rng = np.random.default_rng(123)
    aff = rng.random((6, 5))
    res = solve(aff, demand=2, max_load=3, min_load=1, mode="randomized", prob_cap=0.6, seed=0)
    assert res.feasible
    x = res.marginals.toarray()
    frac = (x > 0) & (x < 1)
    assert frac.sum() >= 6  # the check must exercise fractional pairs
    samples = 2000
    counts = np.zeros_like(x)
    for s in range(samples):
        pairs = sample_assignment(res, seed=s)
        counts[pairs[:, 0], pairs[:, 1]] += 1
        assert np.bincount(pairs[:, 0], minlength=6).tolist() == [2] * 6
        loads = np.bincount(pairs[:, 1], minlength=5)
        assert (loads >= 1).all() and (loads <= 3).all()
    se = np.sqrt(x[frac] * (1 - x[frac]) / samples)
    z = np.abs(counts[frac] / samples - x[frac]) / se
    assert z.max() < 5
    assert (counts[x == 0] == 0).all() and (counts[x == 1] == samples).all()


def test_cap_fraction():
    assert cap_fraction(0.5) == (1, 2)
    assert cap_fraction(1 / 3) == (1, 3)
    k, d = cap_fraction(0.123456789)
    assert d == 10**6 and k / d <= 0.123456789


# --------------------------------------------------------------------------- diagnosis


def _text(res) -> str:
    return "\n".join(res.diagnosis)


def test_diagnosis_names_paper_with_too_few_eligible_reviewers():
    aff = np.ones((3, 4))
    forbidden = np.zeros((3, 4), dtype=bool)
    forbidden[1, :3] = True
    res = solve(aff, demand=2, max_load=3, forbidden=forbidden)
    assert not res.feasible and res.status == "infeasible"
    assert "Paper 1 has only 1 eligible reviewers but needs 2" in _text(res)
    assert res.unmet_demand.tolist() == [0, 1, 0]
    assert res.pairs.shape == (5, 2)  # best partial assignment is returned


def test_diagnosis_reports_missing_capacity():
    res = solve(np.ones((5, 2)), demand=2, max_load=3)
    text = _text(res)
    assert "total demand is 10 reviews" in text and "capacity (sum of max loads) is 6" in text
    assert "4 review slots are missing" in text
    assert res.unmet_demand.sum() == 4 and len(res.pairs) == 6


def test_diagnosis_reports_min_load_problems():
    aff = np.ones((2, 3))
    forbidden = np.array([[False, True, True], [False, True, False]])
    res = solve(aff, demand=1, max_load=2, min_load=[0, 2, 1], forbidden=forbidden)
    text = _text(res)
    assert "Reviewer 1 has min load 2 but only 0 eligible papers" in text
    res = solve(np.ones((2, 3)), demand=1, max_load=2, min_load=1)
    text = _text(res)
    assert "min loads" in text and "sum to 3" in text and "total demand is only 2" in text


def test_diagnosis_reports_locked_forbidden_pair_and_lock_excess():
    aff = np.ones((2, 2))
    forbidden = np.array([[False, True], [False, False]])
    res = solve(aff, demand=1, max_load=2, forbidden=forbidden, locked=[(0, 1)])
    assert "Locked pair (paper 0, reviewer 1) is forbidden" in _text(res)
    assert not res.feasible
    assert [0, 1] not in res.pairs.tolist()
    res = solve(aff, demand=1, max_load=1, locked=np.array([[True, True], [False, False]]))
    assert "Paper 0 has 2 locked reviewers but its demand is only 1" in _text(res)


def test_diagnosis_finds_hall_violation():
    # Papers 0 and 1 can only use reviewer 0 (max load 1); counts alone look fine.
    aff = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    forbidden = np.array([[False, True], [False, True], [False, False]])
    res = solve(aff, demand=1, max_load=[1, 2], forbidden=forbidden)
    text = _text(res)
    assert not res.feasible
    assert "Papers 0, 1 need 2 reviews" in text and "at most 1" in text
    assert res.unmet_demand.sum() == 1


def test_diagnosis_for_randomized_cap():
    res = solve(np.ones((1, 4)), demand=3, max_load=1, mode="randomized", prob_cap=0.5)
    assert not res.feasible
    assert "with prob_cap 0.5 they cover at most 2 expected reviews" in _text(res)
    assert res.marginals.max() <= 0.5


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"demand": [1, 1]}, "demand"),
        ({"demand": -1}, "non-negative"),
        ({"demand": 1.5}, "whole"),
        ({"max_load": [1, 2, 3]}, "max_load"),
        ({"min_load": -1}, "non-negative"),
        ({"mode": "best"}, "unknown mode"),
        ({"mode": "randomized"}, "prob_cap"),
        ({"mode": "randomized", "prob_cap": 0.0}, "prob_cap"),
        ({"mode": "randomized", "prob_cap": 1.5}, "prob_cap"),
        ({"forbidden": np.zeros((2, 2), dtype=bool)}, "forbidden"),
        ({"locked": [(5, 0)]}, "out of range"),
        ({"locked": [(0, 0, 1)]}, "pairs"),
    ],
)
def test_input_validation(kwargs, match):
    args = {"demand": 1, "max_load": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        solve(np.ones((3, 2)), **args)


def test_rejects_nan_and_non_matrix_affinity():
    with pytest.raises(ValueError, match="NaN"):
        solve(np.array([[np.nan, 1.0]]), demand=1, max_load=1)
    with pytest.raises(ValueError, match="2-D"):
        solve(np.ones(3), demand=1, max_load=1)


def test_result_is_frozen_and_matrix_view():
    res = solve(np.eye(2), demand=1, max_load=1)
    with pytest.raises(AttributeError):
        res.feasible = False  # type: ignore[misc]
    assert res.as_matrix().toarray().tolist() == [[True, False], [False, True]]
    assert res.solve_seconds >= 0 and res.mode == "max_total"
