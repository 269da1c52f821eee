"""Copied and empty reviews caught at submission (issue 26, item 3).

`review_text_check` runs inside the transaction of every submission of a review (the
reviewer's `review_submit` and the import's `review_import_write`). It keeps the MinHash
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

from typing import Any

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

NEAR_COPY = 0.8
ABSTRACT_SHARE = 0.6
# Below this many shingles (about 15 words) a text is too short to call a copy: "Good paper,
# accept." written by two reviewers is a coincidence, and too_short is the check for it.
MIN_SHINGLES = 10
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


def review_text_check(
    *,
    review: Review,
    assignment: Assignment,
    questions: dict[int, ReviewQuestion],
    answers: dict[int, Any],
) -> list[ReviewFlag]:
    """Keep the signature of a just-submitted `review` of `assignment` (locked, with its paper
    and workshop; `answers`: the stored ones by question id)
    and flag it to the chairs if it is a near copy, mostly the abstract, or too short (see
    the module). Call inside the submitting transaction, after the answers are stored.

    Side effects: the review's signature and band keys rewritten; its earlier flags of the
    three kinds checked here that no longer hold deleted; each new flag with its activity
    entry (through `review_flag_raise`). Returns the flags that hold now.
    """
    submission = assignment.submission
    workshop = submission.workshop
    tokens = minhash.words(free_text(questions, answers))
    shingles = minhash.shingles(tokens)
    sig = minhash.signature(shingles) if len(shingles) >= MIN_SHINGLES else []
    keys = sorted(set(minhash.band_keys(sig)))

    ReviewBand.objects.filter(signature_id=review.pk).delete()
    ReviewSignature.objects.bulk_create(
        [ReviewSignature(review=review, workshop=workshop, minhash=sig, words=len(tokens))],
        update_conflicts=True,
        unique_fields=["review"],
        update_fields=["minhash", "words", "workshop"],
    )
    found: list[tuple[str, dict[str, Any], Review | None]] = []
    if keys:
        ReviewBand.objects.bulk_create(
            ReviewBand(signature_id=review.pk, workshop=workshop, key=key) for key in keys
        )
        candidates = (
            ReviewSignature.objects.filter(workshop=workshop, bands__key__in=keys)
            .exclude(review=review)
            .select_related("review__assignment__submission")
            .distinct()
        )
        for other in candidates:
            estimate = minhash.similarity(sig, other.minhash)
            if estimate >= NEAR_COPY:
                matched = other.review
                found.append((
                    FlagKind.NEAR_COPY,
                    {
                        "similarity": round(estimate, 2),
                        "matched_paper": matched.assignment.submission.number,
                        "matched_reviewer": matched.assignment.display_name,
                        "same_reviewer": matched.assignment.reviewer_id
                        == assignment.reviewer_id,
                    },
                    matched,
                ))  # fmt: skip
    if len(shingles) >= MIN_SHINGLES:
        share = minhash.containment(shingles, minhash.shingles(minhash.words(submission.abstract)))
        if share >= ABSTRACT_SHARE:
            found.append((FlagKind.ABSTRACT_COPY, {"share": round(share, 2)}, None))
    if workshop.review_min_words and len(tokens) < workshop.review_min_words:
        found.append(
            (FlagKind.TOO_SHORT, {"words": len(tokens), "minimum": workshop.review_min_words}, None)
        )

    holding = {(kind, matched.pk if matched else None) for kind, _, matched in found}
    stale = [
        flag.pk
        for flag in ReviewFlag.objects.filter(review=review, kind__in=CHECKED)
        if (flag.kind, flag.matched_review_id) not in holding
    ]
    if stale:
        ReviewFlag.objects.filter(pk__in=stale).delete()
    return [
        review_flag_raise(
            submission=submission,
            review=review,
            kind=kind,
            matched_review=matched,
            detail={**detail, "version": review.version},
        )[0]
        for kind, detail, matched in found
    ]
