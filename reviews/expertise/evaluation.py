"""Offline evaluation of the text fit against reviewers' own expertise ratings.

The file format (JSON, UTF-8), one object:

    {
      "reviewers": [
        {"id": "r1",
         "publications": [{"title": "...", "abstract": "...", "year": 2021}, ...],
         "text": "optional free text of the profile"}
      ],
      "papers": [{"id": "p1", "title": "...", "abstract": "...", "keywords": "..."}],
      "ratings": [{"reviewer": "r1", "paper": "p1", "expertise": 4}]
    }

`expertise` is the reviewer's own rating of their expertise for the paper, 1 (none) to 5
(expert); `abstract`, `keywords`, `year` and `text` may be left out; ids are strings.

The loss is the pairwise-ordering loss of Stelmakh, Wieting, Neubig and Shah (2023): for each
reviewer, over the pairs of papers they rated differently, the share of pairs that the model
orders against the reviewer's ratings, each pair weighted by the difference of the two
ratings; a tie in the model's scores counts half. The loss is the mean over reviewers who
have at least one such pair: 0 is perfect, 0.5 is chance, lower is better.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .text import Combine, Document, TextSpace, profile_scores


class EvaluationFileError(ValueError):
    """The file does not follow the format; the message says where."""


@dataclass
class EvaluationSet:
    reviewers: list[str]
    profiles: list[list[Document]]
    papers: list[str]
    paper_texts: list[str]
    ratings: list[tuple[int, int, int]]  # (reviewer index, paper index, expertise)


def _text(obj: Mapping, where: str) -> str:
    title = obj.get("title", "")
    abstract = obj.get("abstract", "") or ""
    if not isinstance(title, str) or not isinstance(abstract, str):
        raise EvaluationFileError(f"{where}: title and abstract must be strings")
    return f"{title}\n{abstract}"


def load(data: str | bytes) -> EvaluationSet:
    """Parse and check an evaluation file (raises EvaluationFileError with the place)."""
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise EvaluationFileError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise EvaluationFileError("the file must hold one JSON object")
    for key in ("reviewers", "papers", "ratings"):
        if not isinstance(raw.get(key), list):
            raise EvaluationFileError(f'"{key}" must be a list')
    reviewers, profiles = [], []
    for i, r in enumerate(raw["reviewers"]):
        where = f"reviewers[{i}]"
        if not isinstance(r, dict) or not isinstance(r.get("id"), str):
            raise EvaluationFileError(f'{where}: needs a string "id"')
        docs = []
        for k, pub in enumerate(r.get("publications") or []):
            if not isinstance(pub, dict):
                raise EvaluationFileError(f"{where}.publications[{k}]: must be an object")
            year = pub.get("year")
            if year is not None and not isinstance(year, int):
                raise EvaluationFileError(f"{where}.publications[{k}]: year must be a number")
            docs.append(Document(_text(pub, f"{where}.publications[{k}]"), year))
        if r.get("text"):
            docs.append(Document(str(r["text"])))
        reviewers.append(r["id"])
        profiles.append(docs)
    papers, texts = [], []
    for i, p in enumerate(raw["papers"]):
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise EvaluationFileError(f'papers[{i}]: needs a string "id"')
        papers.append(p["id"])
        texts.append(_text(p, f"papers[{i}]") + "\n" + str(p.get("keywords", "") or ""))
    ridx = {r: i for i, r in enumerate(reviewers)}
    pidx = {p: i for i, p in enumerate(papers)}
    if len(ridx) != len(reviewers) or len(pidx) != len(papers):
        raise EvaluationFileError("reviewer and paper ids must be unique")
    ratings = []
    for i, row in enumerate(raw["ratings"]):
        if not isinstance(row, dict):
            raise EvaluationFileError(f"ratings[{i}]: must be an object")
        if row.get("reviewer") not in ridx:
            raise EvaluationFileError(f"ratings[{i}]: unknown reviewer {row.get('reviewer')!r}")
        if row.get("paper") not in pidx:
            raise EvaluationFileError(f"ratings[{i}]: unknown paper {row.get('paper')!r}")
        level = row.get("expertise")
        if not isinstance(level, int) or not 1 <= level <= 5:
            raise EvaluationFileError(f"ratings[{i}]: expertise must be a whole number 1-5")
        ratings.append((ridx[row["reviewer"]], pidx[row["paper"]], level))
    return EvaluationSet(reviewers, profiles, papers, texts, ratings)


def ordering_loss(ratings: Sequence[tuple[int, int, int]], scores: np.ndarray) -> tuple[float, int]:
    """(loss, reviewers counted) for `scores` (papers x reviewers) against the ratings."""
    by_reviewer: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for r, p, level in ratings:
        by_reviewer[r].append((p, level))
    losses = []
    for r, rated in by_reviewer.items():
        wrong = total = 0.0
        for a in range(len(rated)):
            for b in range(a + 1, len(rated)):
                (pa, ea), (pb, eb) = rated[a], rated[b]
                if ea == eb:
                    continue
                weight = abs(ea - eb)
                sa, sb = float(scores[pa, r]), float(scores[pb, r])
                total += weight
                if sa == sb:
                    wrong += weight / 2
                elif (sa > sb) != (ea > eb):
                    wrong += weight
        if total:
            losses.append(wrong / total)
    return (float(np.mean(losses)) if losses else 0.5), len(losses)


def evaluate(data: EvaluationSet, combine: Combine, now_year: int | None = None) -> float:
    space = TextSpace(data.paper_texts, stem=combine.stem)
    scores = profile_scores(space, data.profiles, combine=combine, now_year=now_year)
    return ordering_loss(data.ratings, scores)[0]


# The variants the command measures with --variants (the choice is DEFAULT_COMBINE).
VARIANTS = [
    Combine("concat", stem=False),
    Combine("concat"),
    Combine("concat", half_life=3, stem=False),
    Combine("concat", half_life=3),
    Combine("concat", half_life=5, stem=False),
    Combine("concat", half_life=5),
    Combine("best_k", k=1),
    Combine("best_k", k=3, stem=False),
    Combine("best_k", k=3),
    Combine("best_k", k=3, half_life=4),
    Combine("best_k", k=5),
    Combine("best_k", k=5, half_life=4),
]
