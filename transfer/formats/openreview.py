"""OpenReview (API v1 and v2): a venue's notes of every kind in one file (a JSON list, the
API's `{"notes": [...]}`, or openreview-py's `Note.to_json()` of each) and the affinity
CSV, with a header `paper_id,reviewer_email,score` or headerless as OpenReview's matching
setup takes it."""

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
    MemberRecord,
    PaperRecord,
    ReviewRecord,
    SourceField,
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
        # The API's answer, or one note as openreview-py's Note.to_json() writes it.
        document = [document] if "content" in document else document.get("notes", [])
    if not isinstance(document, list):
        report.error(0, "Expected a list of notes.")
        return []
    return document


def _kind(note: dict[str, Any]) -> str:
    """What a note is, by its invitation's last part (API v2 `invitations`, v1
    `invitation`): submission, review, meta_review, decision, comment or other."""
    if not note.get("replyto") or note.get("replyto") == note.get("id"):
        return "submission"
    invitations = [str(i) for i in (note.get("invitations") or [note.get("invitation", "")])]
    last = {i.rsplit("/", 1)[-1] for i in invitations}
    if last & {"Official_Review", "Review"}:
        return "review"
    if last & {"Meta_Review"}:
        return "meta_review"
    if last & {"Decision"}:
        return "decision"
    if any("Comment" in x or "Rebuttal" in x for x in last):
        return "comment"
    return "other"


def _label(key: str) -> str:
    """A content field's name as a question's label: `overall_recommendation` is
    "Overall recommendation"; a name with capitals or spaces is kept as it is."""
    if key != key.lower() or " " in key:
        return key
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _audience(field: Any) -> str:
    """Who reads a content field, by its own `readers` (API v2): the paper's authors, the
    committee, or the programme chairs alone; "" when the field does not say."""
    readers = field.get("readers") if isinstance(field, dict) else None
    if not readers:
        return ""
    last = {str(r).rsplit("/", 1)[-1] for r in readers}
    if "Authors" in last or "everyone" in readers:
        return "authors"
    if last & {"Reviewers", "Area_Chairs", "Senior_Area_Chairs"}:
        return "committee"
    return "chairs"


# A review's fields that are no answer: who wrote it, the note's own ids and times.
NOTE_PROPS = {"reviewer_email", "title"}


def _submission(line: str, note: dict[str, Any], report: Report) -> PaperRecord | None:
    content = note["content"]
    number = note.get("number")
    if number is not None:
        number = to_int(number, line, "number", report)
        if number is None:
            return None
    title = str(_value(content, "title")).strip()
    if not title:
        report.error(line, "The submission has no title.")
        return None
    names = _value(content, "authors", []) or []
    ids = _value(content, "authorids", []) or []
    if len(names) != len(ids) or not names:
        report.error(line, "authors and authorids must be lists of the same length.")
        return None
    authors = []
    profiles = {}
    for name, author_id in zip(names, ids, strict=True):
        author_id = str(author_id).strip()
        if "@" in author_id:
            authors.append(AuthorRecord(author_id.lower(), str(name), "", False))
        else:
            # An OpenReview profile id (~Jane_Doe1): the author is kept, without an address.
            authors.append(AuthorRecord("", str(name), "", False))
            profiles[str(name)] = author_id
    with_email = [a for a in authors if a.email]
    if with_email:
        with_email[0].contact = True
    else:
        report.warn(line, f"“{title}”: no author has an e-mail address here: no contact.")
    keywords = _value(content, "keywords", [])
    source: dict[str, Any] = {
        key: _value(content, key)
        for key in content
        if key not in {"title", "abstract", "authors", "authorids", "keywords", "pdf"}
        and _value(content, key) not in (None, "", [], {})
    }
    if profiles:
        source["OpenReview profiles"] = profiles
    for key in ("cdate", "tcdate", "pdate", "odate"):
        if note.get(key):
            source[key] = note[key]
    return PaperRecord(
        line=line,
        number=number or 0,  # 0: the importer numbers it after the workshop's papers
        title=title,
        abstract=str(_value(content, "abstract")),
        keywords=", ".join(keywords) if isinstance(keywords, list) else str(keywords),
        authors=authors,
        topics=[],
        status="withdrawn"
        if str(_value(content, "venueid")).endswith("/Withdrawn_Submission")
        else "submitted",
        external_id=str(note.get("forum") or note.get("id") or ""),
        source=source,
    )


# A venue's committee groups (`Group.to_json()`), by the last part of their id.
GROUP_ROLES = {
    "Reviewers": "reviewer",
    "Area_Chairs": "area_chair",
    "Senior_Area_Chairs": "area_chair",
    "Program_Chairs": "chair",
}


def _group(line: str, group: dict[str, Any], bundle: Bundle, report: Report) -> None:
    """A committee group's members: those named by address join the committee; a member
    named by a profile id is reported (the profiles, or a mapping, give the address)."""
    role = GROUP_ROLES.get(str(group.get("id", "")).rsplit("/", 1)[-1])
    if role is None:
        report.field("group", str(group.get("id", "")), "dropped: not a committee group")
        return
    for member in group.get("members") or []:
        member = str(member).strip()
        if "@" in member:
            bundle.members.append(MemberRecord(line=line, email=member.lower(), name="", role=role))
        else:
            report.warn(line, f"{group['id']}: member {member} has no address here: not imported.")
            report.field("group", "members", "dropped: a profile id, no address")


def parse_notes(data: bytes, report: Report) -> Bundle:
    """The notes of one venue, every kind in one file (the API's `{"notes": [...]}`, a list,
    or openreview-py's `Note.to_json()` of each): submissions, official reviews (their
    signature is an anonymous group: without `reviewer_email` the review is kept for the
    chairs), decisions (by their name, as a category), and meta-reviews and comments, kept
    for the chairs with their paper. Notes without a `number` (to_json of an unpublished
    submission) are numbered after the file's own numbers."""
    bundle = Bundle()
    for index, note in enumerate(_notes(data, report), start=1):
        line = f"note {index}"
        if isinstance(note, dict) and "members" in note and "content" not in note:
            _group(line, note, bundle, report)
            continue
        if not isinstance(note, dict) or not isinstance(note.get("content"), dict):
            report.error(line, "Expected a note with a content object.")
            continue
        content = note["content"]
        kind = _kind(note)
        if kind == "submission":
            record = _submission(line, note, report)
            if record is not None:
                bundle.papers.append(record)
            continue
        forum = str(note.get("forum") or note.get("replyto") or "")
        if kind == "review":
            signature = str((note.get("signatures") or [""])[0])
            answers = {
                k: to_number(_value(content, k))
                if k in ("rating", "confidence", "soundness", "presentation", "contribution")
                else _value(content, k)
                for k in content
                if k not in NOTE_PROPS
            }
            for key in answers:
                if key not in bundle.review_form:
                    bundle.review_form[key] = SourceField(
                        name=_label(key), visibility=_audience(content.get(key))
                    )
            email = str(_value(content, "reviewer_email") or note.get("reviewer_email") or "")
            bundle.reviews.append(
                ReviewRecord(
                    line=line,
                    paper=forum,
                    email=email.lower(),
                    name="" if email else signature,
                    answers=answers,
                    source_id=str(note.get("id") or ""),
                    source={"signature": signature, "note": note.get("id")},
                )
            )
            continue
        if kind == "decision":
            name = str(_value(content, "decision")).strip()
            bundle.decisions.append((line, forum, name))
            continue
        # Meta-reviews, comments, anything else: the chairs', with the paper.
        kept = {k: _value(content, k) for k in content}
        kept["signatures"] = note.get("signatures") or []
        bundle.kept.append((line, forum, kind, str(note.get("id") or line), kept))
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
