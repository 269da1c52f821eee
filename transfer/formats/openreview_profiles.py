"""OpenReview profiles: who a profile id (`~Jane_Doe1`) is, from the profiles exported with
a venue's data (openreview-py's `Profile.to_json()`: `id`, `content.names` with
`username`, `fullname` or `first`/`last` and `preferred`, `content.emails`,
`content.preferredEmail`, `content.emailsConfirmed`) and from a mapping the chair writes,
CSV `profile_id,email[,name]` (with that header or without one), which wins. An address
OpenReview masked (`****@umass.edu`) is none."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ..report import Report
from . import decode

PROFILE_ID = re.compile(r"^~\S+$")


def is_profile_id(value: str) -> bool:
    return bool(PROFILE_ID.match(value))


def is_profile(item: Any) -> bool:
    """A profile as openreview-py writes it: `content` with `names` or `emails`, and no
    note's `forum` or `replyto`."""
    if not isinstance(item, dict) or not isinstance(item.get("content"), dict):
        return False
    content = item["content"]
    return (
        ("names" in content or "emails" in content)
        and "forum" not in item
        and "replyto" not in item
        and "title" not in content
    )


@dataclass
class Person:
    email: str
    name: str = ""
    source: str = ""  # "mapping, line 3" or "profile ~Jane_Doe1"


@dataclass
class ProfileBook:
    """Profile id -> the person, from the profiles and the mapping (the mapping wins)."""

    people: dict[str, Person] = field(default_factory=dict)
    lowered: dict[str, Person] = field(default_factory=dict)  # built when first asked

    def __len__(self) -> int:
        return len(self.people)

    def get(self, profile_id: str) -> Person | None:
        """By the id as OpenReview writes it, or lower-cased (as readers of CSV files that
        lower-case addresses pass it on)."""
        key = profile_id.strip()
        found = self.people.get(key)
        if found is None:
            if not self.lowered:
                self.lowered = {k.lower(): p for k, p in self.people.items()}
            found = self.lowered.get(key.lower())
        return found

    def add_profile(self, line: Any, profile: dict[str, Any], report: Report) -> None:
        content = profile.get("content") or {}
        names = [n for n in content.get("names") or [] if isinstance(n, dict)]
        ids = [str(profile["id"])] if profile.get("id") else []
        ids += [str(n["username"]) for n in names if n.get("username")]
        ids = [i for i in dict.fromkeys(ids) if is_profile_id(i)]
        if not ids:
            report.warn(line, "A profile without a profile id (~Name1): not used.")
            return
        email = _preferred_email(content)
        if not email:
            masked = any("*" in str(e) for e in content.get("emails") or [])
            report.warn(
                line,
                f"Profile {ids[0]}: "
                + (
                    "OpenReview masked its addresses (export the profiles as a program chair "
                    "of the venue, or map it in the CSV)."
                    if masked
                    else "no e-mail address (map it in the CSV)."
                ),
            )
            report.field("profile", "emails", "dropped: no usable address")
            return
        report.field("profile", "emails", "mapped to the person's address")
        person = Person(email=email, name=_preferred_name(names), source=f"profile {ids[0]}")
        for profile_id in ids:
            self.people.setdefault(profile_id, person)
        self.lowered = {}

    def add_mapping(self, data: bytes, report: Report, *, name: str = "") -> None:
        """Rows `profile_id,email[,name]`, with that header or none. A row whose address is
        not one is an error naming the value, the profile and the line."""
        text = decode(data, report)
        if text is None:
            return
        reader = csv.reader(io.StringIO(text, newline=""))
        mapped: dict[str, Person] = {}
        while True:
            first = reader.line_num + 1
            at = f"{name}:{first}" if name else first
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                report.error(at, f"Malformed CSV: {exc}")
                return
            cells = [v.strip() for v in values]
            if not any(cells):
                continue
            if first == 1 and cells[0].lower() in ("profile_id", "profile", "id"):
                continue
            if len(cells) < 2:
                report.error(at, "Expected profile_id,email[,name]: found one field.")
                continue
            profile_id, email = cells[0], cells[1].lower()
            if not is_profile_id(profile_id):
                report.error(at, f"“{profile_id}” is not an OpenReview profile id (~Name1).")
                continue
            try:
                validate_email(email)
            except ValidationError:
                report.error(at, f"“{cells[1]}” is not an e-mail address (profile {profile_id}).")
                continue
            mapped[profile_id] = Person(
                email=email, name=cells[2] if len(cells) > 2 else "", source=f"mapping, {at}"
            )
        for profile_id, person in mapped.items():
            known = self.people.get(profile_id)
            if known and not person.name:
                person.name = known.name
            self.people[profile_id] = person
        self.lowered = {}


def _preferred_email(content: dict[str, Any]) -> str:
    """The profile's preferred address, else its first confirmed one, else its first:
    never one OpenReview masked."""
    candidates = [content.get("preferredEmail")]
    candidates += list(content.get("emailsConfirmed") or [])
    candidates += list(content.get("emails") or [])
    for candidate in candidates:
        email = str(candidate or "").strip().lower()
        if not email or "*" in email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            continue
        return email
    return ""


def _preferred_name(names: list[dict[str, Any]]) -> str:
    chosen = next((n for n in names if n.get("preferred")), names[0] if names else {})
    if chosen.get("fullname"):
        return str(chosen["fullname"]).strip()
    parts = (chosen.get("first"), chosen.get("middle"), chosen.get("last"))
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())
