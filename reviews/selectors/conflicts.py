"""Conflicts of interest: the one selector every part of the system asks.

Sources (each pair can have several; the reasons are kept for the chairs):
- authorship: the reviewer is an author (any address on their account). Always, and no
  chair can lift it; a database trigger also refuses such an assignment;
- domain: an author and the reviewer share an institutional email domain (public mail
  providers excluded, see data/public_email_domains.txt);
- coauthor: the reviewer co-authors another submission of the workshop with an author;
- bid: the reviewer marked the paper "in conflict" while bidding;
- declared: the reviewer named an author (email or name) or an author's institution;
- author-declared: the authors named the reviewer, or the reviewer's institution;
- publication: an author of the paper co-authored one of the reviewer's publications of the
  last `EXPERTISE_COAUTHOR_YEARS` years (same normalised name); "publication-similar" when
  only the family name and first initial agree: a fuzzy match the chair lifts if wrong;
- chair: a chair set a conflict; a chair may also lift any of the above but authorship.

Everything is computed for a whole workshop (or one reviewer) in a constant number of
queries, by indexing authors by email, domain and name instead of looping over all pairs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.utils import timezone

from submissions.models import AuthorConflict, Authorship, Submission, SubmissionStatus
from workshop.models import User, Workshop

from ..models import (
    Bid,
    BidValue,
    ConflictDeclaration,
    ConflictOverride,
    DeclarationKind,
    Publication,
)

Pair = tuple[int, int]  # (submission id, user id)

# Second-level labels under which an organisation registers (ox.ac.uk, ethz.ch is 2 labels).
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "net", "org", "or", "ne", "go"}


@cache
def public_domains() -> frozenset[str]:
    path = Path(__file__).parent.parent / "data" / "public_email_domains.txt"
    lines = path.read_text().splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def organisation_domain(email: str) -> str | None:
    """The registrable domain of an address (cs.ox.ac.uk -> ox.ac.uk), None for webmail."""
    domain = email.rsplit("@", 1)[-1].lower().strip(".")
    if domain in public_domains():
        return None
    labels = domain.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    org = ".".join(labels[-keep:])
    return None if org in public_domains() else org


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


@dataclass
class ConflictMap:
    """Reasons per (submission id, user id); a pair absent from `reasons` is no conflict."""

    reasons: dict[Pair, set[str]] = field(default_factory=lambda: defaultdict(set))
    lifted: set[Pair] = field(default_factory=set)

    def add(self, pair: Pair, reason: str) -> None:
        self.reasons[pair].add(reason)

    def is_conflict(self, submission_id: int, user_id: int) -> bool:
        reasons = self.reasons.get((submission_id, user_id))
        if not reasons:
            return False
        if (submission_id, user_id) in self.lifted:
            return "authorship" in reasons
        return True

    def conflicted_submissions(self, user_id: int) -> set[int]:
        return {s for (s, u) in self.reasons if u == user_id and self.is_conflict(s, u)}

    def pairs(self) -> set[Pair]:
        return {p for p in self.reasons if self.is_conflict(*p)}


def _user_emails(user_ids: Iterable[int]) -> dict[int, set[str]]:
    """Every address on each account (verified or not: identity errs towards conflict)."""
    ids = list(user_ids)
    emails: dict[int, set[str]] = defaultdict(set)
    for uid, email in User.objects.filter(pk__in=ids).values_list("pk", "email"):
        emails[uid].add(email.lower())
    for uid, email in EmailAddress.objects.filter(user_id__in=ids).values_list("user_id", "email"):
        emails[uid].add(email.lower())
    return emails


def conflicts_for(
    workshop: Workshop, *, user_ids: Iterable[int] | None = None, include_drafts: bool = False
) -> ConflictMap:
    """Conflicts between the workshop's papers and `user_ids` (default: the committee)."""
    if user_ids is None:
        user_ids = workshop.memberships.values_list("user_id", flat=True).distinct()
    user_ids = set(user_ids)
    result = ConflictMap()
    if not user_ids:
        return result
    papers = Submission.objects.filter(workshop=workshop)
    if not include_drafts:
        papers = papers.exclude(status=SubmissionStatus.DRAFT)
    authors = list(
        Authorship.objects.filter(submission__workshop=workshop).values_list(
            "submission_id", "email", "name", "affiliation"
        )
    )
    paper_ids = set(papers.values_list("pk", flat=True))
    emails = _user_emails(user_ids)
    affiliations = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "affiliation"))

    by_email: dict[str, set[int]] = defaultdict(set)  # author email -> submissions
    for sid, email, _, _ in authors:
        by_email[email].add(sid)
    user_of_email = {e: uid for uid, es in emails.items() for e in es}

    # authorship, and co-authorship through another paper of the workshop
    papers_of_user: dict[int, set[int]] = defaultdict(set)
    for email, sids in by_email.items():
        uid = user_of_email.get(email)
        if uid is not None:
            papers_of_user[uid] |= sids
    coauthors_of_paper: dict[int, set[str]] = defaultdict(set)
    for sid, email, _, _ in authors:
        coauthors_of_paper[sid].add(email)
    for uid, own in papers_of_user.items():
        for sid in own:
            result.add((sid, uid), "authorship")
        partner_emails = set().union(*(coauthors_of_paper[s] for s in own)) - emails[uid]
        for email in partner_emails:
            for sid in by_email[email] - own:
                result.add((sid, uid), "coauthor")

    # shared institutional domain
    by_domain: dict[str, set[int]] = defaultdict(set)
    for sid, email, _, _ in authors:
        org = organisation_domain(email)
        if org:
            by_domain[org].add(sid)
    for uid, addresses in emails.items():
        for org in {organisation_domain(e) for e in addresses} - {None}:
            for sid in by_domain.get(org, ()):
                result.add((sid, uid), "domain")

    # the reviewer's own declarations: bids "in conflict", people, institutions
    for sid, uid in Bid.objects.filter(
        submission__workshop=workshop, user_id__in=user_ids, value=BidValue.CONFLICT
    ).values_list("submission_id", "user_id"):
        result.add((sid, uid), "bid")
    by_name: dict[str, set[int]] = defaultdict(set)
    by_affiliation: list[tuple[str, int]] = []
    for sid, _, name, affiliation in authors:
        by_name[normalise(name)].add(sid)
        if affiliation.strip():
            by_affiliation.append((normalise(affiliation), sid))
    for uid, kind, value in ConflictDeclaration.objects.filter(
        workshop=workshop, user_id__in=user_ids
    ).values_list("user_id", "kind", "value"):
        if kind == DeclarationKind.PERSON:
            hits = by_email.get(value.strip().lower(), set()) | by_name.get(normalise(value), set())
        else:
            needle = normalise(value)
            hits = {sid for aff, sid in by_affiliation if needle and needle in aff}
        for sid in hits:
            result.add((sid, uid), "declared")

    _publication_coauthors(result, user_ids, authors)

    # the authors' declarations: committee members by account, institutions by affiliation
    for sid, member_id, institution in AuthorConflict.objects.filter(
        submission__workshop=workshop
    ).values_list("submission_id", "member_id", "institution"):
        if member_id in user_ids:
            result.add((sid, member_id), "author-declared")
        elif institution:
            needle = normalise(institution)
            for uid in user_ids:
                if needle and needle in normalise(affiliations.get(uid, "")):
                    result.add((sid, uid), "author-declared")

    # the chairs' word, last
    for sid, uid, conflicted in ConflictOverride.objects.filter(
        submission__workshop=workshop, user_id__in=user_ids
    ).values_list("submission_id", "user_id", "conflicted"):
        if conflicted:
            result.add((sid, uid), "chair")
        else:
            result.lifted.add((sid, uid))

    result.reasons = defaultdict(
        set, {p: r for p, r in result.reasons.items() if p[0] in paper_ids}
    )
    return result


def _initial_key(name: str) -> tuple[str, str] | None:
    words = normalise(name).split()
    return (words[0][0], words[-1]) if len(words) >= 2 else None


def _publication_coauthors(result: ConflictMap, user_ids: set[int],
                           authors: list[tuple[int, str, str, str]]) -> None:  # fmt: skip
    """Co-authors of the reviewers' recent publications (excluded ones too: exclusion is about
    expertise) against the papers' authors, by name, in two queries."""
    since = timezone.now().year - settings.EXPERTISE_COAUTHOR_YEARS + 1
    rows = list(
        Publication.objects.filter(user_id__in=user_ids, year__gte=since).values_list(
            "user_id", "authors"
        )
    )
    if not rows:
        return
    own = {uid: normalise(name) for uid, name in
           User.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "name")}  # fmt: skip
    by_name: dict[str, set[int]] = defaultdict(set)
    by_initial: dict[tuple[str, str], set[int]] = defaultdict(set)
    for sid, _, name, _ in authors:
        by_name[normalise(name)].add(sid)
        key = _initial_key(name)
        if key:
            by_initial[key].add(sid)
    for uid, names in rows:
        for name in names or []:
            if not isinstance(name, str) or not normalise(name) or normalise(name) == own[uid]:
                continue
            exact = by_name.get(normalise(name), set())
            for sid in exact:
                result.add((sid, uid), "publication")
            key = _initial_key(name)
            if key is not None and _initial_key(own[uid]) != key:
                for sid in by_initial.get(key, set()) - exact:
                    result.add((sid, uid), "publication-similar")


def conflicted_submission_ids(workshop: Workshop, user: User) -> set[int]:
    """The papers of `workshop` that `user` must never see in review tools."""
    return conflicts_for(workshop, user_ids=[user.pk], include_drafts=True).conflicted_submissions(
        user.pk
    )


__all__ = [
    "ConflictMap",
    "conflicted_submission_ids",
    "conflicts_for",
    "organisation_domain",
]
