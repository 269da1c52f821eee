"""Copied and empty reviews caught at submission (issue 26, item 3).

`review_text_check` runs inside the transaction of every submission of a review (the
reviewer's `review_submit` and the import's `review_import_write`), `review_text_check_many`
in the bulk import's (`review_import_write_many`). It keeps the MinHash
signature of the review's free-text answers and its LSH band keys
(`reviews.minhash`), looks up the workshop's reviews sharing a key in one query, and raises
a flag to the chairs (`review_flag_raise`) when the review

- nearly copies another review of the workshop (estimated Jaccard similarity of their
  word 5-shingles at least `NEAR_COPY`), by the same reviewer on another paper or by
  anyone else: `near_copy`, with the review it matches;
- is mostly the paper's own abstract (at least `ABSTRACT_SHARE` of its shingles are the
  abstract's): `abstract_copy`;
- has fewer words in its free text than the workshop's `review_min_words` (0: off):
  `too_short`.

The work per review is constant: a fixed number of queries and a comparison with the few
candidates the band keys return, never with every review of the workshop. A review
re-submitted without the problem loses that flag (the activity log keeps that it was
raised). The reviewer is told nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workshop.models import Workshop

from .. import minhash
from ..models import (
    Assignment,
    FlagKind,
    QuestionKind,
    Review,
    ReviewBand,
    ReviewFlag,
    ReviewQuestion,
    ReviewSignature,
)
from .flags import review_flag_raise

NEAR_COPY = minhash.NEAR_COPY
ABSTRACT_SHARE = 0.6
# Below this many shingles (about 15 words) a text is too short to call a copy: "Good paper,
# accept." written by two reviewers is a coincidence, and too_short is the check for it.
MIN_SHINGLES = 10
# Rows per statement of a batch: the keys of 1,000 reviews per lookup, 5,000 band rows per
# insert (well under PostgreSQL's 65,535 and SQLite's 32,766 parameters).
KEYS_PER_QUERY = 16000
SIGNATURES_PER_INSERT = 1000
BANDS_PER_INSERT = 5000
CHECKED = (FlagKind.NEAR_COPY, FlagKind.ABSTRACT_COPY, FlagKind.TOO_SHORT)


def free_text(questions: dict[int, ReviewQuestion], answers: dict[int, Any]) -> str:
    """The review's answers to text questions, in the form's order, as one text."""
    parts = [
        answers[qid]
        for qid in sorted(
            answers, key=lambda q: (questions[q].order, q) if q in questions else (0, q)
        )
        if qid in questions
        and questions[qid].kind == QuestionKind.TEXT
        and isinstance(answers[qid], str)
    ]
    return "\n\n".join(parts)


@dataclass
class _Text:
    """A review's free text as the checks read it."""

    review: Review
    assignment: Assignment
    tokens: list[str]
    shingles: set[str]
    sig: list[int] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, review: Review, assignment: Assignment, text: str) -> _Text:
        tokens = minhash.words(text)
        shingles = minhash.shingles(tokens)
        sig = minhash.signature(shingles) if len(shingles) >= MIN_SHINGLES else []
        return cls(review, assignment, tokens, shingles, sig, sorted(set(minhash.band_keys(sig))))


Finding = tuple[str, dict[str, Any], Review | None]


def _store(texts: Sequence[_Text], workshop: Workshop) -> None:
    """The texts' signatures (replacing earlier ones) and band keys: three queries for up
    to 312 reviews (a statement more per `BANDS_PER_INSERT` keys)."""
    ReviewBand.objects.filter(signature_id__in=[t.review.pk for t in texts]).delete()
    ReviewSignature.objects.bulk_create(
        [
            ReviewSignature(review=t.review, workshop=workshop, minhash=t.sig, words=len(t.tokens))
            for t in texts
        ],
        update_conflicts=True,
        unique_fields=["review"],
        update_fields=["minhash", "words", "workshop"],
        batch_size=SIGNATURES_PER_INSERT,
    )
    ReviewBand.objects.bulk_create(
        (
            ReviewBand(signature_id=t.review.pk, workshop=workshop, key=key)
            for t in texts
            for key in t.keys
        ),
        batch_size=BANDS_PER_INSERT,
    )


def _candidates(workshop: Workshop, keys: set[int]) -> list[ReviewSignature]:
    """The workshop's signatures sharing one of `keys`: one query per `KEYS_PER_QUERY`."""
    ordered = sorted(keys)
    found: dict[int, ReviewSignature] = {}
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        for signature in (
            ReviewSignature.objects.filter(
                workshop=workshop, bands__key__in=ordered[start : start + KEYS_PER_QUERY]
            )
            .select_related("review__assignment__submission")
            .distinct()
        ):
            found[signature.pk] = signature
    return list(found.values())


def _findings(text: _Text, candidates: Sequence[ReviewSignature], workshop: Workshop,
              later_than: int | None = None) -> list[Finding]:  # fmt: skip
    """What is wrong with one text. `candidates` may hold anything (they are checked on
    their keys); with `later_than`, a candidate written in the same batch counts as a
    source only if its review is older (lower id), so a pair is flagged once."""
    found: list[Finding] = []
    own = set(text.keys)
    for other in candidates:
        if other.review_id == text.review.pk or not own & set(minhash.band_keys(other.minhash)):
            continue
        if later_than is not None and other.review_id > text.review.pk:
            continue
        estimate = minhash.similarity(text.sig, other.minhash)
        if estimate >= NEAR_COPY:
            matched = other.review
            found.append((
                FlagKind.NEAR_COPY,
                {
                    "similarity": round(estimate, 2),
                    "matched_paper": matched.assignment.submission.number,
                    "matched_reviewer": matched.assignment.display_name,
                    "same_reviewer": matched.assignment.reviewer_id
                    == text.assignment.reviewer_id,
                },
                matched,
            ))  # fmt: skip
    if len(text.shingles) >= MIN_SHINGLES:
        abstract = minhash.shingles(minhash.words(text.assignment.submission.abstract))
        share = minhash.containment(text.shingles, abstract)
        if share >= ABSTRACT_SHARE:
            found.append((FlagKind.ABSTRACT_COPY, {"share": round(share, 2)}, None))
    words = len(text.tokens)
    if workshop.review_min_words and words < workshop.review_min_words:
        found.append(
            (FlagKind.TOO_SHORT, {"words": words, "minimum": workshop.review_min_words}, None)
        )
    return found


def _raise(text: _Text, found: list[Finding]) -> list[ReviewFlag]:
    review = text.review
    return [
        review_flag_raise(
            submission=text.assignment.submission,
            review=review,
            kind=kind,
            matched_review=matched,
            detail={**detail, "version": review.version},
        )[0]
        for kind, detail, matched in found
    ]


def review_text_check(
    *,
    review: Review,
    assignment: Assignment,
    questions: dict[int, ReviewQuestion],
    answers: dict[int, Any],
) -> list[ReviewFlag]:
    """Keep the signature of a just-submitted `review` of `assignment` (locked, with its
    paper and workshop; `answers`: the stored ones by question id) and flag it to the
    chairs if it is a near copy, mostly the abstract, or too short (see the module). Call
    inside the submitting transaction, after the answers are stored.

    Side effects: the review's signature and band keys rewritten; its earlier flags of the
    three kinds checked here that no longer hold deleted; each new flag with its activity
    entry (through `review_flag_raise`). Returns the flags that hold now.
    """
    workshop = assignment.submission.workshop
    text = _Text.of(review, assignment, free_text(questions, answers))
    _store([text], workshop)
    candidates = _candidates(workshop, set(text.keys)) if text.keys else []
    found = _findings(text, candidates, workshop)
    holding = {(kind, matched.pk if matched else None) for kind, _, matched in found}
    stale = [
        flag.pk
        for flag in ReviewFlag.objects.filter(review=review, kind__in=CHECKED)
        if (flag.kind, flag.matched_review_id) not in holding
    ]
    if stale:
        ReviewFlag.objects.filter(pk__in=stale).delete()
    return _raise(text, found)


def review_text_check_many(
    *,
    workshop: Workshop,
    questions: dict[int, ReviewQuestion],
    reviews: Sequence[tuple[Review, dict[int, Any]]],
) -> list[ReviewFlag]:
    """`review_text_check` for many new submitted reviews of `workshop` (each with its
    assignment, paper and answers; none has flags yet): the signatures and keys in three
    queries, the candidates of all of them in one query per `KEYS_PER_QUERY` keys. Two
    reviews of the batch that copy each other flag the later one (higher id), as if
    submitted one after the other.

    Side effects: the reviews' signatures and band keys; each flag with its activity entry.
    """
    if not reviews:
        return []
    texts = [
        _Text.of(review, review.assignment, free_text(questions, answers))
        for review, answers in reviews
    ]
    _store(texts, workshop)
    keys = {key for t in texts for key in t.keys}
    candidates = _candidates(workshop, keys) if keys else []
    flags: list[ReviewFlag] = []
    for text in texts:
        flags += _raise(text, _findings(text, candidates, workshop, later_than=text.review.pk))
    return flags
