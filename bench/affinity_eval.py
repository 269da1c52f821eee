"""The expertise model on the gold-standard dataset of Stelmakh, Wieting, Neubig and Shah
(2023), "A Gold Standard Dataset for the Reviewer Assignment Problem": 58 researchers who
rated their own expertise (1-5, quarter steps) on up to 10 papers each.

Run ``.venv/bin/python bench/affinity_eval.py PATH [--datasets 1-10] [--model DIR]
[--split-seed 0]`` where PATH is a copy of github.com/niharshah/goldstandard-reviewer-paper-match
(only ``data/evaluations.csv`` and ``evaluation_datasets/d_20_*`` are read; about 20 MB).

As the paper does (its Table 3 and `evaluation_script.py`): each of the ten datasets
``d_20_x`` gives every participant a profile of up to 20 of their publications (title,
abstract, year) and the 463 rated papers; a variant's loss is the published pooled metric
(`reviews.expertise.evaluation.measure`) averaged over the ten datasets, and its interval
the 2.5 and 97.5 percentiles of the per-resample mean over the datasets (1,000 seeded
resamples of the participants, the same resamples for every dataset). Recency counts back
from 2022, the year the ratings were collected (profiles were crawled on 1 May 2022).

Every file goes through the app's own evaluation loader (`reviews.expertise.evaluation.load`,
the paper text the site builds) and the site's scoring functions, no database.

The mix is chosen without the data it is reported on: the participants are split in two
halves (seeded, `--splits` times); each candidate (text combination: recency, k best
publications; the embedding's rank weight) is measured on one half, and the best one there
is measured on the other half, both ways round. The line printed last gives how often each
candidate won and the mean loss of the winners on the halves they were not chosen on (the
honest estimate of the selection), beside the site's default on the same halves.

``--write-fixture FILE --fixture-reviewers N`` writes dataset d_20_1 cut to N participants
(the papers they rated, their publications) in the evaluation file format, for a local
look. It is not committed: the dataset's repository carries no licence, so nothing of it is
redistributed here; the tests use hand-made files and this bench reads a fetched copy.

One JSON line per variant, then the split-half choices. Figures only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")

from reviews.affinity import EMBEDDING_WEIGHT, content_fit
from reviews.expertise.evaluation import EvaluationSet, Pairs, load, measure, pair_losses
from reviews.expertise.text import DEFAULT_COMBINE, Combine, TextSpace, profile_scores

RATINGS_YEAR = 2022
SOURCE = "github.com/niharshah/goldstandard-reviewer-paper-match"


def read_ratings(root: Path) -> dict[str, dict[str, float]]:
    """participant id -> {paper id: expertise} from data/evaluations.csv (tab-separated)."""
    out: dict[str, dict[str, float]] = {}
    with (root / "data" / "evaluations.csv").open(newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rated = {}
            for k in range(1, 11):
                paper, level = row.get(f"Paper{k}"), row.get(f"Expertise{k}")
                if paper and level:
                    rated[paper] = float(level)
            out[row["ParticipantID"]] = rated
    return out


def dataset_file(root: Path, name: str, ratings: dict[str, dict[str, float]]) -> dict:
    """One d_20_x dataset in the app's evaluation file format."""
    base = root / "evaluation_datasets" / name
    submissions = json.loads((base / "submissions.json").read_text())
    reviewers = []
    for participant in ratings:
        publications = []
        archive = base / "archives" / f"~{participant}.jsonl"
        for line in archive.read_text().splitlines() if archive.exists() else []:
            content = json.loads(line)["content"]
            publications.append(
                {
                    "title": content.get("title") or "",
                    "abstract": content.get("abstract") or "",
                    "year": content.get("year"),
                }
            )
        reviewers.append({"id": participant, "publications": publications})
    papers = [
        {
            "id": pid,
            "title": s["content"].get("title") or "",
            "abstract": s["content"].get("abstract") or "",
        }
        for pid, s in submissions.items()
    ]
    known = set(submissions)
    rows = [
        {"reviewer": r, "paper": p, "expertise": level}
        for r, rated in ratings.items()
        for p, level in rated.items()
        if p in known
    ]
    return {"year": RATINGS_YEAR, "reviewers": reviewers, "papers": papers, "ratings": rows}


def fixture(data: dict, n: int) -> dict:
    """The first `n` participants, only the papers they rated."""
    keep = {r["id"] for r in data["reviewers"][:n]}
    rows = [x for x in data["ratings"] if x["reviewer"] in keep]
    rated = {x["paper"] for x in rows}
    return {
        "source": f"{SOURCE}, evaluation_datasets/d_20_1 and data/evaluations.csv, first {n} "
        "participants (bench/affinity_eval.py --write-fixture)",
        "year": data["year"],
        "reviewers": [r for r in data["reviewers"] if r["id"] in keep],
        "papers": [p for p in data["papers"] if p["id"] in rated],
        "ratings": rows,
    }


def only(pairs: Pairs, reviewers: np.ndarray) -> Pairs:
    """The pairs of the given reviewers."""
    mask = np.isin(pairs.reviewer, reviewers)
    return Pairs(
        pairs.reviewer[mask],
        pairs.higher[mask],
        pairs.lower[mask],
        pairs.high[mask],
        pairs.low[mask],
        np.intersect1d(pairs.reviewers, reviewers),
    )


class Memo:
    """Each distinct text encoded once over the ten datasets (they share most texts)."""

    def __init__(self, model) -> None:
        self.model, self.name, self.seen = model, model.name, {}

    def encode(self, texts):
        missing = list(dict.fromkeys(t for t in texts if t not in self.seen))
        if missing:
            self.seen.update(zip(missing, self.model.encode(missing), strict=True))
        return np.stack([self.seen[t] for t in texts])


class Bench:
    def __init__(self, sets: list[EvaluationSet], model, bootstrap: int, seed: int) -> None:
        self.sets = sets
        self.pairs = [Pairs.of(s.ratings) for s in sets]
        self.spaces = {True: [TextSpace(s.paper_texts) for s in sets]}
        self.embeddings = None
        if model is not None:
            from reviews.expertise.embedding import embedding_scores

            self.embeddings = [
                embedding_scores(model, s.paper_texts, [[d.text for d in p] for p in s.profiles])
                for s in sets
            ]
        self.bootstrap, self.seed = bootstrap, seed
        self.cache: dict[Combine, list[np.ndarray]] = {}

    def text(self, combine: Combine) -> list[np.ndarray]:
        if combine not in self.cache:
            if combine.stem not in self.spaces:
                self.spaces[combine.stem] = [
                    TextSpace(s.paper_texts, stem=combine.stem) for s in self.sets
                ]
            self.cache[combine] = [
                profile_scores(sp, s.profiles, combine=combine, reference_year=s.reference_year)
                for sp, s in zip(self.spaces[combine.stem], self.sets, strict=True)
            ]
        return self.cache[combine]

    def scores(self, combine: Combine, embedding_weight: float) -> list[np.ndarray]:
        texts = self.text(combine)
        if self.embeddings is None or not embedding_weight:
            return [content_fit(t) for t in texts]
        return [
            content_fit(t, e, embedding_weight=embedding_weight)
            for t, e in zip(texts, self.embeddings, strict=True)
        ]

    def loss(self, scores: list[np.ndarray], reviewers: np.ndarray | None = None) -> float:
        """The pooled loss averaged over the datasets (on some reviewers only)."""
        losses = []
        for pairs, s in zip(self.pairs, scores, strict=True):
            chosen = pairs if reviewers is None else only(pairs, reviewers)
            wrong, _ = pair_losses(chosen, s)
            losses.append(wrong.sum() / chosen.weight.sum())
        return float(np.mean(losses))

    def report(self, label: str, scores: list[np.ndarray]) -> dict:
        each = [
            measure(p, s, bootstrap=self.bootstrap, seed=self.seed)
            for p, s in zip(self.pairs, scores, strict=True)
        ]
        # the paper's interval: the same reviewer resamples in every dataset, the mean
        # over datasets per resample, then its percentiles
        rng = np.random.default_rng(self.seed)
        population = self.pairs[0].reviewers
        draws = population[rng.integers(0, len(population), (self.bootstrap, len(population)))]
        means = np.zeros(self.bootstrap)
        for pairs, s in zip(self.pairs, scores, strict=True):
            wrong, _ = pair_losses(pairs, s)
            n = int(population.max()) + 1
            w = np.bincount(pairs.reviewer, weights=wrong, minlength=n)
            t = np.bincount(pairs.reviewer, weights=pairs.weight, minlength=n)
            means += w[draws].sum(axis=1) / t[draws].sum(axis=1)
        means /= len(scores)

        def mean(get: Callable) -> float:
            return round(float(np.mean([get(m) for m in each])), 4)

        return {
            "variant": label,
            "loss": mean(lambda m: m.loss),
            "per_reviewer": mean(lambda m: m.per_reviewer),
            "ci95": [round(float(np.percentile(means, q)), 4) for q in (2.5, 97.5)],
            "easy": mean(lambda m: m.easy.share),
            "hard": mean(lambda m: m.hard.share),
            "datasets": len(scores),
        }


def text_variants() -> list[Combine]:
    out = [Combine("concat", half_life=h) for h in (None, 1, 1.5, 2, 2.5, 3, 4, 5, 8)]
    out += [Combine("concat", half_life=2, stem=False), Combine("centroid", half_life=2)]
    for k in (1, 3, 5, 10):
        out += [Combine("best_k", k=k, half_life=h) for h in (None, 2, 5)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--datasets", default="1-10", help="e.g. 1-10 or 1,4")
    parser.add_argument("--model", default="", help="an EXPERTISE_EMBEDDING_MODEL value")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split-seed", type=int, default=0)
    parser.add_argument("--splits", type=int, default=20, help="random halvings")
    parser.add_argument("--write-fixture", type=Path)
    parser.add_argument("--fixture-reviewers", type=int, default=6)
    args = parser.parse_args()

    import django

    django.setup()
    ratings = read_ratings(args.path)
    if args.write_fixture:
        data = fixture(dataset_file(args.path, "d_20_1", ratings), args.fixture_reviewers)
        args.write_fixture.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        print(json.dumps({"wrote": str(args.write_fixture), "ratings": len(data["ratings"])}))
        return
    if "-" in args.datasets:
        low, high = (int(x) for x in args.datasets.split("-"))
        numbers = list(range(low, high + 1))
    else:
        numbers = [int(x) for x in args.datasets.split(",")]
    sets = [load(json.dumps(dataset_file(args.path, f"d_20_{x}", ratings))) for x in numbers]
    model = None
    if args.model:
        from reviews.expertise.embedding import model_from_setting

        model = Memo(model_from_setting(args.model))
    bench = Bench(sets, model, args.bootstrap, args.seed)

    for combine in text_variants():
        line = bench.report(f"text: {combine.label()}", bench.scores(combine, 0.0))
        line["default"] = combine == DEFAULT_COMBINE
        print(json.dumps(line))

    # the candidates of the mix: which text combination, and the embedding's rank weight
    weights = [0.0] if model is None else [0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0]
    # the default is chosen among the concatenated profiles (best-k costs ~2.5 times as much
    # at 10,000 x 5,000 and, chosen the same way, did no better on the other halves)
    candidates = [
        (c, w) for c in text_variants() if c.method == "concat" and c.stem for w in weights
    ]
    if model is not None:
        for w in weights[1:]:
            for c in (DEFAULT_COMBINE, Combine("best_k", k=3, half_life=5)):
                print(
                    json.dumps(
                        bench.report(f"mix: {c.label()}, embedding {w:g}", bench.scores(c, w))
                    )
                )
    everyone = bench.pairs[0].reviewers
    default = (DEFAULT_COMBINE, EMBEDDING_WEIGHT if model is not None else 0.0)
    held_out, default_held_out, chosen = [], [], Counter()
    for split in range(args.splits):
        rng = np.random.default_rng(args.split_seed + split)
        halves = np.array_split(rng.permutation(everyone), 2)
        for choose, report in (halves, halves[::-1]):
            fitted = {cw: bench.loss(bench.scores(*cw), choose) for cw in candidates}
            best = min(fitted, key=lambda cw: (fitted[cw], cw[1]))
            chosen[f"{best[0].label()}, embedding {best[1]:g}"] += 1
            held_out.append(bench.loss(bench.scores(*best), report))
            default_held_out.append(bench.loss(bench.scores(*default), report))
    print(
        json.dumps(
            {
                "splits": args.splits * 2,
                "chosen_on_one_half": dict(chosen.most_common()),
                "choice_loss_on_the_other_half": round(float(np.mean(held_out)), 4),
                "default": f"{default[0].label()}, embedding {default[1]:g}",
                "default_loss_on_the_same_halves": round(float(np.mean(default_held_out)), 4),
            }
        )
    )
    if not math.isfinite(bench.loss(bench.scores(DEFAULT_COMBINE, 0.0))):
        raise SystemExit("no pairs")


if __name__ == "__main__":
    main()
