"""HotCRP: the paper JSON (`paperjson`, the "JSON" download of a search), the review CSV
and JSON ("Reviews" downloads) and the PC list CSV (Users > Download > PC info)."""

from __future__ import annotations

from typing import Any

from ..report import Report
from . import (
    DECISIONS,
    AuthorRecord,
    Bundle,
    MemberRecord,
    PaperRecord,
    ReviewRecord,
    csv_rows,
    json_records,
    split_name,
    to_int,
    to_number,
)

REVIEW_META = {
    "paper",
    "title",
    "review",
    "email",
    "reviewername",
    "round",
    "reviewer",
    "reviewtype",
    "submitted",
    "submitted_at",
    "object",
    "pid",
    "rid",
    "ordinal",
    "status",
    "modified_at",
    "first",
    "last",
    "affiliation",
    "blind",
}


def _topics(raw: Any) -> list[str]:
    if isinstance(raw, dict):  # older exports: {"Topic name": true}
        return [name for name, on in raw.items() if on]
    return [str(t) for t in raw or []]


def parse_papers(data: bytes, report: Report) -> Bundle:
    bundle = Bundle()
    for line, item in json_records(data, report, "papers", single=True):
        number = to_int(item.get("pid"), line, "pid", report)
        title = str(item.get("title") or "").strip()
        if not title:
            report.error(line, "The paper has no title.")
        authors = []
        for a in item.get("authors") or []:
            if not isinstance(a, dict) or not str(a.get("email", "")).strip():
                report.error(line, "Every author needs an email address.")
                continue
            name = split_name(str(a.get("first", "")), str(a.get("last", ""))) or str(
                a.get("name", "")
            )
            authors.append(
                AuthorRecord(
                    str(a["email"]).strip().lower(),
                    name or a["email"],
                    str(a.get("affiliation", "")),
                    bool(a.get("contact")),
                )
            )
        if not authors:
            report.error(line, "The paper has no authors.")
        if authors and not any(a.contact for a in authors):
            authors[0].contact = True
        status = str(item.get("status", "")).lower()
        if item.get("withdrawn") or status == "withdrawn":
            state = "withdrawn"
        elif item.get("submitted") or status in ("submitted", "accepted", "rejected"):
            state = "submitted"
        else:
            state = "draft"
        decision_raw = str(item.get("decision") or "").strip().lower()
        decision = DECISIONS.get(decision_raw)
        if decision_raw and decision is None and decision_raw not in ("unspecified", "none"):
            report.error(line, f"Unknown decision {item.get('decision')!r}.")
        conflicts = item.get("pc_conflicts") or {}
        if not isinstance(conflicts, dict):
            report.error(line, "pc_conflicts must map e-mail addresses to conflict types.")
            conflicts = {}
        keywords = (
            item.get("options", {}).get("keywords", "")
            if isinstance(item.get("options"), dict)
            else ""
        )
        if number is None or not title or not authors:
            continue
        bundle.papers.append(
            PaperRecord(
                line=line,
                number=number,
                title=title,
                abstract=str(item.get("abstract") or ""),
                keywords=str(keywords),
                authors=authors,
                topics=_topics(item.get("topics")),
                conflicts={str(k).lower(): str(v) for k, v in conflicts.items()},
                status=state,
                decision=decision,
                external_id=str(item.get("pid")),
                submitted_at=str(item.get("submitted_at") or ""),
            )
        )
    return bundle


def _review_answers(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: to_number(v) if not isinstance(v, str) or len(v) < 40 else v
        for k, v in row.items()
        if k.lower() not in REVIEW_META and v not in ("", None)
    }


def parse_reviews_csv(data: bytes, report: Report) -> Bundle:
    bundle = Bundle()
    for line, row in csv_rows(data, report, ("paper", "email")):
        number = to_int(row["paper"], line, "paper", report)
        if number is None:
            continue
        if not row["email"]:
            report.error(line, "The review has no reviewer e-mail.")
            continue
        bundle.reviews.append(
            ReviewRecord(
                line=line,
                paper=number,
                email=row["email"].lower(),
                name=row.get("reviewername", ""),
                answers=_review_answers(row),
            )
        )
    return bundle


def parse_reviews_json(data: bytes, report: Report) -> Bundle:
    bundle = Bundle()
    for line, item in json_records(data, report, "reviews"):
        number = to_int(item.get("pid", item.get("paper")), line, "pid", report)
        email = str(item.get("email") or item.get("reviewer_email") or "").lower()
        if not email:
            report.error(line, "The review has no reviewer e-mail.")
        if number is None or not email:
            continue
        submitted = item.get("submitted", item.get("status", "complete") != "draft")
        bundle.reviews.append(
            ReviewRecord(
                line=line,
                paper=number,
                email=email,
                name=str(item.get("reviewer", "")),
                answers=_review_answers(item),
                submitted=bool(submitted),
                submitted_at=str(item.get("submitted_at") or ""),
            )
        )
    return bundle


def parse_pc(data: bytes, report: Report) -> Bundle:
    bundle = Bundle()
    fixed = {
        "email",
        "first",
        "last",
        "affiliation",
        "roles",
        "tags",
        "name",
        "given_name",
        "family_name",
        "collaborators",
        "follow",
    }
    for line, row in csv_rows(data, report, ("email",)):
        if "@" not in row["email"]:
            report.error(line, f"Not an e-mail address: {row['email']!r}.")
            continue
        roles = row.get("roles", "").lower()
        role = "chair" if "chair" in roles else "reviewer"
        if "metareviewer" in roles or "area" in roles:
            role = "area_chair"
        topics = {}
        for column, value in row.items():
            if column in fixed or not value:
                continue
            if column.startswith("topic:"):
                column = column[6:].strip()
            level = to_number(value)
            if isinstance(level, int):
                topics[column] = "expert" if level >= 2 else "knowledgeable" if level > 0 else ""
        name = split_name(
            row.get("first", row.get("given_name", "")), row.get("last", row.get("family_name", ""))
        ) or row.get("name", "")
        bundle.members.append(
            MemberRecord(
                line=line,
                email=row["email"].lower(),
                name=name or row["email"],
                affiliation=row.get("affiliation", ""),
                role=role,
                topics={k: v for k, v in topics.items() if v},
            )
        )
    return bundle
