"""Synthetic scholarly text with the structure that matters for expertise: topics with their
own words, inflected forms of one stem (so stemming has something to do), English stop
words, a shared general vocabulary, and reviewers whose interests drift over the years.

Used by `bench/affinity.py` (scale) and to write the evaluation file
`reviews/expertise/data/eval-synthetic.json` (`python -m reviews.expertise.synthetic`).
Deterministic for a given seed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import numpy as np

SUFFIXES = ("", "", "s", "ing", "ed", "ation", "er", "ly")
STOP = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "with",
    "as",
    "by",
    "we",
    "this",
    "are",
    "from",
    "an",
    "be",
    "our",
    "which",
    "it",
    "at",
    "can",
    "these",
    "not",
    "using",
    "their",
    "its",
    "have",
    "has",
    "also",
    "more",
    "than",
    "both",
]
SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "tu",
    "ne",
    "sa",
    "lo",
    "vi",
    "pe",
    "da",
    "gri",
    "sto",
    "plu",
    "bra",
    "che",
    "fen",
    "mor",
    "tal",
    "quin",
    "zor",
    "dex",
    "lum",
    "nar",
    "vos",
    "pim",
    "hul",
    "jab",
    "wex",
    "yor",
]


def _words(rng: np.random.Generator, n: int, seen: set[str]) -> list[str]:
    out = []
    while len(out) < n:
        w = "".join(rng.choice(SYLLABLES, size=rng.integers(2, 4)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


@dataclass
class Corpus:
    """Topic vocabularies and a random generator: `document(mixture, length)`."""

    rng: np.random.Generator
    topics: list[list[str]]
    general: list[str]

    @classmethod
    def build(
        cls, seed: int = 0, n_topics: int = 40, topic_words: int = 60, general_words: int = 600
    ) -> Corpus:
        rng = np.random.default_rng(seed)
        seen: set[str] = set()
        # topics draw their words from one pool, so that neighbouring topics share some
        pool = _words(rng, n_topics * topic_words // 2, seen)
        topics = [list(rng.choice(pool, size=topic_words, replace=False)) for _ in range(n_topics)]
        return cls(rng, topics, _words(rng, general_words, seen))

    def _zipf(self, n: int, size: int) -> np.ndarray:
        p = 1.0 / np.arange(1, n + 1)
        return self.rng.choice(n, size=size, p=p / p.sum())

    def document(self, mixture: dict[int, float], length: int) -> str:
        kinds = self.rng.choice(3, size=length, p=[0.35, 0.25, 0.40])
        topic_ids = list(mixture)
        weights = np.array([mixture[t] for t in topic_ids], dtype=float)
        chosen = self.rng.choice(topic_ids, size=length, p=weights / weights.sum())
        topic_pick = self._zipf(len(self.topics[0]), length)
        general_pick = self._zipf(len(self.general), length)
        stop_pick = self.rng.integers(0, len(STOP), size=length)
        suffix = self.rng.integers(0, len(SUFFIXES), size=length)
        words = []
        for i in range(length):
            if kinds[i] == 0:
                words.append(STOP[stop_pick[i]])
                continue
            stem = (
                self.general[general_pick[i]]
                if kinds[i] == 1
                else self.topics[chosen[i]][topic_pick[i]]
            )
            words.append(stem + SUFFIXES[suffix[i]])
        return " ".join(words)

    def paper(self, mixture: dict[int, float], *, title_only: bool = False) -> dict[str, str]:
        """A title and an abstract (none for `title_only`: many exports have no abstract)."""
        abstract = "" if title_only else self.document(mixture, int(self.rng.integers(60, 160)))
        return {
            "title": self.document(mixture, int(self.rng.integers(6, 14))),
            "abstract": abstract,
        }


def evaluation_set(seed: int = 7, n_reviewers: int = 40, rated: int = 10) -> dict:
    """Reviewers with 6-20 publications over 2012-2025 whose main area moved over time, and
    papers each rated 1-5 by one reviewer: the rating follows the reviewer's interests,
    weighted towards their recent ones, with noise (a self-report, not a formula)."""
    corpus = Corpus.build(seed)
    rng = corpus.rng
    n_topics = len(corpus.topics)
    reviewers, papers, ratings = [], [], []
    for r in range(n_reviewers):
        old, new, side = (int(x) for x in rng.choice(n_topics, size=3, replace=False))
        pubs = []
        for _ in range(int(rng.integers(6, 21))):
            year = int(rng.integers(2012, 2026))
            drift = (year - 2012) / 13  # 0 in 2012, 1 in 2025
            mix = {old: 1.0 - drift + 0.05, new: drift + 0.05, side: 0.25}
            pub = corpus.paper(mix, title_only=rng.random() < 0.4)
            pubs.append({**pub, "year": year})
        reviewers.append({"id": f"r{r}", "publications": pubs})
        interest = {new: 1.0, old: 0.45, side: 0.6}
        for i in range(rated):
            if i < 3:
                main = new if i == 0 else (old if i == 1 else side)
            else:
                main = int(rng.integers(0, n_topics))
            mix = {main: 1.0}
            if rng.random() < 0.5:
                mix[int(rng.integers(0, n_topics))] = 0.4
            pid = f"p{r}-{i}"
            papers.append({"id": pid, **corpus.paper(mix)})
            truth = sum(interest.get(t, 0.0) * w for t, w in mix.items()) / sum(mix.values())
            level = int(np.clip(round(1 + 4 * truth + rng.normal(0, 0.9)), 1, 5))
            ratings.append({"reviewer": f"r{r}", "paper": pid, "expertise": level})
    return {"reviewers": reviewers, "papers": papers, "ratings": ratings}


if __name__ == "__main__":  # pragma: no cover - writes the shipped evaluation file
    json.dump(evaluation_set(), sys.stdout, indent=1)
