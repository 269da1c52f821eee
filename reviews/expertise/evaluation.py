"""Offline evaluation of the expertise model against reviewers' own expertise ratings.

The file format (JSON, UTF-8), one object:

    {
      "year": 2022,
      "reviewers": [
        {"id": "r1",
         "publications": [{"title": "...", "abstract": "...", "year": 2021}, ...],
         "text": "optional free text of the profile"}
      ],
      "papers": [{"id": "p1", "title": "...", "abstract": "...", "keywords": "..."}],
      "ratings": [{"reviewer": "r1", "paper": "p1", "expertise": 4.25}]
    }

`expertise` is the reviewer's own rating of their expertise for the paper, 1 (none) to 5
(expert), in quarter steps (4, 4.25, 4.5, ...: the gold-standard dataset's ratings are);
`year` is the year the ratings were given, the reference recency counts back from (as a
workshop's submission deadline is); without it, the newest publication's year. `abstract`,
`keywords`, `year` and `text` may be left out; ids are strings. A paper's text is built as
the site builds it (`reviews.affinity.paper_text`).

The loss is the published metric of Stelmakh, Wieting, Neubig and Shah (2023), "A Gold
Standard Dataset for the Reviewer Assignment Problem", section 5 (and `compute_main_metric`
in their public evaluation code): over every pair of papers that one reviewer rated, of all
reviewers pooled, the weight of the pairs the model orders against the ratings divided by
the weight of all pairs, a pair weighing the difference of its two ratings. A pair the
reviewer rated equally weighs nothing (it is left out); a pair the model scores equally
counts half its weight. 0 is perfect, 0.5 is chance, lower is better. Beside it:

- `per_reviewer`: the mean of each reviewer's own loss (what this command printed before;
  it weighs a reviewer with one pair like one with forty-five);
- `easy` and `hard`: the share of pairs ordered right (Table 5 of the paper; unweighted, a
  model's tie is not right): easy pairs have one rating of 4 or more and the other of 2 or
  less, hard pairs both ratings 4 or more (and different);
- `ci95`: a bootstrap 95% interval of the pooled loss, resampling reviewers with
  replacement (as the paper's evaluation script does), seeded so that it repeats.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..affinity import paper_text
from .text import Combine, Document, TextSpace, profile_scores


class EvaluationFileError(ValueError):
    """The file does not follow the format; the message says where."""


@dataclass
class EvaluationSet:
    reviewers: list[str]
    profiles: list[list[Document]]
    papers: list[str]
    paper_texts: list[str]
    ratings: list[tuple[int, int, float]]  # (reviewer index, paper index, expertise)
    reference_year: int | None = None  # recency counts back from it (None: newest document)


def _text(obj: Mapping, where: str) -> tuple[str, str]:
    title = obj.get("title", "")
    abstract = obj.get("abstract", "") or ""
    if not isinstance(title, str) or not isinstance(abstract, str):
        raise EvaluationFileError(f"{where}: title and abstract must be strings")
    return title, abstract


def _year(value: object, where: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise EvaluationFileError(f"{where}: year must be a whole number")
    return value  # type: ignore[return-value]


def _expertise(value: object, where: str) -> float:
    """1-5 in quarter steps; ints and floats alike (4 and 4.0 are the same rating)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvaluationFileError(f"{where}: expertise must be a number 1-5 in quarter steps")
    level = float(value)
    if not (math.isfinite(level) and 1 <= level <= 5 and (level * 4).is_integer()):
        raise EvaluationFileError(
            f"{where}: expertise must be 1-5 in quarter steps (4, 4.25, 4.5, ...), not {value!r}"
        )
    return level


def load(data: str | bytes) -> EvaluationSet:
    """Parse and check an evaluation file (raises EvaluationFileError with the place)."""
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise EvaluationFileError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError:
        raise EvaluationFileError("the file is not UTF-8 text") from None
    if not isinstance(raw, dict):
        raise EvaluationFileError("the file must hold one JSON object")
    for key in ("reviewers", "papers", "ratings"):
        if not isinstance(raw.get(key), list):
            raise EvaluationFileError(f'"{key}" must be a list')
    reference_year = _year(raw.get("year"), '"year"')
    reviewers, profiles = [], []
    for i, r in enumerate(raw["reviewers"]):
        where = f"reviewers[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            raise EvaluationFileError(f'{where}: needs a string "id"')
        docs = []
        for k, pub in enumerate(r.get("publications") or []):
            place = f"{where}.publications[{k}]"
            if not isinstance(pub, dict):
                raise EvaluationFileError(f"{place}: must be an object")
            title, abstract = _text(pub, place)
            docs.append(Document(f"{title}\n{abstract}", _year(pub.get("year"), place)))
        if r.get("text"):
            docs.append(Document(str(r["text"])))
        reviewers.append(r["id"])
        profiles.append(docs)
    papers, texts = [], []
    for i, p in enumerate(raw["papers"]):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise EvaluationFileError(f'papers[{i}]: needs a string "id"')
        title, abstract = _text(p, f"papers[{i}]")
        papers.append(p["id"])
        texts.append(paper_text(title, abstract, str(p.get("keywords", "") or "")))
    ridx = {r: i for i, r in enumerate(reviewers)}
    pidx = {p: i for i, p in enumerate(papers)}
    if len(ridx) != len(reviewers) or len(pidx) != len(papers):
        raise EvaluationFileError("reviewer and paper ids must be unique")
    ratings, seen = [], set()
    for i, row in enumerate(raw["ratings"]):
        if not isinstance(row, dict):
            raise EvaluationFileError(f"ratings[{i}]: must be an object")
        if row.get("reviewer") not in ridx:
            raise EvaluationFileError(f"ratings[{i}]: unknown reviewer {row.get('reviewer')!r}")
        if row.get("paper") not in pidx:
            raise EvaluationFileError(f"ratings[{i}]: unknown paper {row.get('paper')!r}")
        pair = (ridx[row["reviewer"]], pidx[row["paper"]])
        if pair in seen:
            raise EvaluationFileError(
                f"ratings[{i}]: {row['reviewer']!r} rated {row['paper']!r} a second time"
            )
        seen.add(pair)
        ratings.append((*pair, _expertise(row.get("expertise"), f"ratings[{i}]")))
    return EvaluationSet(reviewers, profiles, papers, texts, ratings, reference_year)


@dataclass(frozen=True)
class Pairs:
    """Every pair of papers one reviewer rated differently, the higher-rated paper first."""

    reviewer: np.ndarray  # reviewer index
    higher: np.ndarray  # paper index of the higher rating
    lower: np.ndarray  # paper index of the lower rating
    high: np.ndarray  # the two ratings
    low: np.ndarray
    reviewers: np.ndarray  # every reviewer with a rating (the bootstrap's population)

    @classmethod
    def of(cls, ratings: Sequence[tuple[int, int, float]]) -> Pairs:
        by_reviewer: dict[int, list[tuple[int, float]]] = {}
        for r, p, level in ratings:
            by_reviewer.setdefault(r, []).append((p, float(level)))
        rows = []
        for r, rated in by_reviewer.items():
            for a in range(len(rated)):
                for b in range(a + 1, len(rated)):
                    (pa, ea), (pb, eb) = rated[a], rated[b]
                    if ea > eb:
                        rows.append((r, pa, pb, ea, eb))
                    elif eb > ea:
                        rows.append((r, pb, pa, eb, ea))
        cols = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
        ints = [np.asarray(c, dtype=np.int64) for c in cols[:3]]
        floats = [np.asarray(c, dtype=np.float64) for c in cols[3:]]
        return cls(*ints, *floats, np.asarray(sorted(by_reviewer), dtype=np.int64))

    @property
    def weight(self) -> np.ndarray:
        return self.high - self.low


@dataclass(frozen=True)
class Accuracy:
    correct: int
    total: int

    @property
    def share(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass(frozen=True)
class Metrics:
    loss: float  # pooled over all pairs of all reviewers (the published metric)
    per_reviewer: float  # mean of the reviewers' own losses
    reviewers: int  # reviewers with at least one pair
    pairs: int
    easy: Accuracy
    hard: Accuracy
    ci95: tuple[float, float]

    def as_dict(self) -> dict[str, object]:
        return {
            "loss": self.loss,
            "per_reviewer": self.per_reviewer,
            "ci95": list(self.ci95),
            "easy": self.easy.share,
            "hard": self.hard.share,
            "easy_pairs": self.easy.total,
            "hard_pairs": self.hard.total,
            "reviewers": self.reviewers,
            "pairs": self.pairs,
        }


def pair_losses(pairs: Pairs, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(loss, difference) per pair: the pair's weight if the model orders it wrongly, half
    of it on a tie, else 0; and the model's score difference, higher- minus lower-rated."""
    scores = np.asarray(scores, dtype=np.float64)
    diff = scores[pairs.higher, pairs.reviewer] - scores[pairs.lower, pairs.reviewer]
    return pairs.weight * ((diff < 0) + 0.5 * (diff == 0)), diff


def measure(
    ratings: Sequence[tuple[int, int, float]] | Pairs,
    scores: np.ndarray,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
) -> Metrics:
    """The metrics of `scores` (papers x reviewers) against the ratings (module docstring)."""
    pairs = ratings if isinstance(ratings, Pairs) else Pairs.of(ratings)
    if not len(pairs.reviewer):
        return Metrics(0.5, 0.5, 0, 0, Accuracy(0, 0), Accuracy(0, 0), (0.5, 0.5))
    loss, diff = pair_losses(pairs, scores)
    n = int(max(pairs.reviewers.max(), pairs.reviewer.max())) + 1
    wrong_by = np.bincount(pairs.reviewer, weights=loss, minlength=n)
    total_by = np.bincount(pairs.reviewer, weights=pairs.weight, minlength=n)
    counted = total_by > 0
    easy = (pairs.high >= 4) & (pairs.low <= 2)
    hard = pairs.low >= 4
    right = diff > 0
    rng = np.random.default_rng(seed)
    population = pairs.reviewers
    draws = population[rng.integers(0, len(population), size=(bootstrap, len(population)))]
    with np.errstate(invalid="ignore", divide="ignore"):
        resampled = wrong_by[draws].sum(axis=1) / total_by[draws].sum(axis=1)
    resampled = resampled[np.isfinite(resampled)]
    ci = (
        (float(np.percentile(resampled, 2.5)), float(np.percentile(resampled, 97.5)))
        if resampled.size
        else (math.nan, math.nan)
    )
    return Metrics(
        loss=float(loss.sum() / pairs.weight.sum()),
        per_reviewer=float(np.mean(wrong_by[counted] / total_by[counted])),
        reviewers=int(counted.sum()),
        pairs=len(pairs.reviewer),
        easy=Accuracy(int((right & easy).sum()), int(easy.sum())),
        hard=Accuracy(int((right & hard).sum()), int(hard.sum())),
        ci95=ci,
    )


def text_scores(
    data: EvaluationSet, combine: Combine, space: TextSpace | None = None
) -> np.ndarray:
    space = space or TextSpace(data.paper_texts, stem=combine.stem)
    return profile_scores(space, data.profiles, combine=combine, reference_year=data.reference_year)


def evaluate(data: EvaluationSet, combine: Combine, **options: int) -> Metrics:
    return measure(data.ratings, text_scores(data, combine), **options)


# The variants the command measures with --variants (the choice is DEFAULT_COMBINE).
VARIANTS = [
    Combine("concat", stem=False),
    Combine("concat"),
    Combine("concat", half_life=3, stem=False),
    Combine("concat", half_life=3),
    Combine("concat", half_life=5, stem=False),
    Combine("concat", half_life=5),
    Combine("concat", half_life=2.5),
    Combine("centroid", half_life=2.5),
    Combine("best_k", k=1),
    Combine("best_k", k=3, stem=False),
    Combine("best_k", k=3),
    Combine("best_k", k=3, half_life=4),
    Combine("best_k", k=5),
    Combine("best_k", k=5, half_life=4),
]
