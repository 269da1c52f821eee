"""EasyChair: the CSV files of its "conference data" download (submission.csv,
author.csv, committee.csv, review.csv), as a zip of those files or one file at a time."""

from __future__ import annotations

from ..limits import open_zip, read_member
from ..report import Report
from . import (
    DECISIONS,
    AuthorRecord,
    Bundle,
    MemberRecord,
    PaperRecord,
    ReviewRecord,
    SourceField,
    csv_rows,
    is_true,
    split_name,
    to_int,
    to_number,
)

ROLES = {
    "pc member": "reviewer",
    "pc": "reviewer",
    "subreviewer": "reviewer",
    "senior pc member": "area_chair",
    "chair": "chair",
    "track chair": "chair",
}

# EasyChair's review: the text and the overall evaluation are the authors' to read.
FORM = {
    "Review": SourceField(name="Review", visibility="authors"),
    "overall evaluation": SourceField(name="Overall evaluation", visibility="authors"),
    "confidence": SourceField(name="Confidence", visibility="committee"),
}


def _at(name: str, line: object) -> str:
    return f"{name}:{line}"


def parse_submissions(
    data: bytes,
    report: Report,
    authors: bytes | None = None,
    name: str = "submission.csv",
    authors_name: str = "author.csv",
) -> Bundle:
    bundle = Bundle()
    by_paper: dict[int, list[AuthorRecord]] = {}
    if authors is not None:
        rows = csv_rows(authors, report, ("submission #", "first name", "last name", "email"))
        for line, row in rows:
            number = to_int(row["submission #"], _at(authors_name, line), "submission #", report)
            if number is None:
                continue
            if "@" not in row["email"]:
                report.error(_at(authors_name, line), f"Not an e-mail address: {row['email']!r}.")
                continue
            by_paper.setdefault(number, []).append(
                AuthorRecord(
                    row["email"].lower(),
                    split_name(row["first name"], row["last name"]),
                    row.get("affiliation", ""),
                    is_true(row.get("corresponding?", "")),
                )
            )
    for line, row in csv_rows(data, report, ("#", "title")):
        where = _at(name, line)
        number = to_int(row["#"], where, "#", report)
        if number is None:
            continue
        if not row["title"]:
            report.error(where, "The paper has no title.")
            continue
        paper_authors = by_paper.get(number, [])
        if not paper_authors:
            report.error(where, f"No authors for submission {number} (author.csv is needed).")
            continue
        if not any(a.contact for a in paper_authors):
            paper_authors[0].contact = True
        decision_raw = row.get("decision", "").strip().lower()
        decision = DECISIONS.get(decision_raw)
        if decision_raw and decision is None and decision_raw not in ("no decision", "-"):
            report.error(where, f"Unknown decision {row['decision']!r}.")
        keywords = ", ".join(k.strip() for k in row.get("keywords", "").splitlines() if k.strip())
        bundle.papers.append(
            PaperRecord(
                line=where,
                number=number,
                title=row["title"],
                abstract=row.get("abstract", ""),
                keywords=keywords,
                authors=paper_authors,
                topics=[],
                status="withdrawn" if is_true(row.get("deleted?", "")) else "submitted",
                decision=decision,
                external_id=row["#"],
                submitted_at=row.get("submitted", ""),
            )
        )
    return bundle


def parse_committee(data: bytes, report: Report, name: str = "committee.csv") -> Bundle:
    bundle = Bundle()
    for line, row in csv_rows(data, report, ("first name", "last name", "email")):
        if "@" not in row["email"]:
            report.error(_at(name, line), f"Not an e-mail address: {row['email']!r}.")
            continue
        role = ROLES.get(row.get("role", "pc member").strip().lower())
        if role is None:
            report.error(_at(name, line), f"Unknown role {row.get('role')!r}.")
            continue
        bundle.members.append(
            MemberRecord(
                line=_at(name, line),
                email=row["email"].lower(),
                name=split_name(row["first name"], row["last name"]),
                affiliation=row.get("affiliation", ""),
                role=role,
            )
        )
    return bundle


def parse_reviews(
    data: bytes, report: Report, name: str = "review.csv", members: dict[str, str] | None = None
) -> Bundle:
    """`members` maps EasyChair member numbers to e-mail addresses (from committee.csv);
    without it, `member name` is resolved against the committee by the importer."""
    bundle = Bundle(review_form=dict(FORM))
    required = ("submission #", "member name", "overall evaluation")
    for line, row in csv_rows(data, report, required):
        where = _at(name, line)
        number = to_int(row["submission #"], where, "submission #", report)
        if number is None:
            continue
        email = (members or {}).get(row.get("member #", ""), "")
        answers = {"overall evaluation": to_number(row["overall evaluation"])}
        if row.get("confidence"):
            answers["confidence"] = to_number(row["confidence"])
        if row.get("text"):
            answers["Review"] = row["text"]
        bundle.reviews.append(
            ReviewRecord(
                line=where,
                paper=number,
                email=email,
                name=row["member name"],
                answers=answers,
                submitted_at=" ".join(p for p in (row.get("date", ""), row.get("time", "")) if p),
            )
        )
    return bundle


def parse_bundle(data: bytes, report: Report) -> Bundle:
    """A zip holding any of submission.csv (+ author.csv), committee.csv, review.csv."""
    archive = open_zip(data, report)
    bundle = Bundle()
    if archive is None:
        return bundle
    files = {n.rsplit("/", 1)[-1].lower(): n for n in archive.namelist() if n.endswith(".csv")}

    def read(key: str) -> tuple[str, bytes] | None:
        for short, full in files.items():
            if short.startswith(key):
                try:
                    return short, read_member(archive, full)
                except ValueError as exc:  # a lying CRC-32 or a broken stream
                    report.error(full, f"{exc}.")
                    return None
        return None

    members: dict[str, str] = {}
    committee = read("committee") or read("member")
    if committee:
        bundle.members = parse_committee(committee[1], report, committee[0]).members
        for _line, row in csv_rows(committee[1], Report(), ("email",)):
            if row.get("#") or row.get("person #"):
                members[row.get("#") or row.get("person #", "")] = row["email"].lower()
    submissions = read("submission")
    if submissions:
        authors = read("author")
        bundle.papers = parse_submissions(
            submissions[1],
            report,
            authors[1] if authors else None,
            submissions[0],
            authors[0] if authors else "author.csv",
        ).papers
    reviews = read("review")
    if reviews:
        parsed = parse_reviews(reviews[1], report, reviews[0], members)
        bundle.reviews, bundle.review_form = parsed.reviews, parsed.review_form
    if not (committee or submissions or reviews):
        report.error(0, "No submission.csv, committee.csv or review.csv in the archive.")
    return bundle
