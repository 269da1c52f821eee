"""OpenReview's people in an upload: profile ids (`~Jane_Doe1`) in notes (`authorids`,
`signatures`), groups (`members`) and affinity rows resolved to addresses through the
profiles and the mapping uploaded with them (`openreview_profiles`), and the committee
from a venue's groups.

A notes import takes a zip of its JSON files (notes, profiles, groups) and the mapping CSV,
or one JSON object `{"notes": [...], "profiles": [...], "groups": [...]}`; a committee
import takes a venue's groups (`Group.to_json()`: `{"id": ".../Reviewers", "members":
[...]}`), one, a list, or the API's `{"groups": [...]}`, likewise with the profiles and
the mapping. Anonymous reviewer groups (`.../Submission5/Reviewer_abc1`,
`.../Paper5/AnonReviewer2`) whose members are in the file sign their reviews: the review
is then its member's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..limits import open_zip, read_member
from ..report import Report
from . import Bundle, MemberRecord, json_document, openreview
from .openreview_profiles import ProfileBook, is_profile, is_profile_id

# A venue's committee groups, by the last part of their id: the notes parser's own table
# (`openreview.GROUP_ROLES`: Reviewers, Area_Chairs and Senior_Area_Chairs, Program_Chairs).
COMMITTEE_GROUPS = openreview.GROUP_ROLES
# Stronger roles win when a person is in several groups.
RANK = {"reviewer": 0, "area_chair": 1, "chair": 2}
# An anonymous reviewer's group: its members are the profile id that signs as it.
ANONYMOUS = re.compile(r"/(Reviewer_[A-Za-z0-9]+|AnonReviewer\d+|Area_Chair_[A-Za-z0-9]+)$")


def is_group(item: Any) -> bool:
    """A group as openreview-py writes it: `members` (and, in API v2, perhaps a `content`
    of settings, never a note's)."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("members"), list)
        and "forum" not in item
        and "replyto" not in item
    )


@dataclass
class Sources:
    """What one upload holds: notes, profiles, groups, and the people they give."""

    notes: list[Any] = field(default_factory=list)
    groups: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    book: ProfileBook = field(default_factory=ProfileBook)
    # Anonymous signature group -> its member (a profile id or an address).
    signers: dict[str, str] = field(default_factory=dict)
    # A submission's (forum id) authors resolved from profile ids: name -> profile id.
    profiles_of: dict[str, dict[str, str]] = field(default_factory=dict)


def _take(document: Any, place: str, sources: Sources, report: Report) -> None:
    """Sort one JSON document's objects into notes, profiles and groups."""
    if isinstance(document, dict):
        if any(key in document for key in ("notes", "profiles", "groups")):
            for key in ("profiles", "groups", "notes"):
                items = document.get(key) or []
                if not isinstance(items, list):
                    report.error(place.rstrip(": ") or 0, f"“{key}” must be a list.")
                    continue
                _take_items(items, f"{place}{key}", sources, report)
            return
        document = [document]
    if not isinstance(document, list):
        report.error(
            place.rstrip(": ") or 0, "Expected notes, profiles or groups (a list or an object)."
        )
        return
    _take_items(document, f"{place}record", sources, report)


def _take_items(items: list[Any], label: str, sources: Sources, report: Report) -> None:
    """Each item is named `label N` ("profiles 2", "groups.json: record 1")."""
    for index, item in enumerate(items, start=1):
        where = f"{label} {index}"
        if is_profile(item):
            sources.book.add_profile(where, item, report)
        elif is_group(item):
            sources.groups.append((where, item))
        else:
            sources.notes.append(item)


def _is_mapping(name: str, content: bytes) -> bool:
    """A mapping CSV: named so, or headed `profile_id`."""
    lower = name.rsplit("/", 1)[-1].lower()
    head = content[:200].lstrip(b"\xef\xbb\xbf").lower()
    return "mapping" in lower or "profile" in lower or head.startswith(b"profile_id")


def read_sources(data: bytes, report: Report, *, others: list | None = None) -> Sources:
    """A zip of JSON files and mapping CSVs, or one JSON document. A CSV of the zip that
    is no mapping goes to `others` as (name, content) when asked for (the affinity scores),
    else it is reported as dropped."""
    sources = Sources()
    if data[:4] == b"PK\x03\x04":
        archive = open_zip(data, report)
        if archive is None:
            return sources
        mappings = []
        for member in sorted(archive.namelist()):
            if member.endswith("/"):
                continue
            try:
                content = read_member(archive, member)
            except ValueError as exc:
                report.error(member, str(exc))
                continue
            lower = member.lower()
            if lower.endswith(".csv") and (others is None or _is_mapping(member, content)):
                mappings.append((member, content))
            elif lower.endswith(".csv"):
                others.append((member, content))
            elif lower.endswith(".json"):
                document = json_document(content, _Prefixed(report, member))
                if document is not None:
                    _take(document, f"{member}: ", sources, report)
            else:
                report.field("file", member, "dropped: neither JSON nor a mapping CSV")
        for member, content in mappings:  # after the profiles: the mapping wins
            sources.book.add_mapping(content, report, name=member)
    else:
        document = json_document(data, report)
        if document is not None:
            _take(document, "", sources, report)
    for _, group in sources.groups:
        match = ANONYMOUS.search(str(group.get("id", "")))
        members = [str(m).strip() for m in group.get("members") or []]
        if match and len(members) == 1:
            sources.signers[str(group["id"])] = members[0]
    return sources


class _Prefixed(Report):
    """A report that files a zip member's problems under its name (its field fates as
    they are)."""

    def __init__(self, report: Report, name: str) -> None:
        super().__init__()
        self._report, self._name = report, name

    def _at(self, line: Any) -> Any:
        return f"{self._name}:{line}" if line else self._name

    def error(self, line: Any, message: str) -> None:
        self._report.error(self._at(line), message)

    def warn(self, line: Any, message: str) -> None:
        self._report.warn(self._at(line), message)

    def field(self, kind: str, name: str, fate: str, count: int = 1) -> None:
        self._report.field(kind, name, fate, count)


def _address(value: str, book: ProfileBook) -> tuple[str, str]:
    """(address, name) of a member or author id: an address as it is, a profile id through
    the book ("" when unknown)."""
    value = value.strip()
    if "@" in value:
        return value.lower(), ""
    person = book.get(value)
    return (person.email, person.name) if person else ("", "")


def _resolve_notes(sources: Sources, report: Report) -> list[Any]:
    """The notes with profile ids replaced by the addresses the book gives: authors'
    `authorids`, and a review's signer (its profile id, or the member of its anonymous
    group) as the note's `reviewer_email`, which never becomes an answer."""
    book, resolved = sources.book, 0
    for number, note in enumerate(sources.notes, start=1):
        if not isinstance(note, dict) or not isinstance(note.get("content"), dict):
            continue
        content = note["content"]
        raw = content.get("authorids")
        wrapped = isinstance(raw, dict) and "value" in raw
        ids = raw["value"] if wrapped else raw
        if isinstance(ids, list):
            names = openreview._value(content, "authors", []) or []
            new_ids = []
            for index, author_id in enumerate(ids):
                text = str(author_id).strip()
                if "@" not in text and not is_profile_id(text):
                    name = names[index] if isinstance(names, list) and index < len(names) else ""
                    report.error(
                        f"note {number}",
                        f"Author {index + 1}{f' (“{name}”)' if name else ''}: “{text[:100]}” is "
                        "neither an e-mail address nor an OpenReview profile id (~Name1).",
                    )
                email = _address(text, book)[0] if is_profile_id(text) else ""
                new_ids.append(email or author_id)
                resolved += bool(email)
                if email and isinstance(names, list) and index < len(names):
                    key = str(note.get("forum") or note.get("id") or "")
                    sources.profiles_of.setdefault(key, {})[str(names[index])] = text
            if wrapped:
                content["authorids"] = {**raw, "value": new_ids}
            else:
                content["authorids"] = new_ids
        signatures = note.get("signatures") or []
        if signatures and not note.get("reviewer_email"):
            signer = str(signatures[0])
            signer = sources.signers.get(signer, signer)
            known = is_profile_id(signer) or "@" in signer
            email = _address(signer, book)[0] if known else ""
            if email:
                note["reviewer_email"] = email
                resolved += 1
    if resolved:
        report.field("note", "profile ids", "mapped to addresses (profiles or mapping)", resolved)
    return sources.notes


def parse_notes(data: bytes, report: Report) -> Bundle:
    """OpenReview notes with their people: the notes (`openreview.parse_notes`) after the
    profile ids in them were resolved through the profiles and the mapping uploaded with
    them; committee groups in the same upload are its committee. Notes are numbered in the
    order they come (profiles and groups not counted)."""
    sources = read_sources(data, report)
    if report.errors:
        return Bundle()
    notes = _resolve_notes(sources, report)
    bundle = openreview.parse_notes(json.dumps(notes).encode(), report) if notes else Bundle()
    for paper in bundle.papers:  # which profile each resolved author was: the chairs'
        resolved = sources.profiles_of.get(paper.external_id)
        if resolved:
            paper.source["OpenReview profiles"] = {
                **resolved,
                **paper.source.get("OpenReview profiles", {}),
            }
    bundle.members += committee_members(sources, report)
    return bundle


def parse_committee(data: bytes, report: Report) -> Bundle:
    """A venue's committee from its groups (`committee_members`), with the profiles and
    the mapping uploaded with them."""
    sources = read_sources(data, report)
    if report.errors:
        return Bundle()
    if sources.notes:
        report.warn(0, f"{len(sources.notes)} notes in a committee file: not read here "
                    "(import them as OpenReview notes).")  # fmt: skip
    members = committee_members(sources, report)
    if not members and not report.errors:
        report.error(0, "No committee group here: expected OpenReview groups such as "
                     "“…/Reviewers” or “…/Area_Chairs” with their members.")  # fmt: skip
    return Bundle(members=members)


def committee_members(sources: Sources, report: Report) -> list[MemberRecord]:
    """Reviewers as reviewers, Area_Chairs and Senior_Area_Chairs as area chairs,
    Program_Chairs as chairs; a member named by address as it is, by profile id through
    the profiles and the mapping (one the upload cannot resolve is an error naming it, its
    group, and what to add). A person in several groups keeps the strongest role."""
    chosen: dict[str, MemberRecord] = {}
    for where, group in sources.groups:
        group_id = str(group.get("id", ""))
        role = COMMITTEE_GROUPS.get(group_id.rsplit("/", 1)[-1])
        if role is None:
            if not ANONYMOUS.search(group_id):
                report.warn(where, f"{group_id or 'A group without an id'}: not a committee "
                            f"group ({', '.join(COMMITTEE_GROUPS)}): not read.")  # fmt: skip
                report.field("group", "members", "dropped: not a committee group")
            continue
        for member in group.get("members") or []:
            member = str(member).strip()
            email, name = _address(member, sources.book)
            if not email:
                report.error(
                    where,
                    f"{member} ({group_id}): no address for this profile id. Add a row "
                    f"“{member},address,name” to the mapping CSV, or the profiles "
                    "(openreview-py: Profile.to_json() of each) to the upload.",
                )
                continue
            report.field("group", "members", f"mapped to {role.replace('_', ' ')}s")
            record = chosen.get(email)
            profile_id = member if is_profile_id(member) else ""
            if record is None or RANK[role] > RANK[record.role]:
                # A member named by address has no name in OpenReview's groups: the
                # address stands for it (as in HotCRP's PC list) until they set theirs.
                chosen[email] = MemberRecord(
                    line=where, email=email, name=name or email, role=role,
                    source_id=profile_id or (record.source_id if record else ""),
                )  # fmt: skip
            elif profile_id and not record.source_id:
                record.source_id = profile_id
    return list(chosen.values())


def parse_affinity(data: bytes, report: Report) -> Bundle:
    """OpenReview's affinity scores (`openreview.parse_affinity`: a CSV with or without its
    header), alone or in a zip with the profiles or the mapping (a CSV named `…mapping…` or
    `…profile…`, or headed `profile_id`): a reviewer named by profile id is then known by
    the address they give."""
    if data[:4] != b"PK\x03\x04":
        return openreview.parse_affinity(data, report)
    scores: list[tuple[str, bytes]] = []
    sources = read_sources(data, report, others=scores)
    if report.errors:
        return Bundle()
    if len(scores) != 1:
        found = ", ".join(name for name, _ in scores) or "none"
        report.error(0, f"Expected one affinity CSV next to the profiles or the mapping, found "
                     f"{found}.")  # fmt: skip
        return Bundle()
    name, content = scores[0]
    bundle = openreview.parse_affinity(content, _Prefixed(report, name))
    resolved = 0
    for record in bundle.affinities:
        if is_profile_id(record.email):
            person = sources.book.get(record.email)
            if person is not None:
                record.email = person.email
                resolved += 1
    if resolved:
        report.field("affinity", "reviewer", "profile ids mapped to addresses", resolved)
    return bundle
