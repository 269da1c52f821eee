"""Parsers of other systems' exports: pure functions from bytes to dataclasses.

Every parsed record keeps where it came from (`line`: the CSV line, header = 1, or
`record N` in a JSON list), so the importer's report names the line of every problem.
Parsers never touch the database; problems of form (malformed file, missing column, a
score that is not a number) go to the report, problems of meaning (unknown topic,
duplicate paper, ambiguous e-mail) are found by `transfer.importers`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import ngettext

from workshop.csvexport import FORMULA_PREFIXES

from ..report import Report

# Decision words of the other systems' exports, to our outcomes.
DECISIONS = {
    "accept": "accept",
    "accepted": "accept",
    "reject": "reject",
    "rejected": "reject",
    "desk reject": "desk_reject",
    "desk rejected": "desk_reject",
}
# Decision words that say "no decision yet".
UNDECIDED = {"", "-", "no decision", "undecided", "none"}


@dataclass
class AuthorRecord:
    email: str  # "" when the other system kept an author without an address
    name: str
    affiliation: str = ""
    contact: bool = False


@dataclass
class SourceField:
    """A field of the other system's review form, as far as its export tells: who reads it
    there ("authors", "committee", "chairs"; "" when the export does not say) and, for a
    score, its lowest and highest value."""

    name: str
    visibility: str = ""
    scale: tuple[int, int] | None = None


@dataclass
class PaperRecord:
    line: Any
    number: int
    title: str
    abstract: str = ""
    keywords: str = ""
    authors: list[AuthorRecord] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)  # email -> kind
    status: str = "submitted"  # draft, submitted, withdrawn
    decision: str | None = None  # accept, reject, desk_reject
    external_id: str = ""
    submitted_at: str = ""  # as the other system wrote it (ISO date-time or Unix time)
    decision_name: str = ""  # the other system's own name for the decision
    # What the other system holds and we have no field for (tags, custom fields, ...):
    # chairs' eyes only, listed in the report, never written into text others read.
    source: dict[str, Any] = field(default_factory=dict)
    # The other system's shared and chairs-only tags: (name, value or None, visibility).
    tags: list[tuple[str, Any, str]] = field(default_factory=list)


@dataclass
class MemberRecord:
    line: Any
    email: str
    name: str
    affiliation: str = ""
    role: str = "reviewer"  # reviewer, area_chair, chair
    topics: dict[str, str] = field(default_factory=dict)  # topic name -> level
    # How the other system names this person (an OpenReview profile id), so later files
    # that name them so (affinity scores) find them after this import.
    source_id: str = ""


@dataclass
class ReviewRecord:
    line: Any
    paper: int | str  # our number, or an external id (OpenReview forum) resolved later
    email: str
    name: str = ""
    answers: dict[str, Any] = field(default_factory=dict)  # source field name -> value
    submitted: bool = True
    submitted_at: str = ""
    source_id: str = ""
    # The record's own data that is no answer (reviewer, e-mail, ids, times): chairs'
    # eyes only; an import never merges it into an answer or any text others read.
    source: dict[str, Any] = field(default_factory=dict)


@dataclass
class AffinityRecord:
    line: Any
    paper: int | str
    email: str
    score: float


@dataclass
class BidRecord:
    """A committee member's bid on a paper, in our words (eager, willing, not_willing,
    conflict)."""

    line: Any
    paper: int | str
    email: str
    value: str


@dataclass
class Bundle:
    """Everything one file holds."""

    papers: list[PaperRecord] = field(default_factory=list)
    members: list[MemberRecord] = field(default_factory=list)
    reviews: list[ReviewRecord] = field(default_factory=list)
    affinities: list[AffinityRecord] = field(default_factory=list)
    # The other system's review form, by field name, where the export carries it.
    review_form: dict[str, SourceField] = field(default_factory=dict)
    # Files that came with the records (a zip's PDFs), by their name in the zip.
    files: dict[str, bytes] = field(default_factory=dict)
    # Decisions given apart from their papers: (line, paper, the other system's name).
    decisions: list[tuple[Any, int | str, str]] = field(default_factory=list)
    # Records with no home here, kept for the chairs with their paper:
    # (line, paper, kind, source id, data).
    kept: list[tuple[Any, int | str, str, str, dict[str, Any]]] = field(default_factory=list)
    # The other system's topic list (created here when missing) and its members' bids.
    topics: list[str] = field(default_factory=list)
    bids: list[BidRecord] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.papers)
            + len(self.members)
            + len(self.reviews)
            + len(self.affinities)
            + len(self.decisions)
            + len(self.kept)
            + len(self.bids)
        )


def decode(data: bytes, report: Report) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.error(0, f"The file is not UTF-8 text (byte {exc.start}).")
        return None


# What our CSV writer (`workshop.csvexport.neutralise`) puts before a cell a spreadsheet
# would take for a formula: read back, the apostrophe goes and the value is as it was.
NEUTRALISED = tuple("'" + prefix for prefix in FORMULA_PREFIXES)


def unneutralised(value: str) -> str:
    return value[1:] if value.startswith(NEUTRALISED) else value


def csv_rows(
    data: bytes, report: Report, required: tuple[str, ...], *, name: str = ""
) -> Iterator[tuple[Any, dict[str, str]]]:
    """(line, row) with lower-cased, stripped column names; missing columns are reported
    once (line 1) and yield nothing. `line` is a record's FIRST line (a quoted cell may run
    over several), as "file:line" when `name` (the file's name, in a zip) is given."""
    text = decode(data, report)
    if text is None:
        return

    def at(line: int) -> Any:
        return f"{name}:{line}" if name else line

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        report.error(at(1), "The file is empty.")
        return
    except csv.Error as exc:
        report.error(at(1), f"Malformed CSV: {exc}")
        return
    missing = [c for c in required if c not in header]
    if missing:
        where = f" of {name}" if name else ""
        report.error(
            at(1),
            f"{ngettext('Missing column', 'Missing columns', len(missing))}{where}: "
            f"{', '.join(missing)}.",
        )
        return
    while True:
        first = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.error(at(first), f"Malformed CSV: {exc}")
            return
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            report.error(at(first), f"{len(values)} fields, the header has {len(header)}.")
            continue
        yield at(first), {h: unneutralised(v.strip()) for h, v in zip(header, values, strict=False)}


def json_document(data: bytes, report: Report) -> Any:
    text = decode(data, report)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        report.error(
            getattr(exc, "lineno", 0), f"Malformed JSON: {exc.msg if hasattr(exc, 'msg') else exc}"
        )
        return None


def json_records(
    data: bytes, report: Report, what: str, *, single: bool = False
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of a JSON list, each with its place ("record 3"); a malformed file, a
    document that is no list (one object too, unless `single`) or an item that is no object
    is reported, by place, and skipped."""
    document = json_document(data, report)
    if document is None:
        return
    if single and isinstance(document, dict):
        document = [document]
    if not isinstance(document, list):
        report.error(0, f"Expected a list of {what}.")
        return
    for index, item in enumerate(document, start=1):
        line = f"record {index}"
        if not isinstance(item, dict):
            report.error(line, "Expected an object.")
            continue
        yield line, item


def to_int(value: Any, line: Any, what: str, report: Report) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        report.error(line, f"{what} must be a whole number, not {value!r}.")
        return None


def to_number(value: Any) -> Any:
    """A score as a number when it is one ("4", "4. Accept" and 4 give 4), else the text."""
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    head = text.split(".")[0].split(" ")[0].split(":")[0]
    try:
        return int(head)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text  # nan, inf: not a score


def is_true(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "yes", "y", "true", "x", "✔"}


def split_name(first: str, last: str) -> str:
    return " ".join(p for p in (first.strip(), last.strip()) if p)


# Short words that abbreviated field ids skip ("ComAut" is "Comments for authors").
GLUE_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "the", "to"}


def words(text: str) -> list[str]:
    """The lower-cased words of a label, apostrophes of any kind dropped."""
    return re.findall(r"[a-z0-9]+", re.sub(r"['’`]", "", text.lower()))


def abbreviates(key: str, name: str) -> bool:
    """Whether `key` is a CamelCase abbreviation of the field name `name`, as HotCRP writes
    review fields in its JSON ("OveMer" for "Overall merit", "ComPC" for "Comments for
    PC"): each capitalised piece starts a word of the name, in order, skipping only glue
    words; later words of the name may be left out."""
    pieces = [p.lower() for p in re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z0-9]*|\d+", key)]
    if not pieces or "".join(pieces) != key.lower():
        return False
    names = words(name)
    at = 0
    for piece in pieces:
        while at < len(names) and not names[at].startswith(piece):
            if names[at] not in GLUE_WORDS:
                return False
            at += 1
        if at == len(names):
            return False
        at += 1
    return True


def outcome_of(name: str) -> str | None:
    """The outcome a decision's name says, when another system has its own names ("Accepted
    as poster", "Accept (Poster)", "Desk Rejected"): by its first word; None when it says
    none."""
    known = DECISIONS.get(name.strip().lower())
    if known:
        return known
    first = (words(name) or [""])[0]
    if first == "desk":
        return "desk_reject"
    if first.startswith("accept"):
        return "accept"
    if first.startswith("reject"):
        return "reject"
    return None
