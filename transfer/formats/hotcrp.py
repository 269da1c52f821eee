"""HotCRP: the paper JSON (`batch/paperjson.php`, the API's `/papers`, the "JSON" and "JSON
with attachments" downloads of a search), the review CSV (`batch/reviewcsv.php` and the
"Reviews (CSV)" download) and the review JSON (the API's `/reviews`, or the reviews inside
a paper JSON written with `-r`), HotCRP's settings JSON (its review form) and the PC list
CSV (Users › Download › PC info).

The fixtures in `tests/data/transfer/real/hotcrp/` are what HotCRP itself wrote; their
README says how they were made. What an export holds that has no field here (tags, custom
fields, collaborators, the reviewer's e-mail, versions) is kept in the record's `source`
for the chairs, and never written into text that others read.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from reviews.models.tags import TAG_NAME

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
    abbreviates,
    csv_rows,
    decode,
    outcome_of,
    split_name,
    to_int,
    to_number,
)

# The fields of HotCRP's review-field library, with who reads each there by default: used
# to resolve a review JSON's abbreviated keys when no settings JSON comes with it, and to
# know whether a text without a home here was written for the authors.
LIBRARY = {
    "Overall merit": "authors",
    "Reviewer expertise": "authors",
    "Reviewer confidence": "authors",
    "Confidence": "authors",
    "Paper summary": "authors",
    "Comments for authors": "authors",
    "Comments for PC": "committee",
    "Questions for authors’ response": "authors",
    "Novelty": "authors",
    "Writing quality": "authors",
    "Experimental methodology": "authors",
    "Strengths": "authors",
    "Weaknesses": "authors",
}
# HotCRP's `visibility` of a review field, in our words.
VISIBILITY = {
    "au": "authors",
    "audec": "authors",
    "re": "committee",
    "pc": "committee",
    "admin": "chairs",
    "secret": "chairs",
}
# Columns of the review CSVs that are the record's own data, not answers.
CSV_META = {
    "pid",
    "paper",
    "title",
    "review",
    "email",
    "reviewername",
    "reviewer",
    "round",
    "submitted_at",
    "modified_at",
    "vtag",
    "status",
    "reviewtype",
    "first",
    "last",
    "given_name",
    "family_name",
    "affiliation",
}
# Paper JSON keys read into fields of ours; every other key is kept as source data.
PAPER_KEYS = {
    "object",
    "pid",
    "title",
    "abstract",
    "authors",
    "contacts",
    "topics",
    "pc_conflicts",
    "status",
    "submitted",
    "submitted_at",
    "withdrawn",
    "decision",
    "reviews",
    "submission",
    "final",
    "modified_at",
}


def _topics(raw: Any) -> list[str]:
    if isinstance(raw, dict):  # older exports: {"Topic name": true}
        return [name for name, on in raw.items() if on]
    return [str(t) for t in raw or []]


def _person(raw: dict[str, Any]) -> tuple[str, str, str]:
    """(e-mail, name, affiliation) of a HotCRP person: current exports write `given_name`
    and `family_name`, older ones `first` and `last`, some only `name`."""
    email = str(raw.get("email") or "").strip().lower()
    name = split_name(
        str(raw.get("given_name", raw.get("first", "")) or ""),
        str(raw.get("family_name", raw.get("last", "")) or ""),
    ) or str(raw.get("name") or "")
    return email, name.strip(), str(raw.get("affiliation") or "").strip()


def _documents(data: bytes, report: Report) -> tuple[list[Any], dict[str, bytes]]:
    """The JSON documents of a file: the file itself, or every `.json` in a zip (HotCRP's
    "JSON with attachments" download, or an export packed with its settings JSON); the
    zip's other members by name (the PDFs)."""
    if not data.startswith(b"PK"):
        text = decode(data, report)
        if text is None:
            return [], {}
        try:
            return [json.loads(text)], {}
        except ValueError as exc:
            report.error(getattr(exc, "lineno", 0), f"Malformed JSON: {getattr(exc, 'msg', exc)}")
            return [], {}
    archive = open_zip(data, report)
    if archive is None:
        return [], {}
    documents: list[Any] = []
    files: dict[str, bytes] = {}
    for name in archive.namelist():
        if name.endswith("/"):
            continue
        try:
            content = read_member(archive, name)
        except (ValueError, OSError) as exc:
            report.error(name, f"Cannot read {name} from the zip: {exc}.")
            continue
        if name.lower().endswith(".json"):
            inner = Report()
            text = decode(content, inner)
            try:
                documents.append(json.loads(text) if text is not None else None)
            except ValueError as exc:
                report.error(name, f"Malformed JSON in {name}: {getattr(exc, 'msg', exc)}")
        else:
            files[name] = content
    return [d for d in documents if d is not None], files


def _split(documents: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """(papers, reviews, settings) of HotCRP's documents: a list, the API's
    {"ok": true, "papers" | "reviews": [...]}, one object, or the settings object."""
    papers: list[Any] = []
    reviews: list[Any] = []
    settings: list[Any] = []
    for document in documents:
        if isinstance(document, dict):
            if isinstance(document.get("rf"), list | dict):
                settings.append(document)
                continue
            if isinstance(document.get("papers"), list):
                document = document["papers"]
            elif isinstance(document.get("reviews"), list):
                document = document["reviews"]
            elif isinstance(document.get("paper"), dict):
                document = [document["paper"]]
            elif isinstance(document.get("review"), dict):
                document = [document["review"]]
            else:
                document = [document]
        if not isinstance(document, list):
            continue
        for item in document:
            kind = item.get("object") if isinstance(item, dict) else None
            if kind == "review" or (isinstance(item, dict) and "rid" in item):
                reviews.append(item)
            else:
                papers.append(item)
    return papers, reviews, settings


def review_form(settings: list[Any]) -> dict[str, SourceField]:
    """HotCRP's review form from its settings JSON (`batch/settings.php`, or Settings ›
    Review form › JSON): each field's name, who reads it and, for a score, its scale."""
    form: dict[str, SourceField] = {}
    for document in settings:
        fields = document["rf"]
        for item in fields.values() if isinstance(fields, dict) else fields:
            if not isinstance(item, dict) or not item.get("name"):
                continue
            values = item.get("values") or item.get("options") or []
            scale = (1, len(values)) if item.get("type", "radio") != "text" and values else None
            form[str(item["name"])] = SourceField(
                name=str(item["name"]),
                visibility=VISIBILITY.get(str(item.get("visibility", "")), "committee"),
                scale=scale,
            )
    return form


def _library_form() -> dict[str, SourceField]:
    return {name: SourceField(name=name, visibility=seen) for name, seen in LIBRARY.items()}


def resolve_key(key: str, form: dict[str, SourceField]) -> str | None:
    """The field name a review JSON key stands for: the name itself, or the one name of
    the form it abbreviates (HotCRP writes "OveMer" for "Overall merit"); None when no
    field, or more than one, fits."""
    if key in form:
        return key
    lowered = {name.lower(): name for name in form}
    if key.lower() in lowered:
        return lowered[key.lower()]
    fits = [name for name in form if abbreviates(key, name)]
    return fits[0] if len(fits) == 1 else None


# HotCRP's own properties of a review record (never an answer, whatever the form says).
REVIEW_PROPS = {
    "object", "pid", "rid", "version", "vtag", "ordinal", "rtype", "round", "status",
    "blind", "reviewer", "reviewer_email", "reviewer_given_name", "reviewer_family_name",
    "reviewer_affiliation", "email", "editable", "my_request", "modified_at",
    "modified_at_text", "submitted_at", "submitted_at_text", "submitted", "user_rating",
    "ratings", "draft", "subreview", "needs_submit", "approved", "message_list", "tags",
    "paper", "review", "requester", "requester_email", "ok",
}  # fmt: skip


def _is_field_key(key: str) -> bool:
    """HotCRP writes review fields under capitalised keys (their search keywords, e.g.
    `OveMer`, `ComPC`); its own properties (`reviewer_email`, `modified_at`) are lower
    case."""
    return bool(re.match(r"[A-Z]", key))


def hotcrp_tags(raw: Any) -> tuple[list[tuple[str, Any, str]], list[str]]:
    """HotCRP's `tags` of a paper ("name#value"): (the shared and chair-only ones to import,
    those left in the source). `~~name` is a chair-only tag; `~name` and `12~name` are
    someone's private tag (left out: another system's private notes are not the chairs' to
    read); `#0`, HotCRP's value of a tag set without one, is no value here. A name this
    system cannot hold (`:` and the like) stays in the source for the chairs."""
    imported: list[tuple[str, Any, str]] = []
    kept: list[str] = []
    for entry in raw if isinstance(raw, list) else []:
        text = str(entry).strip()
        visibility = "shared"
        if text.startswith("~~"):
            text, visibility = text[2:], "chairs"
        elif "~" in text.split("#", 1)[0]:
            continue  # a private tag
        name, _, value = text.partition("#")
        number: Decimal | None = None
        if value and value not in ("0", "0.0"):
            try:
                number = Decimal(value)
            except InvalidOperation:
                kept.append(str(entry))
                continue
        if not re.match(TAG_NAME, name.lower()) or (
            number is not None and (not number.is_finite() or abs(number) >= 10_000_000)
        ):
            kept.append(str(entry))
            continue
        imported.append((name.lower(), number, visibility))
    return imported, kept


def _paper(line: str, item: dict[str, Any], report: Report) -> PaperRecord | None:
    number = to_int(item.get("pid"), line, "pid", report)
    title = str(item.get("title") or "").strip()
    if not title:
        report.error(line, f"Paper {item.get('pid', '?')} has no title.")
    contacts = {
        _person(c)[0] for c in item.get("contacts") or [] if isinstance(c, dict) and c.get("email")
    }
    authors: list[AuthorRecord] = []
    for position, raw in enumerate(item.get("authors") or [], start=1):
        if not isinstance(raw, dict):
            report.error(line, f"Author {position} of paper {item.get('pid')} is not an object.")
            continue
        email, name, affiliation = _person(raw)
        if not name and not email:
            report.error(line, f"Author {position} of paper {item.get('pid')} has no name.")
            continue
        authors.append(
            AuthorRecord(
                email=email,
                name=name or email,
                affiliation=affiliation,
                contact=email in contacts if contacts else bool(raw.get("contact")),
            )
        )
    if not authors:
        report.error(line, f"Paper {item.get('pid', '?')} has no authors.")
    source: dict[str, Any] = {
        key: value
        for key, value in item.items()
        if key not in PAPER_KEYS and value not in (None, "", [], {})
    }
    author_emails = {a.email for a in authors}
    others = sorted(contacts - author_emails)
    if others:
        # HotCRP lets a non-author manage a paper; here only authors do.
        source["contacts (not authors)"] = others
    if authors and not any(a.contact for a in authors):
        with_email = [a for a in authors if a.email]
        if with_email:
            with_email[0].contact = True
            report.warn(
                line,
                f"Paper {number}: the export names no contact; {with_email[0].email} "
                "(the first author with an address) becomes the contact.",
            )
    status = str(item.get("status", "")).lower()
    if item.get("withdrawn") or status == "withdrawn":
        state = "withdrawn"
    elif item.get("submitted") or status in ("submitted", "accept", "accepted", "reject"):
        state = "submitted"
    else:
        state = "draft"
    decision_name = str(item.get("decision") or "").strip()
    decision = DECISIONS.get(decision_name.lower())
    if decision is None and decision_name.lower() not in ("", "unspecified", "none"):
        # A venue's own decision ("Accepted as poster"): HotCRP's status says its kind.
        decision = {"accept": "accept", "reject": "reject"}.get(status) or outcome_of(decision_name)
        if decision is None:
            report.error(
                line,
                f"Paper {number}: the decision “{decision_name}” is neither an accept nor a "
                "reject; create a decision category of that name first.",
            )
    conflicts = item.get("pc_conflicts") or {}
    if not isinstance(conflicts, dict):
        report.error(line, f"Paper {number}: pc_conflicts must map e-mail addresses to types.")
        conflicts = {}
    options = item.get("options") if isinstance(item.get("options"), dict) else {}
    tags, kept = hotcrp_tags(item.get("tags"))
    if kept:
        source["tags (not imported)"] = kept
    if number is None or not title or not authors:
        return None
    return PaperRecord(
        line=line,
        number=number,
        title=title,
        abstract=str(item.get("abstract") or ""),
        keywords=str(options.get("keywords", "")),
        authors=authors,
        topics=_topics(item.get("topics")),
        conflicts={str(k).strip().lower(): str(v) for k, v in conflicts.items()},
        status=state,
        decision=decision,
        decision_name=decision_name if decision else "",
        external_id=str(item.get("pid")),
        submitted_at=str(item.get("submitted_at") or ""),
        source=source,
        tags=tags,
    )


def _review(
    line: str, item: dict[str, Any], form: dict[str, SourceField], report: Report
) -> ReviewRecord | None:
    number = to_int(item.get("pid", item.get("paper")), line, "pid", report)
    email = str(item.get("reviewer_email") or item.get("email") or "").strip().lower()
    status = str(item.get("status", "complete")).lower()
    submitted = status in ("complete", "submitted", "approved") or item.get("submitted") is True
    if not email:
        if not submitted:
            # HotCRP lists requested reviews nobody wrote (status "empty"), without address.
            report.warn(line, f"An unwritten review request of paper {number} is not imported.")
            report.field("review", "(whole review)", "dropped: requested, never written")
            return None
        report.error(line, f"The review {line} of paper {item.get('pid')} names no reviewer.")
    answers: dict[str, Any] = {}
    source: dict[str, Any] = {}
    for key, value in item.items():
        if value in (None, "", [], {}):
            continue
        # Capitalised keys are HotCRP's abbreviated fields; a lower-case one is a field only
        # when the form names it (our own export writes the form's labels).
        name = None if key in REVIEW_PROPS else resolve_key(key, form)
        name = name if _is_field_key(key) or name is not None else None
        if name is not None:
            answers[name] = value.strip() if isinstance(value, str) else value
        else:
            source[key] = value
            if _is_field_key(key):
                report.field(
                    "review",
                    key,
                    "kept for the chairs: not a field of the review form "
                    "(import HotCRP's settings JSON with the reviews to resolve it)",
                )
    if number is None or not email:
        return None
    return ReviewRecord(
        line=line,
        paper=number,
        email=email,
        name=str(item.get("reviewer") or ""),
        answers=answers,
        submitted=submitted,
        submitted_at=str(item.get("submitted_at") or item.get("modified_at") or ""),
        # HotCRP's own name of a review: "12A", or "12r345" before it has a letter.
        source_id=f"{item.get('pid')}{item.get('ordinal')}"
        if item.get("ordinal")
        else f"{item.get('pid')}r{item.get('rid')}",
        source=source,
    )


def parse_papers(data: bytes, report: Report) -> Bundle:
    """Papers, and the reviews a paper JSON written with reviews carries."""
    documents, files = _documents(data, report)
    papers, reviews, settings = _split(documents)
    bundle = Bundle(review_form=review_form(settings) or _library_form())
    if not papers and not report.errors:
        report.error(0, "No HotCRP papers in the file.")
    for name in [n for n in files if n.lower().endswith(".csv")]:
        # A PC list in the same zip (HotCRP's "PC info"; our HotCRP export's pc.csv).
        content = files.pop(name)
        if b"email" in content.split(b"\n", 1)[0] and b"roles" in content.split(b"\n", 1)[0]:
            bundle.members = parse_pc(content, report).members
        else:
            report.field("file", name, "dropped: a CSV that is no PC list")
    for index, item in enumerate(papers, start=1):
        line = f"record {index}"
        if not isinstance(item, dict):
            report.error(line, "Expected a paper object.")
            continue
        record = _paper(line, item, report)
        if record is None:
            continue
        if files:
            record.source.pop("submission", None)
        bundle.papers.append(record)
    _reviews_into(bundle, reviews, papers, report)
    bundle.files = files
    return bundle


def _reviews_into(bundle: Bundle, reviews: list[Any], papers: list[Any], report: Report) -> None:
    """The file's reviews, alone ("record N") and inside its papers (a paper JSON written
    with reviews: "paper P, review N"), read against the bundle's review form."""
    for index, review in enumerate(reviews, start=1):
        parsed = _review(f"record {index}", review, bundle.review_form, report)
        if parsed is not None:
            bundle.reviews.append(parsed)
    for paper in papers:
        if not isinstance(paper, dict):
            continue
        for index, review in enumerate(paper.get("reviews") or [], start=1):
            if isinstance(review, dict):
                review.setdefault("pid", paper.get("pid"))
                where = f"paper {paper.get('pid')}, review {index}"
                parsed = _review(where, review, bundle.review_form, report)
                if parsed is not None:
                    bundle.reviews.append(parsed)


def parse_reviews_json(data: bytes, report: Report) -> Bundle:
    """Reviews as HotCRP's API writes them (`/reviews`, keys abbreviated), alone or in a
    zip with HotCRP's settings JSON; the reviews inside a paper JSON count too."""
    documents, _files = _documents(data, report)
    papers, reviews, settings = _split(documents)
    bundle = Bundle(review_form=review_form(settings) or _library_form())
    for index, paper in enumerate(papers, start=1):
        if not isinstance(paper, dict):
            report.error(f"record {index}", "Expected a review object.")
    _reviews_into(bundle, reviews, papers, report)
    if not bundle.reviews and not report.errors:
        report.error(0, "No HotCRP reviews in the file.")
    return bundle


def parse_reviews_csv(data: bytes, report: Report) -> Bundle:
    """Both review CSVs: `batch/reviewcsv.php` (pid, review, email, round, submitted_at,
    vtag, status, then one column per field) and the web's "Reviews (CSV)" (paper, title,
    review, reviewername, email, then the fields). Columns other than the fields are the
    record's own data, kept for the chairs."""
    bundle = Bundle(review_form=_library_form())
    rows = csv_rows(data, report, ("email",))
    for line, row in rows:
        paper_column = "pid" if "pid" in row else "paper" if "paper" in row else None
        if paper_column is None:
            report.error(1, "Missing column: pid (or paper).")
            return bundle
        number = to_int(row[paper_column], line, paper_column, report)
        if not row["email"]:
            report.error(line, f"The review on line {line} names no reviewer (email is empty).")
            continue
        if number is None:
            continue
        answers = {
            column: to_number(value) if len(value) < 40 else value
            for column, value in row.items()
            if column not in CSV_META and value
        }
        status = row.get("status", "complete").lower()
        bundle.reviews.append(
            ReviewRecord(
                line=line,
                paper=number,
                email=row["email"].lower(),
                name=row.get("reviewername", ""),
                answers=answers,
                submitted=status in ("complete", "submitted", "approved", ""),
                submitted_at=row.get("submitted_at", ""),
                source_id=row.get("review") or f"{number}/{row['email'].lower()}",
                source={k: v for k, v in row.items() if k in CSV_META and v},
            )
        )
    return bundle


def parse_settings(data: bytes, report: Report) -> dict[str, SourceField]:
    documents, _files = _documents(data, report)
    form = review_form([d for d in documents if isinstance(d, dict) and "rf" in d])
    if not form and not report.errors:
        report.error(0, "No review form (rf) in HotCRP's settings JSON.")
    return form


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
        try:
            validate_email(row["email"])
        except ValidationError:
            # HotCRP accepts addresses nobody can write to (its test chair's "chair@_.com").
            report.warn(line, f"{row['email']} is not a valid e-mail address: not imported.")
            report.field("member", "email", "dropped: not a valid e-mail address")
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
        email, name, affiliation = _person(row)
        bundle.members.append(
            MemberRecord(
                line=line,
                email=email,
                name=name or email,
                affiliation=affiliation,
                role=role,
                topics={k: v for k, v in topics.items() if v},
            )
        )
    return bundle
