"""Reviewer-paper matching: one entry point, three modes (pure Python, no Django).

``solve(affinity, *, demand, max_load, min_load=0, forbidden=None, locked=None,
mode="max_total", prob_cap=None, seed=None) -> Result``

Inputs are flattened once (:mod:`.problem`) into the *eligible free pairs*:
candidates (every cell of a dense matrix; the stored entries of a sparse one,
explicit zeros included) minus forbidden pairs minus locked pairs.  Locks are
taken out of the optimisation: each honoured lock is assigned up front and
subtracted from its paper's demand and its reviewer's max and min load.  A
locked pair that is forbidden cannot be honoured and makes the instance
infeasible; a locked pair that is not a candidate is honoured with affinity 0.
The floor ("minimum per-paper sum") is taken over papers with positive demand.

max_total (:mod:`.flow`) -- exact
    Min-cost flow (OR-Tools ``SimpleMinCostFlow``, arcs added in bulk from numpy
    arrays).  Nodes: papers, reviewers, one sink.  Paper ``p`` has supply
    ``demand_p``; arc paper->reviewer per eligible pair, capacity 1, cost
    ``-round(a_pr * 1e8 / max|a|)``; arc reviewer->sink, capacity
    ``max_r - min_r``; reviewer ``r`` has supply ``-min_r`` (the lower bound
    ``min_r`` on reviewer->sink, moved into the supplies by the standard
    transformation) and the sink absorbs the rest.  The problem is feasible iff
    this balanced network is, and its integral optimum is an exact optimum of
    the assignment problem (the constraint matrix is totally unimodular, so the
    LP relaxation has the same value).  Rounding costs to 1e-8 of the largest
    affinity bounds the loss by ``5e-9 * max|a|`` per assigned pair, far below
    1e-6 relative.  If the network is infeasible we solve, with
    ``solve_max_flow_with_min_cost`` and a big-M bonus on a parallel
    reviewer->sink arc of capacity ``min_r``, lexicographically: most demand
    placed, then most min load met, then most affinity; the diagnosis explains
    why (:mod:`.diagnose`: counting checks plus a Hall-violator set read off the
    residual graph of the maximum flow).

fair (:mod:`.fair`, :mod:`.exchange`) -- exact when small, else bounded heuristic
    Goal: maximise the floor, then the total among assignments at that floor.
    Up to 400 free pairs: two HiGHS MILPs (max ``T`` s.t. every paper's sum
    >= ``T``; then max total s.t. sums >= ``T*``), exact, ``status="optimal"``.
    Larger: start from the max_total optimum; binary-search a target floor
    ``T`` between its floor and the upper bound; for each target, repair every
    paper below ``T`` by exchange chains (the paper swaps its weakest reviewer
    for a better one whose seat is freed by a chain of one-for-one swaps of
    other papers, each kept at >= ``T``, ending at a reviewer with spare
    capacity); finally recover total affinity by pinning the papers that needed
    raising and re-solving max_total on the rest (repeating while some paper
    falls below the floor).  Guarantee: the floor is never below max_total's,
    every constraint holds, and ``fair_floor_bound`` is a proven upper bound on
    the best floor: the minimum over papers of their locked affinity plus their
    ``demand`` best eligible affinities, tightened by the LP relaxation of the
    max-floor programme (HiGHS) when there are at most 20,000 free pairs.  When
    the floor equals the bound, the floor is optimal.

randomized (:mod:`.randomized`) -- exact marginals
    LP: max ``sum a_pr x_pr`` s.t. ``sum_r x_pr = demand_p``,
    ``min_r <= sum_p x_pr <= max_r``, ``0 <= x_pr <= prob_cap`` (locks 1,
    forbidden/missing 0).  With ``prob_cap = k/D`` (a fraction with denominator
    <= 1000, else rounded down to a multiple of 1e-6), multiplying every
    capacity, demand and load by ``D`` turns it into the max_total flow network
    with pair capacity ``k``; its integral optimum divided by ``D`` is an exact
    LP optimum (``Result.marginals``).  One integral assignment is then drawn by
    bipartite dependent rounding (Gandhi, Khuller, Parthasarathy, Srinivasan,
    J. ACM 2006): repeatedly take a cycle or maximal path of fractional edges,
    alternately add/subtract ``alpha`` (prob. ``beta/(alpha+beta)``) or
    subtract/add ``beta`` (otherwise), the largest steps that keep [0, 1].  Each
    step has zero expected change on every edge, so ``P(pair sampled) = x_pr``
    exactly; cycle and path interiors keep their degree, and a paper (integral
    fractional degree) is never a path endpoint, so every paper gets exactly
    its demand while each reviewer ends at the floor or ceiling of its
    fractional load -- inside ``[min_r, max_r]`` because those are integers.
    The arithmetic is exact (integer numerators over ``D``); the sample is
    reproducible from ``seed``.  :func:`sample_assignment` draws further
    samples from the same marginals without re-solving.  Cost grows with
    ``D``: with cap 1/2 every rounded cycle resolves at once (the 10,000 x
    5,000 benchmark takes ~2 s); a cap like 0.123456789 (``D = 1e6``) makes
    both the flow and the rounding several times slower.

Names: :class:`~.problem.Instance` and :func:`~.problem.build_instance` are the engine's
flattened problem (indices only); the Django side reads a workshop into a
``reviews.selectors.matching.MatchingInput`` (papers, people, matrices) and passes its
matrices to :func:`solve`.

Infeasible instances never raise: ``Result.feasible`` is False, ``diagnosis``
says in plain words what is wrong and the best partial assignment is returned
with ``unmet_demand``.  ``ValueError`` is raised only for malformed input.
"""

from .api import sample_assignment, solve
from .result import Result

__all__ = ["Result", "sample_assignment", "solve"]
