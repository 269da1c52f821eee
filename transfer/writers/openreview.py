"""The workshop as OpenReview API v2 objects, as openreview-py's `Note.to_json()` and
`Group.to_json()` write them, in one JSON list: the committee's groups (`…/Reviewers`,
`…/Area_Chairs`, `…/Program_Chairs`, members by e-mail, as a venue that invited people by
address has them), then each paper's submission note, its official reviews (signed by
the paper's anonymous reviewer groups; the reviewer's address in a `reviewer_email` field
only the programme chairs read), its meta-review and its decision. Content fields are
`{"value": …}`, named as OpenReview names its own (`title`, `authorids`, `keywords`) and,
for review questions, by the question's label in snake case.

What OpenReview has no place for is left out: conflicts (OpenReview computes them from
profiles), bids, topics' expertise, unsubmitted reviews. The `openreview-notes` import
takes the file back."""

from __future__ import annotations

import json
import re
from typing import Any

from reviews.models import QuestionVisibility
from submissions.models import SubmissionStatus
from workshop.models import Role, Workshop

from ..report import Progress
from .common import Snapshot, snapshot

GROUPS = {Role.REVIEWER: "Reviewers", Role.AREA_CHAIR: "Area_Chairs", Role.CHAIR: "Program_Chairs"}


def venue_id(workshop: Workshop) -> str:
    return f"{workshop.slug}.workshop/{workshop.pk}"


def field_id(label: str) -> str:
    """A question's label as an OpenReview content field ("Overall recommendation":
    `overall_recommendation`); the import matches it back by its words."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "field"


def _ms(value: Any) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def _v(value: Any, **extra: Any) -> dict[str, Any]:
    return {"value": value, **extra}


def _placeholder(name: str) -> str:
    return "~" + re.sub(r"\W+", "_", name).strip("_") + "_no_address"


def _groups(snap: Snapshot, venue: str) -> list[dict[str, Any]]:
    members: dict[str, list[str]] = {}
    for m in snap.members:
        members.setdefault(GROUPS[Role(m.role)], []).append(m.user.email)
    return [
        {
            "id": f"{venue}/{name}",
            "members": sorted(set(people)),
            "readers": [venue, f"{venue}/Program_Chairs"],
            "writers": [venue],
            "signatures": [venue],
            "signatories": [venue],
            "domain": venue,
        }
        for name, people in sorted(members.items())
    ]


def _submission(snap: Snapshot, paper: Any, venue: str) -> dict[str, Any]:
    authors = list(paper.authors.all())
    content: dict[str, Any] = {
        "title": _v(paper.title),
        "abstract": _v(paper.abstract),
        "authors": _v([a.name or a.email for a in authors]),
        # An author without an address has no profile either: named by a placeholder id
        # that holds no "@", which the import keeps as an author without an account.
        "authorids": _v([a.email or _placeholder(a.name) for a in authors]),
        "venueid": _v(
            f"{venue}/Withdrawn_Submission"
            if paper.status == SubmissionStatus.WITHDRAWN
            else f"{venue}/Submission"
        ),
    }
    if paper.keywords:
        content["keywords"] = _v([k.strip() for k in paper.keywords.split(",") if k.strip()])
    if snap.topics.get(paper.pk):
        content["subject_areas"] = _v(snap.topics[paper.pk])
    note: dict[str, Any] = {
        "id": f"{venue}/paper{paper.number}",
        "forum": f"{venue}/paper{paper.number}",
        "number": paper.number,
        "invitations": [f"{venue}/-/Submission"],
        "signatures": [f"{venue}/Submission{paper.number}/Authors"],
        "readers": [venue, f"{venue}/Submission{paper.number}/Authors"],
        "writers": [venue, f"{venue}/Submission{paper.number}/Authors"],
        "content": content,
        "domain": venue,
    }
    if paper.submitted_at:
        note["cdate"] = _ms(paper.submitted_at)
    return note


def _readers(venue: str, number: int) -> dict[str, list[str]]:
    """A review field's readers by who reads its question here."""
    chairs = [f"{venue}/Program_Chairs"]
    committee = [
        *chairs,
        f"{venue}/Submission{number}/Area_Chairs",
        f"{venue}/Submission{number}/Reviewers",
    ]
    return {
        QuestionVisibility.CHAIRS: chairs,
        QuestionVisibility.COMMITTEE: committee,
        QuestionVisibility.AUTHORS: [*committee, f"{venue}/Submission{number}/Authors"],
    }


def _reply(paper: Any, venue: str, kind: str, ident: str, signature: str) -> dict[str, Any]:
    forum = f"{venue}/paper{paper.number}"
    return {
        "id": ident,
        "forum": forum,
        "replyto": forum,
        "invitations": [f"{venue}/Submission{paper.number}/-/{kind}"],
        "signatures": [signature],
        "readers": [f"{venue}/Program_Chairs", f"{venue}/Submission{paper.number}/Reviewers"],
        "writers": [venue],
        "domain": venue,
    }


def openreview_notes(snap: Snapshot) -> list[dict[str, Any]]:
    venue = venue_id(snap.workshop)
    labels = {q.pk: field_id(q.label) for q in snap.questions}
    audience = {q.pk: q.visibility for q in snap.questions}
    items: list[dict[str, Any]] = _groups(snap, venue)
    reviews_of: dict[int, list[Any]] = {}
    for review in snap.reviews:
        reviews_of.setdefault(review.assignment.submission_id, []).append(review)
    for paper in snap.papers:
        if paper.status == SubmissionStatus.DRAFT:
            continue
        items.append(_submission(snap, paper, venue))
        for review in reviews_of.get(paper.pk, []):
            a = review.assignment
            group = f"{venue}/Submission{paper.number}/Reviewer_{a.pseudonym or review.pk}"
            note = _reply(paper, venue, "Official_Review", f"{venue}/review{review.pk}", group)
            readers = _readers(venue, paper.number)
            content = {
                labels[q]: _v(v, readers=readers[audience[q]])
                for q, v in snap.answers(review).items()
            }
            content["reviewer_email"] = _v(a.reviewer.email, readers=[f"{venue}/Program_Chairs"])
            note["content"] = content
            if review.submitted_at:
                note["cdate"] = _ms(review.submitted_at)
            items.append(note)
        meta = snap.meta_reviews.get(paper.pk)
        if meta is not None:
            note = _reply(
                paper, venue, "Meta_Review", f"{venue}/meta{paper.number}",
                f"{venue}/Submission{paper.number}/Area_Chair",
            )  # fmt: skip
            note["content"] = {
                "metareview": _v(meta.text),
                "recommendation": _v(meta.get_recommendation_display()),
            }
            items.append(note)
        decision = snap.decisions.get(paper.pk)
        if decision is not None:
            note = _reply(
                paper, venue, "Decision", f"{venue}/decision{paper.number}",
                f"{venue}/Program_Chairs",
            )  # fmt: skip
            note["content"] = {"decision": _v(decision.category.name)}
            items.append(note)
    return items


def openreview_export(*, workshop: Workshop, progress: Progress | None = None) -> bytes:
    """The workshop as OpenReview notes and groups (see the module). Reads only."""
    items = openreview_notes(snapshot(workshop))
    if progress:
        progress(1, 1)
    return json.dumps(items, indent=1, ensure_ascii=False).encode()
