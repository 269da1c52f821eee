"""Stemmed TF-IDF between papers and reviewers' publications, vectorised.

One analyzer for every caller (the bidding list, the matching instance, the fit explanation,
the evaluation command and the benchmark): lower-cased words of two or more letters or
digits, English stop words dropped, the Snowball English ("Porter 2") stemmer of PyStemmer
(no downloaded data), then unigrams and bigrams of the stems. Terms are hashed into
2**20 features (no vocabulary to build or keep: memory stays flat at 100,000 documents),
term frequencies are sublinear (1 + log tf), and the IDF is fitted on the papers being
matched, so that a paper-reviewer score does not depend on who else is on the committee.

A reviewer's profile is a list of documents (publication title and abstract, plus the free
text of the profile), each with a year. How the documents are combined into one score per
paper is a `Combine` choice; the evaluation command measures the choices
(`reviews.expertise.evaluation`), and `DEFAULT_COMBINE` is the one that measured best.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import Stemmer
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer
from sklearn.preprocessing import normalize

N_FEATURES = 2**20
_WORD = re.compile(r"[^\W_]{2,}")
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)


@dataclass(frozen=True)
class Document:
    """One piece of a reviewer's profile: a publication (title + abstract) or free text."""

    text: str
    year: int | None = None


@dataclass(frozen=True)
class Combine:
    """How a reviewer's documents make one score per paper.

    method "concat": one vector for the whole profile (documents' term counts added, each
      scaled by its recency weight), cosine with the paper;
    method "best_k": cosine with each document, times its recency weight, and the mean of
      the k best (fewer when the reviewer has fewer documents);
    method "centroid": the sum of the documents' unit TF-IDF vectors, each scaled by its
      recency weight, cosine with the paper (every document counts alike, however long);
    half_life: recency weighting, a document `half_life` years old counts half (None: off);
    stem: the stemmer on or off (off only for the evaluation's comparison).
    """

    method: str = "concat"
    k: int = 3
    half_life: float | None = None
    stem: bool = True

    def label(self) -> str:
        parts = [self.method if self.method != "best_k" else f"best-{self.k}"]
        parts.append(f"half-life {self.half_life:g}y" if self.half_life else "no recency")
        parts.append("stemmed" if self.stem else "not stemmed")
        return ", ".join(parts)


# Chosen on the gold-standard dataset of Stelmakh et al. 2023 (bench/affinity_eval.py; README,
# "Reviewer expertise"), among the concatenated profiles with half-lives of 1 to 8 years or
# none: over 20 random halvings of the 58 participants, the half-life chosen on one half and
# measured on the other won 20 times of 40 as 2.5 years, and the winners' loss on the other
# halves was 0.242 against 0.248 for the former 5 years. Best-k orders no better out of
# sample and costs about 2.5 times as much to build.
DEFAULT_COMBINE = Combine(method="concat", half_life=2.5, stem=True)


class Analyzer:
    """Text -> space-separated stems (stop words out). One instance per thread: the stemmer
    object is not thread-safe, and each keeps its own word -> stem cache."""

    def __init__(self, *, stem: bool = True) -> None:
        self.stem = stem
        self._stemmer = Stemmer.Stemmer("english") if stem else None
        self._cache: dict[str, str] = {}

    def tokens(self, text: str) -> list[str]:
        words = [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]
        if self._stemmer is None:
            return words
        cache = self._cache
        missing = [w for w in set(words) if w not in cache]
        if missing:
            cache.update(zip(missing, self._stemmer.stemWords(missing), strict=True))
        return [cache[w] for w in words]

    def __call__(self, text: str) -> str:
        return " ".join(self.tokens(text))


def _hasher() -> HashingVectorizer:
    return HashingVectorizer(
        lowercase=False,
        tokenizer=str.split,
        token_pattern=None,
        ngram_range=(1, 2),
        n_features=N_FEATURES,
        alternate_sign=False,
        norm=None,
        dtype=np.float32,
    )


def term_counts(texts: Iterable[str], *, stem: bool = True) -> sparse.csr_matrix:
    """Hashed unigram and bigram counts of the analysed texts (documents x N_FEATURES)."""
    texts = list(texts)
    if not texts:  # the hasher cannot take an empty sequence (StopIteration)
        return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)
    analyzer = Analyzer(stem=stem)
    return _hasher().transform(analyzer(t or "") for t in texts).tocsr()


def _sublinear(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """1 + log(tf) from one count up; below one count (a term seen only in older,
    recency-weighted publications) the weight is kept as it is. The two pieces meet at 1
    with the same slope, and a term present is never weighted zero (a logarithm clipped at
    zero made a term seen once in a publication older than ~7 years count for nothing)."""
    out = counts.copy()
    data = out.data
    many = data > 1.0
    data[many] = 1.0 + np.log(data[many])
    return out


class TextSpace:
    """The TF-IDF space of one set of papers: their vectors, and the means to put any other
    text in the same space. Build it once per request/run and reuse it."""

    def __init__(self, paper_texts: Sequence[str], *, stem: bool = True) -> None:
        self.stem = stem
        counts = term_counts(paper_texts, stem=stem)
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float32)
        self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        self.papers = self.weigh(counts)

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Counts -> L2-normalised sublinear TF-IDF rows."""
        if counts.shape[0] == 0:  # no papers under review (a decided workshop)
            return sparse.csr_matrix(counts.shape, dtype=np.float32)
        weighted = _sublinear(counts) @ sparse.diags(self.idf)
        return normalize(weighted.tocsr(), norm="l2", copy=False)

    def vectors(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.weigh(term_counts(texts, stem=self.stem))


def recency_weights(
    years: Sequence[int | None], half_life: float | None, reference_year: int | None
) -> np.ndarray:
    """A document `half_life` years older than `reference_year` (the workshop's submission
    deadline, never today's date: the same data scores the same whenever it is scored)
    counts half; undated documents and those of the reference year or later count fully."""
    if not half_life or reference_year is None:
        return np.ones(len(years), dtype=np.float32)
    return np.array(
        [1.0 if y is None else 0.5 ** (max(0, reference_year - y) / half_life) for y in years],
        dtype=np.float32,
    )


def newest_year(profiles: Sequence[Sequence[Document]]) -> int | None:
    """The latest year among the documents: the reference for recency when no workshop
    gives one (a file of ratings without its year, a comparison of two texts)."""
    years = [d.year for docs in profiles for d in docs if d.year is not None]
    return max(years) if years else None


def _flatten(
    profiles: Sequence[Sequence[Document]],
) -> tuple[list[str], list[int | None], np.ndarray]:
    texts: list[str] = []
    years: list[int | None] = []
    owner: list[int] = []
    for j, docs in enumerate(profiles):
        for d in docs:
            if d.text and d.text.strip():
                texts.append(d.text)
                years.append(d.year)
                owner.append(j)
    return texts, years, np.asarray(owner, dtype=np.int64)


def profile_scores(
    space: TextSpace,
    profiles: Sequence[Sequence[Document]],
    *,
    combine: Combine = DEFAULT_COMBINE,
    reference_year: int | None = None,
    block: int = 512,
) -> np.ndarray:
    """Text fit in [0, 1], papers x reviewers. Reviewers without documents get zeros.
    Recency counts back from `reference_year` (the workshop's submission deadline's year;
    None: the newest document's year), never from today's date."""
    if reference_year is None:
        reference_year = newest_year(profiles)
    n_papers, n_reviewers = space.papers.shape[0], len(profiles)
    result = np.zeros((n_papers, n_reviewers), dtype=np.float32)
    texts, years, owner = _flatten(profiles)
    if not n_papers or not texts:
        return result
    weights = recency_weights(years, combine.half_life, reference_year)
    counts = term_counts(texts, stem=space.stem)
    if combine.method == "concat":
        gather = sparse.csr_matrix(
            (weights, (owner, np.arange(len(texts)))), shape=(n_reviewers, len(texts))
        )
        reviewers = space.weigh((gather @ counts).tocsr())
        result[:] = (space.papers @ reviewers.T).toarray()
        return np.clip(result, 0.0, 1.0, out=result)
    docs = space.weigh(counts)
    if combine.method == "centroid":
        gather = sparse.csr_matrix(
            (weights, (owner, np.arange(len(texts)))), shape=(n_reviewers, len(texts))
        )
        reviewers = normalize((gather @ docs).tocsr(), norm="l2", copy=False)
        result[:] = (space.papers @ reviewers.T).toarray()
        return np.clip(result, 0.0, 1.0, out=result)
    return _best_k(space.papers, docs, weights, owner, n_reviewers, combine.k, block, result)


def _best_k(
    papers: sparse.csr_matrix,
    docs: sparse.csr_matrix,
    weights: np.ndarray,
    owner: np.ndarray,
    n_reviewers: int,
    k: int,
    block: int,
    result: np.ndarray,
) -> np.ndarray:
    """Mean of each reviewer's k best weighted document cosines, papers in blocks so that
    the papers x documents matrix never exists whole."""
    per = np.bincount(owner, minlength=n_reviewers)
    width = max(1, int(per.max()))
    # slot (reviewer, i) -> document index, -1 for padding; documents are grouped by owner
    starts = np.concatenate([[0], np.cumsum(per)[:-1]])
    slots = np.full((n_reviewers, width), -1, dtype=np.int64)
    rank = np.arange(len(owner)) - starts[owner]
    slots[owner, rank] = np.arange(len(owner))
    pad = slots < 0
    take = np.where(pad, 0, slots)
    kk = min(k, width)
    divisor = np.maximum(np.minimum(per, k), 1).astype(np.float32)
    docs_t = docs.T.tocsc()
    for start in range(0, papers.shape[0], block):
        sims = (papers[start : start + block] @ docs_t).toarray()
        sims *= weights[None, :]
        grid = sims[:, take]  # block x reviewers x width
        grid[:, pad] = 0.0
        if kk < width:
            grid = np.partition(grid, width - kk, axis=2)[:, :, width - kk :]
        result[start : start + block] = grid.sum(axis=2) / divisor[None, :]
    return np.clip(result, 0.0, 1.0, out=result)


def document_similarities(space: TextSpace, texts: Sequence[str]) -> np.ndarray:
    """Cosine of every paper with every text, papers x texts (for one reviewer's
    publications: the fit explanation's best matches)."""
    if not texts or not space.papers.shape[0]:
        return np.zeros((space.papers.shape[0], len(texts)), dtype=np.float32)
    return np.clip((space.papers @ space.vectors(texts).T).toarray(), 0.0, 1.0)


def best_documents(sims: np.ndarray, n: int = 2, floor: float = 0.0) -> list[list[int]]:
    """Per paper (row), the indices of the `n` most similar texts above `floor`, best first."""
    out = []
    for row in sims:
        order = np.argsort(-row, kind="stable")[:n]
        out.append([int(i) for i in order if row[i] > floor])
    return out
