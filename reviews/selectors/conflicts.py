"""Conflicts of interest: the one selector every part of the system asks.

Sources (each pair can have several; the reasons are kept for the chairs):
- authorship: the reviewer is an author (any address on their account). Always, and no
  chair can lift it; a database trigger also refuses such an assignment;
- domain: an author and the reviewer share an institutional email domain (public mail
  providers excluded, see submissions/data/public_email_domains.txt);
- coauthor: the reviewer co-authors another submission of the workshop with an author;
- bid: the reviewer marked the paper "in conflict" while bidding;
- declared: the reviewer named an author (email or name) or an author's institution;
- author-declared: the authors named the reviewer, or the reviewer's institution;
- publication: an author of the paper co-authored one of the reviewer's publications of the
  last `EXPERTISE_COAUTHOR_YEARS` years (same normalised name); "publication-similar" when
  only the family name and first initial agree: a fuzzy match the chair lifts if wrong;
- chair: a chair set a conflict; a chair may also lift any of the above but authorship.

Every source binds the chairs, the matching and a hand assignment (`ConflictMap.reasons`,
`is_conflict`, `pairs`). What the reviewer's OWN pages do with a conflict is another matter
on a double-blind workshop (issue 30): a conflict that the reviewer's own input produced
would, by hiding the paper from their bidding list, tell them who wrote it: type a guessed
name, see which paper leaves. So there the reviewer's pages (bidding list and counters,
bids API, dashboard, paper pages) act only on the "evident" reasons, those no guess of theirs
can produce (`ConflictMap.hides`, `hidden_submission_ids`):

- authorship through the account's login address or a verified address: evident (they
  wrote the paper and know it). Through an unverified address: their input (anyone may add
  alice@uni.edu to their account unconfirmed and watch Alice's paper go);
- domain: evident through the login or a verified address (no one chooses a mailbox they
  cannot read; the same institution as an author is the usual, accepted price); through an
  unverified address, their input, as above;
- bid: evident (the reviewer chose that very paper);
- author-declared naming the reviewer's account: evident (the authors' word, not the
  reviewer's); by institution: their input, since it is matched against the affiliation
  the reviewer types themselves;
- chair: evident (the chairs' word);
- declared, publication, publication-similar: their input by definition (the name, address
  or institution they typed; the co-authors of the publications they import or enter);
- coauthor: their input: the co-authors of their own paper are typed by its submitter, who
  may be the reviewer themselves (a draft naming a guessed co-author would do).

Such a conflict leaves the reviewer's pages as they were: the paper stays in the bidding
list (a bid on it is taken and the matching ignores it: the pair is forbidden), the counters
do not move, and the bidding page tells every reviewer, whatever they declared, that the
chairs check their conflicts. It is applied at assignment: the matching never proposes the
pair, a chair cannot assign it; an assignment made before the reviewer's declaration is not
taken away by it (that too would answer the guess): the chairs see the conflict, the reviewer
may decline. On a single-blind or open workshop the authors are named to the committee
anyway, and every conflict hides the paper as before.

Everything is computed for a whole workshop (or one reviewer) in a constant number of
queries, by indexing authors by email, domain and name instead of looping over all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from submissions.identity import initial_key, normalise, organisation_domain
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

# Up to this many people, their conflicts are found through the author rows' match keys
# (indexed queries, independent of the workshop's size); beyond, one read of the workshop's
# authors is cheaper than the lookups (the matching, the committee's overview).
NARROW_UP_TO = 50
_AUTHOR_FIELDS = ("submission_id", "email", "name", "affiliation", "submission__status")


@dataclass
class ConflictMap:
    """Reasons per (submission id, user id); a pair absent from `reasons` is no conflict.

    `evident` keeps, per pair, the reasons that no input of the reviewer's own produced (see
    the module docstring); on a `double_blind` workshop only those hide a paper from the
    reviewer's own pages."""

    reasons: dict[Pair, set[str]] = field(default_factory=lambda: defaultdict(set))
    lifted: set[Pair] = field(default_factory=set)
    evident: dict[Pair, set[str]] = field(default_factory=lambda: defaultdict(set))
    double_blind: bool = False

    def add(self, pair: Pair, reason: str, *, evident: bool = False) -> None:
        self.reasons[pair].add(reason)
        if evident:
            self.evident[pair].add(reason)

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

    def known_reasons(self, submission_id: int, user_id: int) -> set[str]:
        """The reasons the reviewer's own pages act on: empty unless the pair `hides`."""
        pair = (submission_id, user_id)
        if not self.is_conflict(*pair):
            return set()
        known = set(self.evident.get(pair, ())) if self.double_blind else set(self.reasons[pair])
        if pair in self.lifted:
            known &= {"authorship"}
        return known

    def hides(self, submission_id: int, user_id: int) -> bool:
        """Whether the reviewer's own pages hide the paper (and refuse its review tools)."""
        return bool(self.known_reasons(submission_id, user_id))

    def hidden_submissions(self, user_id: int) -> set[int]:
        return {s for (s, u) in self.reasons if u == user_id and self.hides(s, u)}


def _user_emails(user_ids: Iterable[int]) -> tuple[dict[int, set[str]], set[tuple[int, str]]]:
    """Every address on each account (verified or not: identity errs towards conflict), and
    which of them are the account's own beyond doubt: its login address and the verified
    ones (the others are the reviewer's unconfirmed input, see the module docstring)."""
    ids = list(user_ids)
    emails: dict[int, set[str]] = defaultdict(set)
    confirmed: set[tuple[int, str]] = set()
    for uid, email in User.objects.filter(pk__in=ids).values_list("pk", "email"):
        emails[uid].add(email.lower())
        confirmed.add((uid, email.lower()))
    for uid, email, verified in EmailAddress.objects.filter(user_id__in=ids).values_list(
        "user_id", "email", "verified"
    ):
        emails[uid].add(email.lower())
        if verified:
            confirmed.add((uid, email.lower()))
    return emails, confirmed


def conflicts_for(
    workshop: Workshop, *, user_ids: Iterable[int] | None = None, include_drafts: bool = False
) -> ConflictMap:
    """Conflicts between the workshop's papers and `user_ids` (default: the committee)."""
    if user_ids is None:
        user_ids = workshop.memberships.values_list("user_id", flat=True).distinct()
    user_ids = set(user_ids)
    result = ConflictMap(double_blind=workshop.is_double_blind)
    if not user_ids:
        return result
    emails, confirmed = _user_emails(user_ids)
    affiliations = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "affiliation"))
    declarations = list(
        ConflictDeclaration.objects.filter(workshop=workshop, user_id__in=user_ids).values_list(
            "user_id", "kind", "value"
        )
    )
    publications = _recent_publications(user_ids)
    if len(user_ids) <= NARROW_UP_TO:
        rows = _authors_matching(workshop, emails, declarations, publications)
    else:
        rows = list(
            Authorship.objects.filter(submission__workshop=workshop).values_list(*_AUTHOR_FIELDS)
        )
    # Each paper's status comes with the rows that name it: no read of the workshop's papers.
    status_of = {row[0]: row[4] for row in rows}
    authors = [row[:4] for row in rows]

    by_email: dict[str, set[int]] = defaultdict(set)  # author email -> submissions
    for sid, email, _, _ in authors:
        if email:  # an imported author may have no address: it matches nobody
            by_email[email].add(sid)
    # one address may sit on two accounts (one's login, another's unconfirmed addition)
    users_of_email: dict[str, set[int]] = defaultdict(set)
    for uid, addresses in emails.items():
        for address in addresses:
            users_of_email[address].add(uid)

    # authorship, and co-authorship through another paper of the workshop
    papers_of_user: dict[int, set[int]] = defaultdict(set)
    for email, sids in by_email.items():
        for uid in users_of_email.get(email, ()):
            papers_of_user[uid] |= sids
            for sid in sids:
                result.add((sid, uid), "authorship", evident=(uid, email) in confirmed)
    coauthors_of_paper: dict[int, set[str]] = defaultdict(set)
    for sid, email, _, _ in authors:
        if email:
            coauthors_of_paper[sid].add(email)
    for uid, own in papers_of_user.items():
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
        for address in addresses:
            for sid in by_domain.get(organisation_domain(address) or "", ()):
                result.add((sid, uid), "domain", evident=(uid, address) in confirmed)

    # the reviewer's own declarations: bids "in conflict", people, institutions
    for sid, uid, status in Bid.objects.filter(
        submission__workshop=workshop, user_id__in=user_ids, value=BidValue.CONFLICT
    ).values_list("submission_id", "user_id", "submission__status"):
        status_of[sid] = status
        result.add((sid, uid), "bid", evident=True)
    by_name: dict[str, set[int]] = defaultdict(set)
    by_affiliation: list[tuple[str, int]] = []
    for sid, _, name, affiliation in authors:
        by_name[normalise(name)].add(sid)
        if affiliation.strip():
            by_affiliation.append((normalise(affiliation), sid))
    for uid, kind, value in declarations:
        if kind == DeclarationKind.PERSON:
            hits = by_email.get(value.strip().lower(), set()) | by_name.get(normalise(value), set())
        else:
            needle = normalise(value)
            hits = {sid for aff, sid in by_affiliation if needle and needle in aff}
        for sid in hits:
            result.add((sid, uid), "declared")

    _publication_coauthors(result, publications, authors)

    # the authors' declarations: committee members by account, institutions by affiliation
    for sid, member_id, institution, status in AuthorConflict.objects.filter(
        Q(member_id__in=user_ids) | ~Q(institution=""), submission__workshop=workshop
    ).values_list("submission_id", "member_id", "institution", "submission__status"):
        status_of[sid] = status
        if member_id in user_ids:
            result.add((sid, member_id), "author-declared", evident=True)
        elif institution:
            needle = normalise(institution)
            for uid in user_ids:
                if needle and needle in normalise(affiliations.get(uid, "")):
                    result.add((sid, uid), "author-declared")

    # the chairs' word, last
    for sid, uid, conflicted, status in ConflictOverride.objects.filter(
        submission__workshop=workshop, user_id__in=user_ids
    ).values_list("submission_id", "user_id", "conflicted", "submission__status"):
        status_of[sid] = status
        if conflicted:
            result.add((sid, uid), "chair", evident=True)
        else:
            result.lifted.add((sid, uid))

    paper_ids = {
        sid
        for sid, status in status_of.items()
        if include_drafts or status != SubmissionStatus.DRAFT
    }
    result.reasons = defaultdict(
        set, {p: r for p, r in result.reasons.items() if p[0] in paper_ids}
    )
    result.evident = defaultdict(
        set, {p: r for p, r in result.evident.items() if p[0] in paper_ids}
    )
    return result


def _recent_publications(user_ids: set[int]) -> list[tuple[int, str, list]]:
    """(user id, the user's own name, co-author names) of each recent publication of theirs
    (excluded ones too: exclusion is about expertise), in two queries."""
    since = timezone.now().year - settings.EXPERTISE_COAUTHOR_YEARS + 1
    rows = list(
        Publication.objects.filter(user_id__in=user_ids, year__gte=since).values_list(
            "user_id", "authors"
        )
    )
    if not rows:
        return []
    own = dict(User.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "name"))
    return [(uid, own[uid], names or []) for uid, names in rows]


def _authors_matching(
    workshop: Workshop,
    emails: dict[int, set[str]],
    declarations: list[tuple[int, str, str]],
    publications: list[tuple[int, str, list]],
) -> list[tuple[int, str, str, str, str]]:
    """The workshop's author rows (with their paper's status) that can give these few people
    a conflict, through the match keys' indexes (submissions/identity.py) instead of every
    author of the workshop: rows at their addresses or organisation domains, rows named or at
    an institution they declared, rows named like a co-author of their publications; then
    every row of their own papers and every row at a co-author's address. Everything
    `conflicts_for` derives from the authors is derived from these rows alone, so its answer
    is the same (tests/reviews/test_conflicts_narrow.py asks both ways)."""
    own_addresses: set[str] = set().union(*emails.values())
    orgs = {organisation_domain(a) for a in own_addresses} - {None}
    addresses, named, needles = set(own_addresses), set(), set()
    for _, kind, value in declarations:
        if kind == DeclarationKind.PERSON:
            addresses.add(value.strip().lower())
            named.add(normalise(value))
        elif normalise(value):
            needles.add(normalise(value))
    initials = set()
    for _, _, names in publications:
        for name in names:
            if isinstance(name, str):
                named.add(normalise(name))
                initials.add(initial_key(name))
    named.discard("")
    initials.discard("")
    match = (
        Q(email__in=addresses - {""})
        | Q(org_domain__in=orgs)
        | Q(name_key__in=named)
        | Q(initial_key__in=initials)
    )
    for needle in needles:
        match |= Q(affiliation_key__contains=needle)
    # The keys are looked up across the deployment and the rows then kept to this workshop's
    # papers by primary key: joining first would make the planner read every paper of a large
    # workshop to keep a few hundred rows.
    rows = _in_workshop(workshop, Authorship.objects.filter(match))
    own = {row[0] for row in rows if row[1] in own_addresses}
    if own:
        own_rows = set(
            Authorship.objects.filter(submission_id__in=own).values_list(*_AUTHOR_FIELDS)
        )
        partners = {row[1] for row in own_rows if row[1]} - own_addresses
        rows |= own_rows
        if partners:
            rows |= _in_workshop(workshop, Authorship.objects.filter(email__in=partners))
    return list(rows)


def _in_workshop(workshop: Workshop, authors: QuerySet) -> set[tuple[int, str, str, str, str]]:
    found = list(authors.order_by().values_list(*_AUTHOR_FIELDS[:4]))
    status = dict(
        Submission.objects.filter(pk__in={row[0] for row in found}, workshop=workshop)
        .order_by()
        .values_list("pk", "status")
    )
    return {(*row, status[row[0]]) for row in found if row[0] in status}


def _publication_coauthors(result: ConflictMap, publications: list[tuple[int, str, list]],
                           authors: list[tuple[int, str, str, str]]) -> None:  # fmt: skip
    """Co-authors of the reviewers' recent publications against the papers' authors, by
    name: the same normalised name, or only the same initial and family name ("similar")."""
    if not publications:
        return
    by_name: dict[str, set[int]] = defaultdict(set)
    by_initial: dict[str, set[int]] = defaultdict(set)
    for sid, _, name, _ in authors:
        by_name[normalise(name)].add(sid)
        key = initial_key(name)
        if key:
            by_initial[key].add(sid)
    for uid, own_name, names in publications:
        own = normalise(own_name)
        for name in names:
            if not isinstance(name, str) or not normalise(name) or normalise(name) == own:
                continue
            exact = by_name.get(normalise(name), set())
            for sid in exact:
                result.add((sid, uid), "publication")
            key = initial_key(name)
            if key and initial_key(own_name) != key:
                for sid in by_initial.get(key, set()) - exact:
                    result.add((sid, uid), "publication-similar")


def conflicted_submission_ids(workshop: Workshop, user: User) -> set[int]:
    """The papers of `workshop` that `user` is in conflict with, for every source: what the
    chairs, the matching and assignment go by."""
    return conflicts_for(workshop, user_ids=[user.pk], include_drafts=True).conflicted_submissions(
        user.pk
    )


def hidden_submission_ids(workshop: Workshop, user: User) -> set[int]:
    """The papers of `workshop` that `user`'s own pages hide and whose review tools they
    refuse: every conflict, but on a double-blind workshop only the evident ones, so that no
    guess of theirs changes what they see (module docstring)."""
    return conflicts_for(workshop, user_ids=[user.pk], include_drafts=True).hidden_submissions(
        user.pk
    )


__all__ = [
    "ConflictMap",
    "conflicted_submission_ids",
    "conflicts_for",
    "hidden_submission_ids",
    "organisation_domain",
]
