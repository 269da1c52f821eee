"""How evenly an assignment spreads the work: reviewers' loads and papers' reviewer counts.

Pure (no Django): the assignment run's preview states it for a proposal, and any page that
reads the current assignment can state it the same way from its own counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from statistics import median

UNBALANCED_GAP = 2  # a spread of loads wider than this is worth a word to the chair


@dataclass(frozen=True)
class Balance:
    """The spread of loads (papers per reviewer) and of reviewers per paper."""

    load_min: int
    load_median: float
    load_max: int
    at_max: int  # reviewers whose load is the largest load
    reviewers: int
    paper_min: int  # the fewest reviewers any paper has
    at_paper_min: list[int]  # the numbers of the papers that have that fewest
    papers: int

    @property
    def unbalanced(self) -> bool:
        return self.load_max - self.load_min > UNBALANCED_GAP

    def as_dict(self) -> dict:
        return {**asdict(self), "unbalanced": self.unbalanced}


def balance_of(loads: Iterable[int], reviewers_per_paper: dict[int, int]) -> Balance:
    """The spread of `loads` (one per reviewer, zeros included: a reviewer given nothing
    is the most unbalanced case) and of `reviewers_per_paper` (paper number -> reviewers)."""
    loads = sorted(int(n) for n in loads)
    counts = {int(k): int(v) for k, v in reviewers_per_paper.items()}
    fewest = min(counts.values()) if counts else 0
    return Balance(
        load_min=loads[0] if loads else 0,
        load_median=float(median(loads)) if loads else 0.0,
        load_max=loads[-1] if loads else 0,
        at_max=sum(1 for n in loads if n == loads[-1]) if loads else 0,
        reviewers=len(loads),
        paper_min=fewest,
        at_paper_min=sorted(number for number, n in counts.items() if n == fewest),
        papers=len(counts),
    )
