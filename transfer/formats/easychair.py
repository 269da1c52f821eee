"""EasyChair: the CSV files of its "conference data" download, as its chairs get them: a
zip (or one file at a time) of submission.csv, author.csv, committee.csv, review.csv,
topics.csv, submission_topic.csv, committee_topic.csv, bidding.csv and metareview.csv
(meta-reviews: kept for the chairs with their paper).

The layout is EasyChair's own (see tests/data/transfer/real/easychair/README.md for where
it was learnt): UTF-8 without a byte-order mark, one header line, cells that run over
several lines. A review keeps every score in ONE `scores` cell, a line per field
("Overall evaluation: 8" / "Reviewer's confidence: 4"), and every text field in one `text`
cell, each field after its title in capitals and brackets ("(SUMMARY)"), the remarks for
the programme committee among them. Committee members are numbered in the conference
(`#`, the `member #` of the other files) apart from their person number (`person #`).
EasyChair's review form is not in the export: the scores' scale is never assumed here (the
importer shows the mapping to our questions and asks the chair to confirm it).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..limits import open_zip, read_member
from ..report import Report
from . import (
    UNDECIDED,
    AuthorRecord,
    BidRecord,
    Bundle,
    MemberRecord,
    PaperRecord,
    ReviewRecord,
    SourceField,
    csv_rows,
    is_true,
    outcome_of,
    split_name,
    to_int,
)

ROLES = {
    "pc member": "reviewer",
    "pc": "reviewer",
    "subreviewer": "reviewer",
    "senior pc member": "area_chair",
    "associate chair": "area_chair",
    "area chair": "area_chair",
    "chair": "chair",
    "track chair": "chair",
}
# EasyChair's bids, in our words. "conflict" declares a conflict there as it does here.
BIDS = {"yes": "eager", "maybe": "willing", "no": "not_willing", "conflict": "conflict"}
# The columns of review.csv, in EasyChair's order, for a file saved without its header line.
REVIEW_COLUMNS = (
    "#", "submission #", "member #", "member name", "number", "version", "text", "scores",
    "reviewer first name", "reviewer last name", "reviewer email", "reviewer person #",
    "date", "time", "attachment?",
)  # fmt: skip
# The one text field of a review whose text has no titled sections.
REVIEW_TEXT = "Review"
# A section of a review's text: its title in capitals and brackets, on a line of its own.
# Four characters at least: "(A)" or "(IV)" in a review's own text is no title.
SECTION = re.compile(r"^\(([A-Z][A-Z0-9 ,;:'’&/\-]{3,})\)[ \t]*$", re.MULTILINE)
# A line of the `scores` cell: "Field name: value".
SCORE_LINE = re.compile(r"^(?P<name>[^:]+?)\s*:\s*(?P<value>.*)$")
# Data of a record that is no answer: the chairs' to read, never text others read.
REVIEW_SOURCE = (
    "number", "version", "total score", "reviewer first name", "reviewer last name",
    "reviewer email", "reviewer person #", "attachment?",
)  # fmt: skip
PAPER_SOURCE = ("last updated", "form fields", "notified", "reviews sent", "authors")


def _at(name: str, line: object) -> str:
    return f"{name}:{line}"


def _title(section: str) -> str:
    """ "CONFIDENTIAL REMARKS FOR THE PROGRAMME COMMITTEE" as a label: "Confidential
    remarks for the programme committee"."""
    text = " ".join(section.split()).lower()
    return text[:1].upper() + text[1:]


def _visibility(section: str) -> str:
    """Who reads a text field in EasyChair: the remarks for the committee (or the chairs)
    stay with the committee; the rest is sent to the authors with the reviews."""
    lowered = section.lower()
    if (
        "confidential" in lowered
        or "programme committee" in lowered
        or "program committee" in (lowered)
    ):
        return "committee"
    return "authors"


def review_sections(text: str) -> list[tuple[str, str]]:
    """The text fields of a review's `text` cell, in order, as (label, text); a text with no
    titled section is the one field "Review". After a confidential section's title only
    another confidential title starts a field (EasyChair writes the remarks for the
    committee last): a line in them that looks like a title of a field the authors read
    never makes what follows such a field."""
    found: list[re.Match[str]] = []
    confidential = False
    for match in SECTION.finditer(text):
        private = _visibility(match.group(1)) != "authors"
        if confidential and not private:
            continue  # part of the confidential section before it
        found.append(match)
        confidential = confidential or private
    if not found:
        return [(REVIEW_TEXT, text.strip())] if text.strip() else []
    sections = []
    head = text[: found[0].start()].strip()
    if head:
        sections.append((REVIEW_TEXT, head))
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        sections.append((_title(match.group(1)), text[match.end() : end].strip()))
    return sections


def _score(value: str) -> int | None:
    """A score as EasyChair writes it: "8", "-2", "+1"; a label after it ("2 (accept)")
    is the form's, not part of the score."""
    found = re.match(r"^\s*([+-]?\d+)(?![\d.])", value)
    return int(found.group(1)) if found else None


def _keywords(cell: str) -> str:
    """EasyChair writes one keyword per line; a list written out by a script ("['a',
    'b']") is read too."""
    text = cell.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            items = None
        if isinstance(items, list):
            return ", ".join(str(k).strip() for k in items if str(k).strip())
    return ", ".join(k.strip() for k in text.splitlines() if k.strip())


def parse_submissions(
    data: bytes,
    report: Report,
    authors: bytes | None = None,
    name: str = "submission.csv",
    authors_name: str = "author.csv",
    topics: dict[int, list[str]] | None = None,
) -> Bundle:
    """Papers from submission.csv with their authors from author.csv (and their topics
    from submission_topic.csv). The decision `withdrawn`, or `deleted?` yes, is a
    withdrawn paper; `no decision` none; another name is a decision by that name."""
    bundle = Bundle()
    by_paper: dict[int, list[AuthorRecord]] = {}
    people: dict[int, list[dict[str, str]]] = {}
    if authors is not None:
        required = ("submission #", "first name", "last name", "email")
        for line, row in csv_rows(authors, report, required, name=authors_name):
            number = to_int(row["submission #"], line, "submission #", report)
            if number is None:
                continue
            email = row["email"].lower()
            if email and "@" not in email:
                report.error(line, f"email: not an e-mail address: {row['email']!r}.")
                continue
            by_paper.setdefault(number, []).append(
                AuthorRecord(
                    email,
                    split_name(row["first name"], row["last name"]),
                    row.get("affiliation", ""),
                    is_true(row.get("corresponding?", "")),
                )
            )
            extra = {
                k: row[k] for k in ("person #", "country", "web page") if row.get(k, "").strip()
            }
            people.setdefault(number, []).append(extra)
    for line, row in csv_rows(data, report, ("#", "title"), name=name):
        number = to_int(row["#"], line, "#", report)
        if number is None:
            continue
        if not row["title"]:
            report.error(line, f"title: submission {number} has none.")
            continue
        paper_authors = by_paper.get(number, [])
        if not paper_authors:
            report.error(line, f"#: no authors for submission {number} in {authors_name}.")
            continue
        if not any(a.contact for a in paper_authors):
            paper_authors[0].contact = True
        decision_raw = row.get("decision", "").strip()
        lowered = decision_raw.lower()
        withdrawn = lowered == "withdrawn" or is_true(row.get("deleted?", ""))
        decision = None
        if lowered not in UNDECIDED and lowered != "withdrawn":
            decision = outcome_of(decision_raw)
            if decision is None:
                report.error(
                    line,
                    f"decision: {decision_raw!r} is neither an accept nor a reject "
                    "(nor withdrawn, nor no decision).",
                )
                continue
        source: dict[str, Any] = {
            k: row[k] for k in PAPER_SOURCE if row.get(k, "").strip() and k != "authors"
        }
        if withdrawn and decision:
            # A deleted submission that had been decided: withdrawn here, where a withdrawn
            # paper has no decision; EasyChair's is kept for the chairs.
            report.warn(
                line,
                f"deleted?: submission {number} is deleted, with the decision "
                f"{decision_raw!r}: imported as withdrawn, the decision kept for the chairs.",
            )
            report.field("paper", "decision", "kept for the chairs: a deleted submission")
            source["decision (deleted submission)"] = decision_raw
            decision = None
        if any(people.get(number, [])):
            source["authors (EasyChair)"] = people[number]
        bundle.papers.append(
            PaperRecord(
                line=line,
                number=number,
                title=row["title"],
                abstract=row.get("abstract", ""),
                keywords=_keywords(row.get("keywords", "")),
                authors=paper_authors,
                topics=list((topics or {}).get(number, [])),
                status="withdrawn" if withdrawn else "submitted",
                decision=decision,
                decision_name=decision_raw if decision else "",
                external_id=row["#"],
                submitted_at=row.get("submitted", ""),
                source=source,
            )
        )
    return bundle


def parse_committee(
    data: bytes,
    report: Report,
    name: str = "committee.csv",
    topics: dict[str, list[str]] | None = None,
) -> Bundle:
    """The committee from committee.csv; `topics` (from committee_topic.csv) by member #."""
    bundle = Bundle()
    for line, row in csv_rows(data, report, ("first name", "last name", "email"), name=name):
        if "@" not in row["email"]:
            report.error(line, f"email: not an e-mail address: {row['email']!r}.")
            continue
        raw = row.get("role", "") or "PC member"
        role = ROLES.get(raw.strip().lower())
        if role is None:
            report.error(
                line,
                f"role: {raw!r} is not one of EasyChair's roles (PC member, senior PC member, "
                "associate chair, chair).",
            )
            continue
        chosen = (topics or {}).get(row.get("#", ""), [])
        bundle.members.append(
            MemberRecord(
                line=line,
                email=row["email"].lower(),
                name=split_name(row["first name"], row["last name"]),
                affiliation=row.get("affiliation", ""),
                role=role,
                topics=dict.fromkeys(chosen, "knowledgeable"),
            )
        )
    return bundle


def _review_rows(data: bytes, report: Report, name: str) -> Any:
    """review.csv's rows: by its header, or (a file saved without its header line, as some
    chairs' scripts write it back) by EasyChair's column order."""
    head = data.lstrip(b"\xef\xbb\xbf").split(b",", 2)
    if len(head) > 2 and head[0].strip().isdigit() and head[1].strip().isdigit():
        data = (",".join(f'"{c}"' for c in REVIEW_COLUMNS) + "\n").encode() + data
        for line, row in csv_rows(data, report, ("submission #", "scores"), name=name):
            number = int(str(line).rsplit(":", 1)[-1]) - 1
            yield _at(name, number), row
        return
    yield from csv_rows(data, report, ("submission #", "member name", "scores"), name=name)


def parse_reviews(
    data: bytes, report: Report, name: str = "review.csv", members: dict[str, str] | None = None
) -> Bundle:
    """Reviews from review.csv. `members` maps EasyChair member numbers to e-mail
    addresses (from committee.csv); without it, `member name` is resolved against the
    committee by the importer. A review written by a subreviewer is the PC member's, as in
    EasyChair; who wrote it is kept for the chairs only."""
    bundle = Bundle()
    form: dict[str, SourceField] = {}
    for line, row in _review_rows(data, report, name):
        number = to_int(row["submission #"], line, "submission #", report)
        if number is None:
            continue
        answers: dict[str, Any] = {}
        bad = False
        for entry in row["scores"].splitlines():
            if not entry.strip():
                continue
            found = SCORE_LINE.match(entry.strip())
            score = _score(found.group("value")) if found else None
            if found is None or score is None:
                report.error(
                    line,
                    f"scores: {entry.strip()!r} is not “field: score” with a whole number "
                    "(EasyChair writes one score a line, e.g. “Overall evaluation: 2”).",
                )
                bad = True
                continue
            field = found.group("name").strip()
            answers[field] = score
            if field not in form:
                lowered = field.lower()
                visibility = (
                    "committee"
                    if "confidence" in lowered or "expertise" in lowered
                    else "authors"
                    if "overall" in lowered
                    else ""
                )
                form[field] = SourceField(name=field, visibility=visibility)
        if bad:
            continue
        for label, text in review_sections(row.get("text", "")):
            if not text:
                continue
            answers[label] = text
            if label not in form:
                form[label] = SourceField(name=label, visibility=_visibility(label))
        email = (members or {}).get(row.get("member #", ""), "")
        source = {k: row[k] for k in REVIEW_SOURCE if row.get(k, "").strip()}
        source["member"] = row["member name"]
        bundle.reviews.append(
            ReviewRecord(
                line=line,
                paper=number,
                email=email,
                name=row["member name"],
                answers=answers,
                submitted_at=" ".join(p for p in (row.get("date", ""), row.get("time", "")) if p),
                source_id=row.get("#", ""),
                source=source,
            )
        )
    bundle.review_form = form
    return bundle


def parse_metareviews(data: bytes, report: Report, name: str = "metareview.csv") -> Bundle:
    """metareview.csv's meta-reviews (`recommendation`, `text`, `PC-only part`): kept for
    the chairs with their paper, as EasyChair had them (who wrote them, when)."""
    bundle = Bundle()
    for line, row in csv_rows(data, report, ("submission #", "recommendation"), name=name):
        number = to_int(row["submission #"], line, "submission #", report)
        if number is None:
            continue
        kept = {k: row[k] for k in row if row[k].strip()}
        bundle.kept.append(
            (line, number, "meta_review", f"{number}/{row.get('member #', '')}", kept)
        )
    return bundle


def parse_topics(data: bytes, report: Report, name: str = "topics.csv") -> list[str]:
    """The topics of topics.csv, without the area headings (`header?` yes)."""
    return [
        row["topic"]
        for _line, row in csv_rows(data, report, ("topic",), name=name)
        if row["topic"] and not is_true(row.get("header?", ""))
    ]


def _by_number(
    data: bytes, report: Report, name: str, key: str
) -> dict[str, list[tuple[Any, str]]]:
    """submission_topic.csv or committee_topic.csv: topics by submission or member #."""
    found: dict[str, list[tuple[Any, str]]] = {}
    for line, row in csv_rows(data, report, (key, "topic"), name=name):
        if to_int(row[key], line, key, report) is not None and row["topic"]:
            found.setdefault(row[key], []).append((line, row["topic"]))
    return found


def parse_bids(
    data: bytes, report: Report, members: dict[str, str], name: str = "bidding.csv"
) -> list[BidRecord]:
    """Bids of bidding.csv (yes, maybe, no, conflict), by member # through committee.csv."""
    bids = []
    for line, row in csv_rows(data, report, ("member #", "submission #", "bid"), name=name):
        number = to_int(row["submission #"], line, "submission #", report)
        value = BIDS.get(row["bid"].strip().lower())
        if value is None:
            report.error(line, f"bid: {row['bid']!r} is not one of {', '.join(BIDS)}.")
            continue
        email = members.get(row["member #"], "")
        if not email:
            report.error(
                line,
                f"member #: {row['member #']!r} ({row.get('member name', '')}) is not in "
                "committee.csv.",
            )
            continue
        if number is not None:
            bids.append(BidRecord(line=line, paper=number, email=email, value=value))
    return bids


def parse_bundle(data: bytes, report: Report) -> Bundle:
    """A zip holding any of EasyChair's files (see the module); each file is found by its
    name, wherever it sits in the zip."""
    archive = open_zip(data, report)
    bundle = Bundle()
    if archive is None:
        return bundle
    files = {n.rsplit("/", 1)[-1].lower(): n for n in archive.namelist() if n.endswith(".csv")}

    def read(*keys: str) -> tuple[str, bytes] | None:
        for key in keys:
            if key in files:
                try:
                    return key, read_member(archive, files[key])
                except ValueError as exc:  # a lying CRC-32 or a broken stream
                    report.error(files[key], f"{exc}.")
                    return None
        return None

    members: dict[str, str] = {}
    topics = read("topics.csv")
    if topics:
        bundle.topics = parse_topics(topics[1], report, topics[0])
    committee = read("committee.csv", "members.csv")
    if committee:
        chosen = read("committee_topic.csv")
        by_member = _by_number(chosen[1], report, chosen[0], "member #") if chosen else {}
        bundle.members = parse_committee(
            committee[1],
            report,
            committee[0],
            {k: [t for _, t in v] for k, v in by_member.items()},
        ).members
        for _line, row in csv_rows(committee[1], Report(), ("email",)):
            if row.get("#"):
                members[row["#"]] = row["email"].lower()
    submissions = read("submission.csv")
    if submissions:
        authors = read("author.csv")
        chosen = read("submission_topic.csv")
        by_paper = _by_number(chosen[1], report, chosen[0], "submission #") if chosen else {}
        bundle.papers = parse_submissions(
            submissions[1],
            report,
            authors[1] if authors else None,
            submissions[0],
            authors[0] if authors else "author.csv",
            {int(k): [t for _, t in v] for k, v in by_paper.items()},
        ).papers
    reviews = read("review.csv")
    if reviews:
        parsed = parse_reviews(reviews[1], report, reviews[0], members)
        bundle.reviews, bundle.review_form = parsed.reviews, parsed.review_form
    metareviews = read("metareview.csv")
    if metareviews:
        bundle.kept = parse_metareviews(metareviews[1], report, metareviews[0]).kept
    bids = read("bidding.csv")
    if bids:
        if committee:
            bundle.bids = parse_bids(bids[1], report, members, bids[0])
        else:
            report.error(bids[0], "bidding.csv names members by number: committee.csv is needed.")
    if not (committee or submissions or reviews or topics):
        report.error(0, "No submission.csv, committee.csv, review.csv or topics.csv in the zip.")
    return bundle
