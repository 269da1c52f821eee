"""OpenReview (API v2): submission notes and review notes (a JSON list, or the
`{"notes": [...]}` the API returns) and the affinity CSV `paper_id,reviewer_email,score`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from workshop.validators import finite_float

from ..report import Report
from . import (
    AffinityRecord,
    AuthorRecord,
    Bundle,
    PaperRecord,
    ReviewRecord,
    csv_rows,
    decode,
    json_document,
    to_int,
    to_number,
)


def _value(content: dict[str, Any], key: str, default: Any = "") -> Any:
    """API v2 wraps every field as {"value": ...}; API v1 did not."""
    raw = content.get(key, default)
    if isinstance(raw, dict) and "value" in raw:
        return raw["value"]
    return raw


def _notes(data: bytes, report: Report) -> list[Any]:
    document = json_document(data, report)
    if document is None:
        return []
    if isinstance(document, dict):
        document = document.get("notes", [])
    if not isinstance(document, list):
        report.error(0, "Expected a list of notes.")
        return []
    return document


def _is_review(note: dict[str, Any]) -> bool:
    invitations = note.get("invitations") or [note.get("invitation", "")]
    return note.get("replyto") is not None and any(
        str(i).endswith(("Official_Review", "Review")) for i in invitations
    )


def parse_notes(data: bytes, report: Report) -> Bundle:
    """Submissions (notes with a `number` and no `replyto`) and official reviews
    (`replyto` = the submission's forum id) from one or several files' notes."""
    bundle = Bundle()
    for index, note in enumerate(_notes(data, report), start=1):
        line = f"note {index}"
        if not isinstance(note, dict) or not isinstance(note.get("content"), dict):
            report.error(line, "Expected a note with a content object.")
            continue
        content = note["content"]
        if _is_review(note):
            signature = (note.get("signatures") or [""])[0]
            answers = {
                k: to_number(_value(content, k))
                if k in ("rating", "confidence", "soundness", "presentation", "contribution")
                else _value(content, k)
                for k in content
            }
            email = str(_value(content, "reviewer_email") or note.get("reviewer_email") or "")
            bundle.reviews.append(
                ReviewRecord(
                    line=line,
                    paper=str(note["replyto"]),
                    email=email.lower(),
                    name=signature,
                    answers=answers,
                )
            )
            continue
        number = to_int(note.get("number"), line, "number", report)
        title = str(_value(content, "title")).strip()
        names = _value(content, "authors", []) or []
        ids = _value(content, "authorids", []) or []
        if not title:
            report.error(line, "The submission has no title.")
        if len(names) != len(ids) or not names:
            report.error(line, "authors and authorids must be lists of the same length.")
            continue
        authors = []
        for name, author_id in zip(names, ids, strict=True):
            if "@" not in str(author_id):
                report.error(
                    line,
                    f"Author {name!r} has a profile id ({author_id}) but no "
                    "e-mail address: export the notes with e-mails (authorids).",
                )
                continue
            authors.append(AuthorRecord(str(author_id).lower(), str(name), "", False))
        if not authors or number is None or not title:
            continue
        authors[0].contact = True
        keywords = _value(content, "keywords", [])
        bundle.papers.append(
            PaperRecord(
                line=line,
                number=number,
                title=title,
                abstract=str(_value(content, "abstract")),
                keywords=", ".join(keywords) if isinstance(keywords, list) else str(keywords),
                authors=authors,
                topics=[],
                status="submitted",
                external_id=str(note.get("forum") or note.get("id") or ""),
            )
        )
    return bundle


def parse_affinity(data: bytes, report: Report) -> Bundle:
    """`paper_id,reviewer_email,score` with that header, or headerless rows of the shape
    OpenReview's matching setup takes (its venue tests write them with csv.writer):
    a paper's number or forum id, the reviewer's e-mail (or profile id), the score."""
    bundle = Bundle()
    text = decode(data, report)
    if text is None:
        return bundle
    first = next(csv.reader(io.StringIO(text)), [])
    if [c.strip().lower() for c in first[:3]] == ["paper_id", "reviewer_email", "score"]:
        rows = csv_rows(data, report, ("paper_id", "reviewer_email", "score"))
    else:
        rows = _headerless(text, report)
    for line, row in rows:
        try:
            score = finite_float(row["score"])
        except ValueError:  # nan, inf and 1e999 too: stored, they broke every matching run
            report.error(line, f"The score must be a finite number, not {row['score']!r}.")
            continue
        paper = to_int(row["paper_id"], line, "paper_id", Report())
        bundle.affinities.append(
            AffinityRecord(
                line=line,
                paper=paper if paper is not None else row["paper_id"],
                email=row["reviewer_email"].lower(),
                score=score,
            )
        )
    return bundle


def _headerless(text: str, report: Report) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != 3:
            report.error(line, f"Expected paper, reviewer and score, found {len(values)} fields.")
            continue
        paper, reviewer, score = (v.strip() for v in values)
        yield line, {"paper_id": paper, "reviewer_email": reviewer, "score": score}
