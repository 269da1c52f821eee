"""Floor-raising local search by exchange chains (used by fair mode).

A *chain* for a poor paper ``p`` and target floor ``T``: ``p`` swaps its
reviewer ``r_out`` for a better candidate ``r_1``; ``r_1``'s place is made by a
paper ``q_1`` that gives up ``r_1`` and takes ``r_2``; ... until the last
reviewer has spare capacity (or is ``r_out`` itself, closing a cycle).  Every
paper on the chain trades exactly one reviewer for another, so demands hold;
every reviewer keeps its load except ``r_out`` (-1) and the last one (+1), so
max/min loads hold; only eligible, non-locked pairs are touched, so conflicts
and locks hold.  A chain is admissible when ``p``'s sum strictly rises and
every ``q_i`` still has sum >= ``T``.  Chains are found by a breadth-first
search over reviewers, vectorised per paper: for paper ``q`` the acceptable
replacements form a prefix of its candidates sorted by affinity.
"""

from __future__ import annotations

import heapq
import time

import numpy as np

from .problem import Instance, wsum

EPS = 1e-12


class ExchangeSearch:
    """Mutable assignment state plus the chain search; see module docstring."""

    def __init__(self, inst: Instance, chosen: np.ndarray) -> None:
        self.inst = inst
        self.pstart = np.searchsorted(inst.ep, np.arange(inst.n + 1))
        # Within each paper's slice, candidates by decreasing affinity.
        self.order = np.lexsort((-inst.ea, inst.ep))
        self.sorted_aff = inst.ea[self.order]
        self.sorted_rev = inst.er[self.order]
        self.neg_aff = -self.sorted_aff  # ascending per paper, for searchsorted
        self.lock_sum = wsum(inst.lp, inst.la, inst.n)
        self.active = inst.demand > 0
        self.load_chosen(chosen)

    def load_chosen(self, chosen: np.ndarray) -> None:
        """(Re)build the dictionaries from a boolean selection over free pairs."""
        inst = self.inst
        self.chosen = chosen.copy()
        self.sums = self.lock_sum + wsum(inst.ep[chosen], inst.ea[chosen], inst.n)
        self.load = np.bincount(inst.er[chosen], minlength=inst.m).astype(np.int64)
        self.p_revs: list[dict[int, int]] = [{} for _ in range(inst.n)]
        self.r_papers: list[set[int]] = [set() for _ in range(inst.m)]
        for e in np.flatnonzero(chosen).tolist():
            p, r = int(inst.ep[e]), int(inst.er[e])
            self.p_revs[p][r] = e
            self.r_papers[r].add(p)

    def floor(self) -> float:
        """Current minimum sum over papers with positive demand."""
        return float(self.sums[self.active].min()) if self.active.any() else 0.0

    def _edge(self, p: int, r: int) -> int:
        lo, hi = self.pstart[p], self.pstart[p + 1]
        return int(lo + np.searchsorted(self.inst.er[lo:hi], r))

    def _move(self, p: int, r_old: int, r_new: int) -> None:
        e_old = self.p_revs[p].pop(r_old)
        e_new = self._edge(p, r_new)
        self.chosen[e_old], self.chosen[e_new] = False, True
        self.p_revs[p][r_new] = e_new
        self.r_papers[r_old].discard(p)
        self.r_papers[r_new].add(p)
        self.sums[p] += self.inst.ea[e_new] - self.inst.ea[e_old]
        self.load[r_old] -= 1
        self.load[r_new] += 1

    def improve(self, p: int, target: float) -> bool:
        """Apply one admissible chain that raises paper ``p``; False if none found."""
        inst = self.inst
        lo, hi = self.pstart[p], self.pstart[p + 1]
        cand_r, cand_a = self.sorted_rev[lo:hi], self.sorted_aff[lo:hi]
        mine = np.fromiter(self.p_revs[p].keys(), dtype=np.int64, count=len(self.p_revs[p]))
        spare = self.load < inst.rmax
        for r_out in sorted(self.p_revs[p], key=lambda r: inst.ea[self.p_revs[p][r]]):
            a_out = inst.ea[self.p_revs[p][r_out]]
            ok = (cand_a > a_out + EPS) & ~np.isin(cand_r, mine)
            sources = cand_r[ok]
            if len(sources) == 0:
                continue
            can_free = self.load[r_out] - 1 >= inst.rmin[r_out]
            if can_free and spare[sources].any():
                self._move(p, r_out, int(sources[np.argmax(spare[sources])]))
                return True
            chain = self._search(p, r_out, sources, target, spare, can_free)
            if chain is not None:
                self._move(p, r_out, chain[0])
                for q, r_old, r_new in chain[1]:
                    self._move(q, r_old, r_new)
                return True
        return False

    def _search(
        self,
        p: int,
        r_out: int,
        sources: np.ndarray,
        target: float,
        spare: np.ndarray,
        can_free: bool,
    ) -> tuple[int, list[tuple[int, int, int]]] | None:
        """BFS from ``sources``; returns (first reviewer for p, [(q, r_old, r_new), ...])."""
        m = self.inst.m
        visited = np.zeros(m, dtype=bool)
        visited[sources] = True
        par_r = np.full(m, -1, dtype=np.int64)
        par_q = np.full(m, -1, dtype=np.int64)
        queue = sources.tolist()
        head = 0
        while head < len(queue):
            r_prev = queue[head]
            head += 1
            for q in self.r_papers[r_prev]:
                if q == p:
                    continue
                need = target - self.sums[q] + self.inst.ea[self.p_revs[q][r_prev]]
                lo, hi = self.pstart[q], self.pstart[q + 1]
                k = int(np.searchsorted(self.neg_aff[lo:hi], -need + EPS, side="right"))
                if k == 0:
                    continue
                new = self.sorted_rev[lo : lo + k]
                new = new[~visited[new]]
                if len(new) == 0:
                    continue
                if len(self.p_revs[q]) > 0:
                    new = new[~np.isin(new, list(self.p_revs[q]))]
                visited[new] = True
                par_r[new] = r_prev
                par_q[new] = q
                term = new == r_out
                if can_free:
                    term |= spare[new]
                for r_t in new[term].tolist():
                    chain = self._unwind(r_t, par_r, par_q)
                    if chain is not None:
                        return chain
                queue.extend(new.tolist())
        return None

    @staticmethod
    def _unwind(
        r_t: int, par_r: np.ndarray, par_q: np.ndarray
    ) -> tuple[int, list[tuple[int, int, int]]] | None:
        """Chain ending at ``r_t``; None if a paper appears twice (sums would be wrong)."""
        steps: list[tuple[int, int, int]] = []
        seen: set[int] = set()
        r = r_t
        while par_r[r] >= 0:
            q = int(par_q[r])
            if q in seen:
                return None
            seen.add(q)
            steps.append((q, int(par_r[r]), r))
            r = int(par_r[r])
        return r, steps

    def repair(self, target: float, deadline: float) -> bool:
        """Raise every active paper to >= ``target``; False on failure or timeout.

        A paper with no admissible chain is set aside and retried after the
        others moved (their swaps can open new chains); the repair fails only
        when a whole pass over the set-aside papers makes no progress.
        """
        pending = [int(p) for p in np.flatnonzero(self.active & (self.sums < target))]
        while pending:
            heap = [(float(self.sums[p]), p) for p in pending]
            heapq.heapify(heap)
            stuck: list[int] = []
            progress = False
            while heap:
                if time.perf_counter() > deadline:
                    return False
                _s, p = heapq.heappop(heap)
                if self.sums[p] >= target:
                    continue
                if not self.improve(p, target):
                    stuck.append(p)
                    continue
                progress = True
                if self.sums[p] < target:
                    heapq.heappush(heap, (float(self.sums[p]), p))
            if stuck and not progress:
                return False
            pending = stuck
        return True
