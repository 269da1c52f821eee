"""The committee part of an import (a PC list, EasyChair's committee.csv), in bulk.

A committee list of 50,000 lines took over 30 minutes row by row (some 30 queries a line:
`account`, `full_clean`, `membership_grant`, the profile and each topic). Here the same
result comes from a plan and a write, both chunk by chunk:

- **plan** (reads only, no transaction: on SQLite a dry run never takes the write lock):
  each chunk resolves its addresses in two queries (accounts and allauth addresses), its
  memberships, profiles and expertise in one each, validates new accounts like the forms
  (`clean_fields`; an address no account owns cannot break the unique check), and writes
  the report line by line exactly as the row-by-row import did;
- **write** (a real run without errors): per chunk, bulk inserts of the accounts, their
  addresses, the memberships with their `membership.grant` activity entries, the profiles
  and the expertise (levels that changed are updated).

`CommitteeImport.run` plans and writes a chunk at a time inside a surrounding transaction
(a mixed bundle, where the papers read the committee). `committee_import` is the import of
a list alone: it plans everything first (a dry run stops there), then writes in one
transaction, or on SQLite commits each chunk so that other requests wait at most a chunk
for the write lock; if a chunk fails there, what the earlier chunks wrote is taken back,
so the import still changes all or nothing.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Lower
from django.utils.translation import ngettext

from reviews.models import ReviewerProfile, TopicExpertise
from workshop.models import Activity, Membership, Role, User, Workshop
from workshop.policy import can

from .formats import MemberRecord
from .report import Progress, Report

# Lines per chunk: on SQLite, what other writers wait for at most (some 0.3 s on an idle
# machine); elsewhere five reads and a few bulk inserts each.
CHUNK = 500
# Between committed chunks: long enough for a writer that waits on SQLite's busy handler
# (it polls every 100 ms at most) to get the lock, so back-to-back chunks never starve it.
PAUSE = 0.15
UNSET_FIELDS = [f.name for f in User._meta.fields if f.name not in ("email", "name", "affiliation")]


def _refusal_of(user: User, exc: Exception) -> str:
    """A new account's refusal naming each field and the value it refused ("name “”:
    This field cannot be blank."), not Django's bare "Enter a valid email address."."""
    by_field = getattr(exc, "message_dict", None)
    if not by_field:
        messages = getattr(exc, "messages", None)
        return "; ".join(messages) if messages else str(exc)
    worded = []
    for name, messages in by_field.items():
        value = str(getattr(user, name, "") or "")[:100] if name != "__all__" else ""
        label = f"{name} “{value}”: " if name != "__all__" else ""
        worded += [f"{label}{message}" for message in messages]
    return "; ".join(worded)


GRANT_REFUSED = "Only the chairs give roles."


def chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    size = CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Step:
    """What one chunk of the list writes; users are objects (saved or not yet)."""

    users: list[User] = field(default_factory=list)
    staff: list[User] = field(default_factory=list)
    grants: list[tuple[User, str]] = field(default_factory=list)
    expertise: dict[tuple[int, int], tuple[User, int, str]] = field(default_factory=dict)


@dataclass
class _Written:
    """What the chunks committed so far wrote, to take back if a later chunk fails."""

    users: list[int] = field(default_factory=list)
    staff: list[int] = field(default_factory=list)
    memberships: list[int] = field(default_factory=list)
    activities: list[int] = field(default_factory=list)
    profiles: list[int] = field(default_factory=list)
    expertise: list[int] = field(default_factory=list)
    levels: dict[int, str] = field(default_factory=dict)  # expertise pk -> level before


class CommitteeImport:
    """Plans and writes the members of one import. `accounts` is the importer's cache of
    addresses to accounts (shared, so the papers of a mixed bundle find the new members);
    `chair` is who the `membership.grant` entries name."""

    def __init__(
        self,
        *,
        workshop: Workshop,
        chair: User,
        report: Report,
        accounts: dict[str, User | None],
    ) -> None:
        self.workshop = workshop
        self.chair = chair
        self.report = report
        self.accounts = accounts
        self.topics = {t.name.lower(): t for t in workshop.topics.all()}
        self.allowed = can(chair, "workshop.manage_members", workshop)
        self.ambiguous: dict[str, int] = {}
        # Planning keys: an account's pk, or for one not yet written, -id() of its object.
        self.roles: set[tuple[int, str]] = set()
        self.pending_roles: dict[int, list[str]] = defaultdict(list)
        self.profiles: dict[int, ReviewerProfile | None] = {}
        self.levels: dict[tuple[int, int], TopicExpertise] = {}
        self.user_type = ContentType.objects.get_for_model(User)
        self.written = _Written()

    @staticmethod
    def key(user: User) -> int:
        return user.pk if user.pk else -id(user)

    # --- plan: reads only --------------------------------------------------------------------

    def resolve(self, records: Sequence[MemberRecord]) -> None:
        """Find the accounts of the chunk's new addresses and what they hold in this
        workshop already: five queries however long the chunk."""
        emails = {r.email.lower() for r in records} - set(self.accounts) - set(self.ambiguous)
        if emails:
            owners: dict[str, set[int]] = defaultdict(set)
            found = (
                User.objects.annotate(address=Lower("email"))
                .filter(address__in=emails)
                .values_list("address", "pk")
            )
            for address, pk in found:
                owners[address].add(pk)
            found = (
                EmailAddress.objects.annotate(address=Lower("email"))
                .filter(address__in=emails)
                .values_list("address", "user_id")
            )
            for address, pk in found:
                owners[address].add(pk)
            users = User.objects.in_bulk({next(iter(ids)) for ids in owners.values()})
            for email in emails:
                ids = owners.get(email, set())
                if len(ids) > 1:
                    self.ambiguous[email] = len(ids)
                else:
                    self.accounts[email] = users[ids.pop()] if ids else None
        known = {
            u.pk
            for u in (self.accounts.get(r.email.lower()) for r in records)
            if u is not None and u.pk and u.pk not in self.profiles
        }
        if not known:
            return
        self.roles.update(
            Membership.objects.filter(workshop=self.workshop, user_id__in=known).values_list(
                "user_id", "role"
            )
        )
        for pk in known:
            self.profiles[pk] = None
        for profile in ReviewerProfile.objects.filter(workshop=self.workshop, user_id__in=known):
            self.profiles[profile.user_id] = profile
        for row in TopicExpertise.objects.filter(
            profile__workshop=self.workshop, profile__user_id__in=known
        ).select_related("profile"):
            self.levels[(row.profile.user_id, row.topic_id)] = row

    def plan(self, records: Sequence[MemberRecord]) -> _Step:
        """The report lines of a chunk (the row-by-row import's, in its order) and what
        the chunk would write."""
        self.resolve(records)
        step = _Step()
        for record in records:
            self.plan_one(record, step)
        return step

    def plan_one(self, record: MemberRecord, step: _Step) -> None:
        report, line, email = self.report, record.line, record.email
        unknown = [name for name in record.topics if name.lower() not in self.topics]
        if unknown:
            report.error(
                line,
                f"{ngettext('Unknown topic', 'Unknown topics', len(unknown))}: "
                f"{', '.join(unknown)}.",
            )
            return
        if email.lower() in self.ambiguous:
            count = self.ambiguous[email.lower()]
            report.error(line, f"{email.lower()} matches {count} accounts: merge them first.")
            return
        user = self.accounts.get(email.lower())
        created = user is None
        if created:
            user = User(email=email, name=record.name[:200], affiliation=record.affiliation[:200])
            try:
                # `full_clean` of the fields the list sets (the others hold their defaults);
                # its unique check cannot fail for an address no account has.
                user.clean_fields(exclude=UNSET_FIELDS)
                user.clean()
            except Exception as exc:  # noqa: BLE001 - ValidationError, as `attempt` reports it
                report.error(line, f"{email}: {_refusal_of(user, exc)}")
                return
        if not self.allowed:
            report.error(line, GRANT_REFUSED)
            return
        if created:
            step.users.append(user)
            self.accounts[email] = user
            report.change(line, "user.create", email)
        key = self.key(user)
        if (key, record.role) not in self.roles:
            self.roles.add((key, record.role))
            if key < 0:
                self.pending_roles[key].append(record.role)
            step.grants.append((user, record.role))
            if record.role == Role.CHAIR and not user.is_staff:
                user.is_staff = True
                if not created:
                    step.staff.append(user)
            report.change(line, "membership.grant", f"{email} as {Role(record.role).label.lower()}")
        if record.topics:
            changed = 0
            for name, level in record.topics.items():
                topic = self.topics[name.lower()]
                step.expertise[(key, topic.pk)] = (user, topic.pk, level)
                row = self.levels.get((user.pk, topic.pk)) if user.pk else None
                changed += row is None or row.level != level
            if changed:  # the same list again changes nothing, and says so
                report.change(line, "expertise.set", f"{email}: {len(record.topics)} topics")

    # --- write ------------------------------------------------------------------------------

    def write(self, step: _Step) -> None:
        """Bulk inserts (and level updates) of one planned chunk."""
        if step.users:
            # Planning keys of new accounts are -id(): keep them for the maps below.
            keys = {id(u): self.key(u) for u in step.users}
            for user in step.users:
                # `set_unusable_password`, without its 40 calls of random.choice per account
                user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)
            User.objects.bulk_create(step.users)
            self.written.users += [u.pk for u in step.users]
            EmailAddress.objects.bulk_create(
                EmailAddress(user=u, email=u.email, primary=True, verified=False)
                for u in step.users
            )
            for user in step.users:
                self._rekey(keys[id(user)], user.pk)
        if step.staff:
            User.objects.filter(pk__in=[u.pk for u in step.staff]).update(is_staff=True)
            self.written.staff += [u.pk for u in step.staff]
        if step.grants:
            memberships = Membership.objects.bulk_create(
                Membership(workshop=self.workshop, user=u, role=role) for u, role in step.grants
            )
            self.written.memberships += [m.pk for m in memberships]
            entries = Activity.objects.bulk_create(
                self._grant_entry(u, role) for u, role in step.grants
            )
            self.written.activities += [e.pk for e in entries]
        if step.expertise:
            self._expertise(step)

    def _rekey(self, old: int, pk: int) -> None:
        """A new account got its pk: its planned roles move from the planning key."""
        for role in self.pending_roles.pop(old, ()):
            self.roles.discard((old, role))
            self.roles.add((pk, role))

    def _grant_entry(self, user: User, role: str) -> Activity:
        """The entry `membership_grant` writes for a new role (`activity_record`'s fields)."""
        return Activity(
            workshop=self.workshop,
            actor=self.chair,
            action="membership.grant",
            target_label=str(user)[:255],
            summary=f"{user} is now {Role(role).label.lower()} of {self.workshop}"[:500],
            after={"role": str(role)},
            target_type=self.user_type,
            target_id=user.pk,
        )

    def _expertise(self, step: _Step) -> None:
        new_profiles = []
        for user, _, _ in step.expertise.values():
            if self.profiles.get(user.pk) is None:
                profile = ReviewerProfile(workshop=self.workshop, user=user)
                self.profiles[user.pk] = profile
                new_profiles.append(profile)
        ReviewerProfile.objects.bulk_create(new_profiles)
        self.written.profiles += [p.pk for p in new_profiles]
        created, changed = [], []
        for user, topic_id, level in step.expertise.values():
            row = self.levels.get((user.pk, topic_id))
            if row is None:
                profile = self.profiles[user.pk]
                row = TopicExpertise(profile=profile, topic_id=topic_id, level=level)
                self.levels[(user.pk, topic_id)] = row
                created.append(row)
            elif row.level != level:
                self.written.levels.setdefault(row.pk, row.level)
                row.level = level
                changed.append(row)
        TopicExpertise.objects.bulk_create(created)
        self.written.expertise += [row.pk for row in created]
        TopicExpertise.objects.bulk_update(changed, ["level"])

    def take_back(self) -> None:
        """Undo what the committed chunks wrote (one transaction): a failed chunked import
        changes nothing, like a failed import in one transaction."""
        written = self.written
        with transaction.atomic():
            for pk, level in written.levels.items():
                TopicExpertise.objects.filter(pk=pk).update(level=level)
            TopicExpertise.objects.filter(pk__in=written.expertise).delete()
            ReviewerProfile.objects.filter(pk__in=written.profiles).delete()
            Activity.objects.filter(pk__in=written.activities).delete()
            Membership.objects.filter(pk__in=written.memberships).delete()
            User.objects.filter(pk__in=written.staff).update(is_staff=False)
            EmailAddress.objects.filter(user_id__in=written.users).delete()
            User.objects.filter(pk__in=written.users).delete()
        self.written = _Written()

    # --- runs -------------------------------------------------------------------------------

    def run(self, records: Sequence[MemberRecord], tick: Progress) -> None:
        """Plan and write chunk by chunk, inside the caller's transaction."""
        done = 0
        for chunk in chunks(records):
            self.write(self.plan(chunk))
            done += len(chunk)
            tick(done, len(records))


def committee_import(
    *,
    workshop: Workshop,
    chair: User,
    records: Sequence[MemberRecord],
    report: Report,
    dry_run: bool,
    progress: Progress | None = None,
    commit_chunks: bool | None = None,
    finish: Any = None,
) -> None:
    """Import a committee list alone: plan every chunk (a dry run ends there, having
    written nothing), then, without errors, write. `commit_chunks` (default: on SQLite,
    outside a transaction) commits each chunk on its own and takes the committed chunks
    back if a later one fails. `finish()` runs in the last chunk's transaction (the
    import's own activity entry). Progress: the plan counts the lines once, the write
    once more."""
    importer = CommitteeImport(workshop=workshop, chair=chair, report=report, accounts={})
    total = len(records) * (1 if dry_run else 2)
    steps: list[_Step] = []
    done = 0
    for chunk in chunks(records):
        steps.append(importer.plan(chunk))
        done += len(chunk)
        if progress:
            progress(done, total)
    if dry_run or report.errors:
        return
    if commit_chunks is None:
        commit_chunks = connection.vendor == "sqlite" and not connection.in_atomic_block
    sizes = [len(chunk) for chunk in chunks(records)]
    try:
        with nullcontext() if commit_chunks else transaction.atomic():
            for position, (step, size) in enumerate(zip(steps, sizes, strict=True)):
                with transaction.atomic():
                    importer.write(step)
                    if position == len(steps) - 1 and finish is not None:
                        finish()
                done += size
                if progress:
                    progress(done, total)
                if commit_chunks and position < len(steps) - 1:
                    time.sleep(PAUSE)
    except DatabaseError as exc:
        if commit_chunks:
            importer.take_back()
        report.error(
            0,
            "The committee changed while the import was writing (someone else added one of "
            f"these accounts or roles): nothing was imported; run the import again. ({exc})",
        )
