"""Our own exports, read back: the chairs' submissions CSV (the admin's "Export the
selected submissions as CSV" and the API's `workshops/<slug>/submissions.csv`) and the
API's JSON (`/api/v1/submissions/`, `workshops/<slug>/reviews/`, a decision list), a page
as the API answers it (`{"results": [...]}`), a list of items, or a list of such pages.

The CSV carries what a spreadsheet needs: numbers, titles, statuses, topics by name,
authors with their addresses and affiliations, keywords, times; it has no abstract and no
contact flags (the first author with an address is made the contact). The API's JSON
carries a paper whole (topics only as ids of the source workshop: kept for the chairs);
reviews come with the reviewer's address when a chair fetched them (a pseudonym
otherwise: then the review is kept for the chairs), their answers by question label."""

from __future__ import annotations

from typing import Any

from ..report import Report
from . import (
    AuthorRecord,
    Bundle,
    PaperRecord,
    ReviewRecord,
    csv_rows,
    json_document,
    to_int,
)

# Our statuses (the CSV has their labels, the API their values) to a paper's state and
# the outcome of its decision.
STATUSES = {
    "draft": ("draft", None),
    "submitted": ("submitted", None),
    "withdrawn": ("withdrawn", None),
    "accepted": ("submitted", "accept"),
    "rejected": ("submitted", "reject"),
    "desk-rejected": ("submitted", "desk_reject"),
    "desk_rejected": ("submitted", "desk_reject"),
}
PAPER_FIELDS = {"number", "title", "abstract", "keywords", "authors", "status", "submitted_at"}


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";")] if cell.strip() else []


def _status(raw: str, line: Any, report: Report) -> tuple[str, str | None] | None:
    found = STATUSES.get(raw.strip().lower())
    if found is None:
        report.error(line, f"status: {raw!r} is not one of ours ({', '.join(STATUSES)}).")
    return found


def parse_submissions_csv(data: bytes, report: Report) -> Bundle:
    """The chairs' submissions CSV: one paper a row, its authors' names, addresses and
    affiliations in three cells, "; " between them."""
    bundle = Bundle()
    required = ("number", "title", "status", "authors", "emails")
    topics: list[str] = []
    for line, row in csv_rows(data, report, required, name="submissions.csv"):
        number = to_int(row["number"], line, "number", report)
        status = _status(row["status"], line, report)
        if number is None or status is None:
            continue
        names, emails = _split(row["authors"]), _split(row["emails"])
        affiliations = _split(row.get("affiliations", ""))
        if len(names) != len(emails):
            report.error(
                line,
                f"authors: {len(names)} names and {len(emails)} addresses (emails); each "
                "author needs one of each, in the same order.",
            )
            continue
        authors = [
            AuthorRecord(
                email.lower(), name, affiliations[i] if i < len(affiliations) else "", False
            )
            for i, (name, email) in enumerate(zip(names, emails, strict=True))
        ]
        with_email = [a for a in authors if a.email]
        if with_email:
            with_email[0].contact = True
        chosen = [row.get("primary topic", "").strip()] if row.get("primary topic") else []
        chosen += _split(row.get("secondary topics", ""))
        topics += [t for t in chosen if t not in topics]
        source = {
            k: row[k]
            for k in ("workshop", "type", "pages", "sha256", "updated at")
            if row.get(k, "").strip()
        }
        bundle.papers.append(
            PaperRecord(
                line=line,
                number=number,
                title=row["title"],
                keywords=row.get("keywords", ""),
                authors=authors,
                topics=chosen,
                status=status[0],
                decision=status[1],
                submitted_at=row.get("submitted at", ""),
                source=source,
            )
        )
    bundle.topics = topics
    return bundle


def _items(data: bytes, report: Report) -> list[tuple[str, dict[str, Any]]]:
    document = json_document(data, report)
    if document is None:
        return []
    pages = document if isinstance(document, list) else [document]
    items: list[tuple[str, dict[str, Any]]] = []
    for page_index, page in enumerate(pages, start=1):
        if isinstance(page, dict) and isinstance(page.get("results"), list):
            for index, item in enumerate(page["results"], start=1):
                items.append((f"page {page_index}, item {index}", item))
        else:
            items.append((f"item {page_index}", page))
    return items


def _paper(line: str, item: dict[str, Any], report: Report) -> PaperRecord | None:
    number = to_int(item.get("number"), line, "number", report)
    status = _status(str(item.get("status", "submitted")), line, report)
    if number is None or status is None:
        return None
    if not str(item.get("title") or "").strip():
        report.error(line, f"title: paper {number} has none.")
        return None
    authors = []
    for index, author in enumerate(item.get("authors") or [], start=1):
        if not isinstance(author, dict):
            report.error(line, f"authors: author {index} is not an object.")
            return None
        authors.append(
            AuthorRecord(
                str(author.get("email") or "").lower(),
                str(author.get("name") or ""),
                str(author.get("affiliation") or ""),
                bool(author.get("is_contact")),
            )
        )
    if not authors:
        report.error(line, f"authors: paper {number} has none.")
        return None
    source = {
        k: v
        for k, v in item.items()
        if k not in PAPER_FIELDS
        and k not in ("id", "paper", "supplementary", "created_at")
        and v not in (None, "", [], {})
    }
    return PaperRecord(
        line=line,
        number=number,
        title=str(item["title"]),
        abstract=str(item.get("abstract") or ""),
        keywords=str(item.get("keywords") or ""),
        authors=authors,
        status=status[0],
        decision=status[1],
        submitted_at=str(item.get("submitted_at") or ""),
        source=source,
    )


def parse_api_json(data: bytes, report: Report) -> Bundle:
    """Items of our API: papers (with `title` and `authors`), reviews (with `answers`),
    decisions (with `outcome` and `category`)."""
    bundle = Bundle()
    for line, item in _items(data, report):
        if not isinstance(item, dict):
            report.error(line, "Expected an object (a paper, a review or a decision).")
            continue
        if "answers" in item and "paper" in item:
            paper = to_int(item["paper"], line, "paper", report)
            if paper is None:
                continue
            reviewer = str(item.get("reviewer") or "")
            answers = {
                str(a.get("label")): a.get("value")
                for a in item.get("answers") or []
                if isinstance(a, dict) and a.get("label") and a.get("value") not in (None, "")
            }
            bundle.reviews.append(
                ReviewRecord(
                    line=line,
                    paper=paper,
                    email=reviewer.lower() if "@" in reviewer else "",
                    name="" if "@" in reviewer else reviewer,
                    answers=answers,
                    submitted=item.get("status") == "submitted",
                    submitted_at=str(item.get("submitted_at") or ""),
                )
            )
        elif "outcome" in item and "category" in item and "paper" in item:
            paper = to_int(item["paper"], line, "paper", report)
            if paper is not None:
                bundle.decisions.append((line, paper, str(item["category"])))
        elif "title" in item and "authors" in item:
            record = _paper(line, item, report)
            if record is not None:
                bundle.papers.append(record)
        else:
            report.error(line, "Neither a paper, a review nor a decision of our API.")
    return bundle
