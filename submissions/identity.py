"""How an author is recognised: the keys the conflict checks match people by.

An author row keeps, beside what was typed, its normalised name, "initial + family name",
normalised affiliation and organisation domain (`Authorship.refresh_keys`), indexed, so
that one reviewer's conflicts are found by indexed queries on the keys of what they are
(their addresses, their domain, the names they declared or co-published with) instead of by
reading every author of the workshop (reviews/selectors/conflicts.py).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

# Second-level labels under which an organisation registers (ox.ac.uk, ethz.ch is 2 labels).
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "net", "org", "or", "ne", "go"}


@cache
def public_domains() -> frozenset[str]:
    """Mail providers anyone can have an address at: a shared one is no shared institution."""
    path = Path(__file__).parent / "data" / "public_email_domains.txt"
    lines = path.read_text().splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def organisation_domain(email: str) -> str | None:
    """The registrable domain of an address (cs.ox.ac.uk -> ox.ac.uk), None for webmail."""
    if "@" not in email:
        return None
    domain = email.rsplit("@", 1)[-1].lower().strip(".")
    if not domain or domain in public_domains():
        return None
    labels = domain.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    org = ".".join(labels[-keep:])
    return None if org in public_domains() else org


def normalise(text: str) -> str:
    """Lower case, punctuation as spaces, runs of spaces as one."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def initial_key(name: str) -> str:
    """The fuzzy key of a name: "j smith" for "John Q. Smith", "" for a single word."""
    words = normalise(name).split()
    return f"{words[0][0]} {words[-1]}" if len(words) >= 2 else ""
