"""Benchmark of the copied-review check (issue 26): MinHash signatures and LSH bands over
synthetic reviews, with no database (`reviews.minhash`, as `review_text_check` uses it).

Run ``.venv/bin/python bench/review_copies.py [--reviews 5000] [--words 300]``.

It makes `--reviews` reviews of `--words` random words from a 2,000-word vocabulary, then
copies of some of them with a share of their words replaced (0% to 40%; single words all
over the text, or one passage rewritten), and prints one JSON
line per stage: the seconds to sign one review, the candidates an indexed lookup returns per
review (the work the check does beyond its fixed queries), and, per share of words
replaced, the copies' mean estimated similarity and the share flagged (estimate >= 0.8).
Figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from reviews import minhash

SHARES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--copies", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(26)
    vocabulary = [f"w{i}" for i in range(2000)]
    texts = [[rng.choice(vocabulary) for _ in range(args.words)] for _ in range(args.reviews)]

    started = time.perf_counter()
    signatures = [minhash.signature(minhash.shingles(t)) for t in texts]
    seconds = time.perf_counter() - started
    print(json.dumps({"stage": "sign", "reviews": args.reviews, "words": args.words,
                      "ms_per_review": round(1000 * seconds / args.reviews, 2)}))  # fmt: skip

    index: dict[int, list[int]] = defaultdict(list)
    for i, sig in enumerate(signatures):
        for key in minhash.band_keys(sig):
            index[key].append(i)
    lookups = []
    for sig in signatures[: args.copies]:
        found = {j for key in minhash.band_keys(sig) for j in index[key]}
        lookups.append(len(found) - 1)
    print(json.dumps({"stage": "lookup", "reviews": args.reviews,
                      "mean_candidates": sum(lookups) / len(lookups),
                      "max_candidates": max(lookups)}))  # fmt: skip

    for share, edit in [(s, e) for e in ("scattered", "one_span") for s in SHARES]:
        estimates, flagged = [], 0
        for source in range(args.copies):
            copy = list(texts[source])
            count = int(share * len(copy))
            if edit == "scattered":  # single words replaced all over the text
                positions = rng.sample(range(len(copy)), count)
            else:  # one passage rewritten, the rest pasted as it was
                start = rng.randrange(0, len(copy) - count + 1)
                positions = list(range(start, start + count))
            for position in positions:
                copy[position] = rng.choice(vocabulary)
            sig = minhash.signature(minhash.shingles(copy))
            candidates = {j for key in minhash.band_keys(sig) for j in index[key]}
            estimate = minhash.similarity(sig, signatures[source])
            estimates.append(estimate)
            flagged += source in candidates and estimate >= minhash.NEAR_COPY
        print(json.dumps({"stage": "copies", "edit": edit, "words_replaced": share,
                          "mean_similarity": round(sum(estimates) / len(estimates), 3),
                          "flagged": round(flagged / args.copies, 3)}))  # fmt: skip


if __name__ == "__main__":
    main()
