"""Benchmark of the expertise model at scale: 10,000 papers x 5,000 reviewers x 20
publications each (synthetic scholarly text, `reviews.expertise.synthetic`).

Run ``.venv/bin/python bench/affinity.py [--papers 10000] [--reviewers 5000]
[--publications 20] [--combine concat|best_k]``.

It builds, with the functions the site uses and no database, (1) the matching instance's
input: the TF-IDF space of the papers, the text fit of every reviewer for every paper from
their publications (the default combination), the topic fit and a bid matrix, summed into
the affinity matrix; and (2) one reviewer's bidding list: their fit for every paper with the
explanation (two best publications per paper), sorted. One JSON line per stage with its
seconds, then one with the totals and the process's peak resident memory (ru_maxrss, which
includes the generated text). Target: <= 60 s and <= 2 GB. Figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reviews.affinity import (
    PublicationText,
    best_publications,
    expertise_fit,
    fit_scores,
    profile_documents,
    topic_scores,
)
from reviews.expertise.synthetic import Corpus
from reviews.expertise.text import DEFAULT_COMBINE, Combine, Document


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=5_000)
    parser.add_argument("--publications", type=int, default=20)
    parser.add_argument("--combine", choices=["concat", "best_k"], default=DEFAULT_COMBINE.method)
    args = parser.parse_args()
    combine = (
        DEFAULT_COMBINE
        if args.combine == DEFAULT_COMBINE.method
        else Combine(args.combine, k=5, half_life=4)
    )

    started = time.perf_counter()
    corpus = Corpus.build(1, n_topics=200)
    rng = corpus.rng
    n_topics = 12

    def mixture() -> dict[int, float]:
        return {int(rng.integers(0, 200)): 1.0, int(rng.integers(0, 200)): 0.3}

    paper_texts = []
    for _ in range(args.papers):
        p = corpus.paper(mixture())
        paper_texts.append(f"{p['title']}\n{p['title']}\n{p['abstract']}")
    publications = []
    for r in range(args.reviewers):
        mix = mixture()
        publications.append(
            [
                PublicationText(
                    r * 100 + k,
                    **corpus.paper(mix, title_only=k % 3 == 0),
                    year=2010 + int(rng.integers(0, 16)),
                )
                for k in range(args.publications)
            ]
        )
    profiles: list[list[Document]] = [profile_documents(p, "") for p in publications]
    paper_topics = [
        (int(rng.integers(0, n_topics)), {int(rng.integers(0, n_topics))})
        for _ in range(args.papers)
    ]
    levels = [
        {t: str(rng.choice(["expert", "knowledgeable", "none"])) for t in range(n_topics)}
        for _ in range(args.reviewers)
    ]
    print(
        json.dumps(
            {
                "stage": "generate synthetic text (not part of the build)",
                "seconds": round(time.perf_counter() - started, 2),
                "peak_mb": peak_mb(),
            }
        )
    )

    build = time.perf_counter()
    t = time.perf_counter()
    fit = expertise_fit(paper_texts, profiles, combine=combine)
    text_seconds = time.perf_counter() - t
    t = time.perf_counter()
    topic = topic_scores(paper_topics, levels)
    # as matching_input sums it (w_bid * bids + w_topic * topic + w_text * text), in place
    affinity = fit.text
    affinity *= 1.0
    topic *= 0.5
    affinity += topic
    rows = rng.integers(0, args.papers, size=args.reviewers * 40)
    cols = rng.integers(0, args.reviewers, size=args.reviewers * 40)
    affinity[rows, cols] += rng.choice([1.0, 0.5, 0.0, -1.0], size=rows.size)
    topic /= 0.5
    rest_seconds = time.perf_counter() - t
    instance_seconds = time.perf_counter() - build
    print(
        json.dumps(
            {
                "stage": "matching instance input",
                "combine": combine.label(),
                "papers": args.papers,
                "reviewers": args.reviewers,
                "publications": args.reviewers * args.publications,
                "text_seconds": round(text_seconds, 2),
                "topic_bids_sum_seconds": round(rest_seconds, 2),
                "seconds": round(instance_seconds, 2),
                "peak_mb": peak_mb(),
                "affinity_shape": list(affinity.shape),
            }
        )
    )
    del affinity, fit

    t = time.perf_counter()
    reviewer = 0
    one = expertise_fit(paper_texts, [profiles[reviewer]], combine=combine)
    total = fit_scores(topic[:, reviewer], one.text[:, 0])
    best = best_publications(one.space, publications[reviewer])
    order = np.argsort(-total, kind="stable")
    bidding_seconds = time.perf_counter() - t
    print(
        json.dumps(
            {
                "stage": "one reviewer's bidding list",
                "papers": args.papers,
                "explained": sum(1 for b in best if b),
                "top": int(order[0]),
                "seconds": round(bidding_seconds, 2),
                "peak_mb": peak_mb(),
            }
        )
    )
    print(
        json.dumps(
            {
                "stage": "total build",
                "seconds": round(instance_seconds + bidding_seconds, 2),
                "peak_mb": peak_mb(),
                "target": "<= 60 s, <= 2048 MB",
            }
        )
    )


if __name__ == "__main__":
    main()
