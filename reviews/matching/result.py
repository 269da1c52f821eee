"""The immutable answer returned by :func:`reviews.matching.solve`.

Kept in its own module so callers (the Django layer, the benchmark, tests) can
type-annotate against it without importing any solver code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse


@dataclass(frozen=True, eq=False)
class Result:
    """Outcome of one matching run.

    ``eq=False`` because the fields are numpy arrays, whose ``==`` is elementwise;
    compare the fields you care about instead.

    Attributes:
        pairs: int64 array of shape (k, 2), rows are ``(paper, reviewer)``, sorted.
        total_affinity: sum of the affinities of ``pairs`` (a locked pair that is
            not a candidate contributes 0).
        paper_sums: per-paper affinity sum, shape (papers,).
        min_paper_sum: smallest entry of ``paper_sums`` over papers whose demand
            is positive (0.0 when there is none), i.e. the fairness "floor".
        loads: reviews per reviewer, shape (reviewers,).
        unmet_demand: reviews still missing per paper, shape (papers,).
        feasible: True when every demand, load bound, lock and conflict holds.
        diagnosis: plain-English reasons why the instance is infeasible (empty
            when feasible).
        mode: the mode that produced this result.
        status: ``"optimal"`` (proven), ``"heuristic"`` (fair mode on a large
            instance: feasible, with ``fair_floor_bound`` as the bound),
            ``"sampled"`` (randomized mode) or ``"infeasible"``.
        solve_seconds: wall-clock time spent inside ``solve``.
        marginals: randomized mode only: papers x reviewers CSR matrix of the
            fractional solution, i.e. each pair's probability of being sampled.
        marginal_denominator: randomized mode only: every marginal is an integer
            multiple of ``1 / marginal_denominator`` (the flow was solved exactly
            on that grid); :func:`sample_assignment` uses it to round exactly.
        expected_total: randomized mode only: expected total affinity, i.e. the
            optimum of the fractional programme.
        prob_cap: randomized mode only: the cap that was enforced.
        fair_floor: fair mode only: the floor achieved (equals ``min_paper_sum``).
        fair_floor_bound: fair mode only: a proven upper bound on the best
            possible floor (LP relaxation or Lagrangian bound, see the package
            docstring).
        baseline_total: fair mode only: total affinity of the max_total solution.
        baseline_min_paper_sum: fair mode only: floor of the max_total solution.
    """

    pairs: np.ndarray
    total_affinity: float
    paper_sums: np.ndarray
    min_paper_sum: float
    loads: np.ndarray
    unmet_demand: np.ndarray
    feasible: bool
    diagnosis: list[str] = field(default_factory=list)
    mode: str = "max_total"
    status: str = "optimal"
    solve_seconds: float = 0.0
    marginals: sparse.csr_matrix | None = None
    marginal_denominator: int | None = None
    expected_total: float | None = None
    prob_cap: float | None = None
    fair_floor: float | None = None
    fair_floor_bound: float | None = None
    baseline_total: float | None = None
    baseline_min_paper_sum: float | None = None

    def as_matrix(self) -> sparse.csr_matrix:
        """The assignment as a boolean papers x reviewers CSR matrix."""
        n, m = len(self.paper_sums), len(self.loads)
        data = np.ones(len(self.pairs), dtype=bool)
        return sparse.csr_matrix((data, (self.pairs[:, 0], self.pairs[:, 1])), shape=(n, m))
