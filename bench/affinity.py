"""Benchmark of the expertise model at scale: 10,000 papers x 5,000 reviewers x 20
publications each (synthetic scholarly text, `reviews.expertise.synthetic`).

Run ``.venv/bin/python bench/affinity.py [--papers 10000] [--reviewers 5000]
[--publications 20] [--combine concat|best_k] [--embedding [--dimension 384]]``.

It builds, with the functions the site uses and no database, (1) the matching instance's
input: the TF-IDF space of the papers, the text fit of every reviewer for every paper from
their publications (the default combination), the topic fit and a bid matrix, summed into
the affinity matrix; and (2) one reviewer's bidding list: their fit for every paper with the
explanation (two best publications per paper), sorted. One JSON line per stage with its
seconds, then one with the totals and the process's peak resident memory (ru_maxrss, which
includes the generated text). Target: <= 60 s and <= 2 GB. Figures only; `cpu_seconds`
(this process's CPU time, all threads; the database server's work not included) helps to
read them on a busy machine.

With ``--embedding`` the instance's input also has the embedding part, read from the
vector store as the site reads it (`reviews.services.embeddings.StoredModel` over
`TextEmbedding` rows) with every vector cached: a throwaway database (PostgreSQL
``bench_affinity_<pid>`` when DATABASE_URL names one, dropped at the end; else a SQLite
file) is migrated and filled first (not part of the build) with one vector per distinct
text from a stand-in encoder (deterministic random unit vectors of ``--dimension``; the
store and the scores do not care which model made them). The line says how many texts the
build encoded (0: all cached); then one paper is added and the embedding part rebuilt, which
encodes exactly that one text.
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
from reviews.expertise.embedding import embedding_scores, text_hash
from reviews.expertise.synthetic import Corpus
from reviews.expertise.text import DEFAULT_COMBINE, Combine, Document


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class StandIn:
    """A stand-in encoder: a deterministic random unit vector per text (seeded by its
    hash), counting the texts it is asked for."""

    name = "bench-stand-in"

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self.encoded = 0

    def encode(self, texts):
        self.encoded += len(texts)
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int(text_hash(text)[:16], 16)
            out[i] = np.random.default_rng(seed).standard_normal(self.dimension)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def throwaway_database() -> str | None:
    """Point Django at a new database before setup: PostgreSQL when DATABASE_URL names one
    (its name returned, to drop at the end), else a SQLite file in a temporary directory."""
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workshop.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    default = settings.DATABASES["default"]
    name = None
    if default["ENGINE"].endswith("postgresql"):
        name = f"bench_affinity_{os.getpid()}"
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="bench-affinity-"), "bench.sqlite3")
        settings.DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    if name:
        connection = connections["default"]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = name
    call_command("migrate", verbosity=0, interactive=False)
    return name


def drop_database(name: str | None) -> None:
    if not name:
        return
    from django.db import connections

    connections.close_all()
    with connections["default"]._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def embedding_stage(
    args, paper_texts: list[str], profiles: list[list[Document]], affinity: np.ndarray
) -> float:
    """The embedding part of the instance's input with every vector in the store, added to
    `affinity` (as `matching_input` adds it, weight 1); then one paper more. Its seconds."""
    database = throwaway_database()
    try:
        from reviews.services.embeddings import StoredModel, text_vectors_compute

        model = StandIn(args.dimension)
        doc_texts = [[d.text for d in docs] for docs in profiles]
        t = time.perf_counter()
        stored = text_vectors_compute(
            model=model, texts=paper_texts + [x for docs in doc_texts for x in docs]
        )
        print(
            json.dumps(
                {
                    "stage": "fill the vector store (not part of the build)",
                    "vectors": stored,
                    "dimension": args.dimension,
                    "seconds": round(time.perf_counter() - t, 2),
                    "peak_mb": peak_mb(),
                }
            )
        )
        model.encoded = 0
        t, cpu = time.perf_counter(), time.process_time()
        embedding = embedding_scores(StoredModel(model), paper_texts, doc_texts)
        affinity += embedding
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        print(
            json.dumps(
                {
                    "stage": "embedding part of the matching input, all vectors cached",
                    "texts_read": len(paper_texts) + sum(len(d) for d in doc_texts),
                    "encoded": model.encoded,
                    "seconds": round(seconds, 2),
                    "cpu_seconds": round(cpu, 2),
                    "peak_mb": peak_mb(),
                    "shape": list(embedding.shape),
                }
            )
        )
        del embedding
        model.encoded = 0
        t = time.perf_counter()
        one_more = [*paper_texts, "A new paper on speculative decoding\nDrafts verified."]
        embedding = embedding_scores(StoredModel(model), one_more, doc_texts)
        print(
            json.dumps(
                {
                    "stage": "embedding part after adding one paper",
                    "papers": len(one_more),
                    "encoded": model.encoded,
                    "seconds": round(time.perf_counter() - t, 2),
                    "peak_mb": peak_mb(),
                }
            )
        )
        del embedding
    finally:
        drop_database(database)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=5_000)
    parser.add_argument("--publications", type=int, default=20)
    parser.add_argument("--combine", choices=["concat", "best_k"], default=DEFAULT_COMBINE.method)
    parser.add_argument(
        "--embedding",
        action="store_true",
        help="add the embedding part, read from a vector store with every vector cached",
    )
    parser.add_argument("--dimension", type=int, default=384)
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

    build, build_cpu = time.perf_counter(), time.process_time()
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
    instance_cpu = time.process_time() - build_cpu
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
                "cpu_seconds": round(instance_cpu, 2),
                "peak_mb": peak_mb(),
                "affinity_shape": list(affinity.shape),
            }
        )
    )
    if args.embedding:
        embedding_seconds = embedding_stage(args, paper_texts, profiles, affinity)
        print(
            json.dumps(
                {
                    "stage": "matching instance input with the embedding part (cached)",
                    "seconds": round(instance_seconds + embedding_seconds, 2),
                    "peak_mb": peak_mb(),
                    "target": "<= 60 s, <= 2048 MB",
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
