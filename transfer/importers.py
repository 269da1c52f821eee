"""Apply parsed records to a workshop: the other face of the browser's actions.

Every import is one transaction: all of it or nothing. Assignments, reviews, decisions and
conflicts are written by the services' own writers, acting as the chair who runs the
import (or, from a command, the workshop's first chair: the services store who decided or
assigned), so the same permissions and checks apply and the same rows and activity
entries are written. New records go in bulk (`transfer.bulk`: planned per record, then
`assignments_import_write_many`, `review_import_write_many`,
`conflict_overrides_import_write_many`, `decisions_import_write_many`), what exists
already through the one-row actions (`assignment_add`, `review_import_write`,
`decision_record`), which compare and keep history. Papers and their authors have no
browser action a chair could take for somebody else, and accounts none a chair could take
at all: `submissions_import_write_many` and the committee import (`transfer.committee`)
write them, validated like the forms, with one activity entry per import. A dry run runs
everything, keeps the report and rolls back; mail is queued through the outbox after
commit, so nothing escapes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import ngettext

from reviews.models import (
    Assignment,
    ConflictOverride,
    Decision,
    QuestionKind,
    QuestionVisibility,
    Review,
    ReviewQuestion,
)
from reviews.selectors.conflicts import conflicts_for
from reviews.services.assignment import assignment_add
from reviews.services.decisions import (
    category_for,
    category_import,
    decision_record,
    default_categories_create,
)
from reviews.services.imports import (
    affinity_score_import_write,
    conflict_overrides_import_write_many,
)
from reviews.services.reviewing import review_import_write, review_question_import
from submissions.filechecks.errors import FileCheckError
from submissions.models import FileKind, Submission
from submissions.services.files import submission_file_write
from submissions.services.imports import submission_import_update
from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import Membership, Role, User, Workshop
from workshop.plurals import counted

from .bulk import PaperBatch, ReviewBatch
from .committee import CommitteeImport, committee_import
from .formats import (
    DECISIONS,
    GLUE_WORDS,
    Bundle,
    MemberRecord,
    PaperRecord,
    ReviewRecord,
    SourceField,
    abbreviates,
    easychair,
    hotcrp,
    openreview_people,
    outcome_of,
    own,
    to_number,
    words,
)
from .limits import check_size
from .models import SourceRecord
from .preferences import ScoreMap, bids_import, score_table, topics_create
from .report import ImportRefused, Progress, Report
from .sources import (
    PENDING,
    SYSTEMS,
    SourceKind,
    source_object_id,
    source_record_write,
    source_records_data_write,
    source_records_write_many,
)

Parser = Callable[[bytes, Report], Bundle]

FORMATS: dict[str, tuple[str, Parser]] = {
    "hotcrp-papers": ("HotCRP paper JSON", hotcrp.parse_papers),
    "hotcrp-reviews-csv": ("HotCRP review CSV", hotcrp.parse_reviews_csv),
    "hotcrp-reviews-json": ("HotCRP review JSON", hotcrp.parse_reviews_json),
    "hotcrp-pc": ("HotCRP PC list CSV", hotcrp.parse_pc),
    "openreview-notes": (
        "OpenReview notes JSON, or a zip with its profiles, groups and a profile mapping CSV",
        openreview_people.parse_notes,
    ),
    "openreview-committee": (
        "OpenReview committee groups (Reviewers, Area_Chairs), with profiles or a mapping",
        openreview_people.parse_committee,
    ),
    "openreview-affinity": (
        "OpenReview affinity CSV, or a zip with it and the profiles or a profile mapping",
        openreview_people.parse_affinity,
    ),
    "easychair": ("EasyChair CSV files (zip)", easychair.parse_bundle),
    "easychair-committee": ("EasyChair committee CSV", easychair.parse_committee),
    "easychair-reviews": ("EasyChair review CSV", easychair.parse_reviews),
    "own-submissions-csv": (
        "Our own submissions CSV (the admin's or the API's export)",
        own.parse_submissions_csv,
    ),
    "own-api-json": ("Our own API's JSON (papers, reviews, decisions)", own.parse_api_json),
}
ARCHIVE = "archive"

RECOMMENDATION = {"overall merit", "overall evaluation", "rating", "recommendation", "overall"}
CONFIDENCE = {
    "reviewer expertise", "confidence", "expertise", "reviewer confidence", "reviewers confidence",
}  # fmt: skip


# Conflicts this system infers on its own: an imported review overrides them.
GUESSED_CONFLICTS = {"domain", "coauthor", "publication", "publication-similar"}
# Who reads a question, narrowest first: an answer never goes to a question read by more
# people than the other system showed the field to.
AUDIENCE = [QuestionVisibility.CHAIRS, QuestionVisibility.COMMITTEE, QuestionVisibility.AUTHORS]


def _contained(name: str, questions: list[ReviewQuestion]) -> ReviewQuestion | None:
    """The one question whose label's words the field's name holds, or that holds the
    name's ("Paper summary" and "Summary"); None when none or several fit as well."""
    theirs = set(words(name)) - GLUE_WORDS
    best: list[tuple[int, ReviewQuestion]] = []
    for question in questions:
        ours = set(words(question.label)) - GLUE_WORDS
        if ours and theirs and (ours <= theirs or theirs <= ours):
            best.append((len(ours & theirs), question))
    best.sort(key=lambda pair: -pair[0])
    if not best or (len(best) > 1 and best[0][0] == best[1][0]):
        return None
    return best[0][1]


class _DryRun(Exception):
    pass


def acting_chair(workshop: Workshop, actor: Any) -> User | None:
    """The person the services record as having assigned or decided: the actor, or for the
    system actor (commands), the workshop's first chair."""
    if isinstance(actor, User):
        return actor
    membership = (
        Membership.objects.filter(workshop=workshop, role=Role.CHAIR).order_by("pk").first()
    )
    return membership.user if membership else None


class Applier:
    def __init__(
        self,
        workshop: Workshop,
        actor: Any,
        fmt: str,
        report: Report,
        progress: Progress | None,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.workshop = workshop
        # What the chair confirmed after the dry run: `score_maps`, the scores of each
        # field of the other form (lower-cased name) to ours, {"8": 4, ...}.
        self.options = options or {}
        self.score_maps: dict[str, ScoreMap] = {}
        self.seen_scores: dict[str, set[int]] = {}
        self.actor = actor
        self.fmt = fmt
        self.report = report
        self.progress = progress
        self.chair = acting_chair(workshop, actor)
        # The other system the format comes from (`hotcrp-papers`: HotCRP); None for ours.
        self.system = SYSTEMS.get(fmt.split("-")[0])
        self.accounts: dict[str, User | None] = {}
        self.forums: dict[str, int] = {}
        self.done = 0
        self.total = 0
        # The other system's review form, and which of our questions each field went to.
        self.form: dict[str, SourceField] = {}
        self.questions: list[ReviewQuestion] | None = None
        self.questions_by_field: dict[str, ReviewQuestion | None] = {}
        # Each reviewer's conflicts, computed once (papers are all in before reviews).
        self.conflicts: dict[int, Any] = {}
        # Addresses that several accounts claim (`resolve`), and the papers by number once
        # the reviews come (`submission_for`).
        self.claimed: dict[str, int] = {}
        self.by_number: dict[int, Submission] | None = None
        self.committee_ids: set[int] | None = None
        self.categories: dict[tuple[str, str | None], Any] = {}
        # Source records of the reviews' step, written at its end in bulk (`source`).
        self.deferred: list[tuple[str, str, Any, dict[str, Any]]] | None = None

    # --- helpers ------------------------------------------------------------------------------

    def tick(self) -> None:
        self.done += 1
        if self.progress and (self.done % 20 == 0 or self.done == self.total):
            self.progress(self.done, self.total)

    def advance(self, done: int, _total: int) -> None:
        """Progress of the committee, which comes first and reports per chunk."""
        self.done = done
        if self.progress:
            self.progress(self.done, self.total)

    def resolve(self, emails: Any) -> None:
        """Read the accounts of many addresses at once (two queries), for `account`."""
        emails = {e.lower() for e in emails if e} - set(self.accounts) - set(self.claimed)
        if not emails:
            return
        owners: dict[str, set[int]] = {e: set() for e in emails}
        for address, pk in (
            User.objects.annotate(address=Lower("email"))
            .filter(address__in=emails)
            .values_list("address", "pk")
        ):
            owners[address].add(pk)
        for address, pk in (
            EmailAddress.objects.annotate(address=Lower("email"))
            .filter(address__in=emails)
            .values_list("address", "user_id")
        ):
            owners[address].add(pk)
        users = User.objects.in_bulk({next(iter(ids)) for ids in owners.values() if len(ids) == 1})
        for email, ids in owners.items():
            if len(ids) > 1:
                self.claimed[email] = len(ids)
            else:
                self.accounts[email] = users[ids.pop()] if ids else None

    def account(self, email: str, line: Any) -> User | None:
        """The one account that owns `email` (primary or an allauth address); an address
        that two accounts claim is an error, not a guess."""
        email = email.lower()
        if email in self.claimed:
            self.report.error(
                line, f"{email} matches {self.claimed[email]} accounts: merge them first."
            )
            return None
        if email not in self.accounts:
            ids = set(User.objects.filter(email__iexact=email).values_list("pk", flat=True))
            ids |= set(
                EmailAddress.objects.filter(email__iexact=email).values_list("user_id", flat=True)
            )
            if len(ids) > 1:
                self.report.error(line, f"{email} matches {len(ids)} accounts: merge them first.")
                return None
            self.accounts[email] = User.objects.get(pk=ids.pop()) if ids else None
        return self.accounts[email]

    def ambiguous(self, email: str) -> bool:
        """After `account` returned None: whether that was two accounts, not none."""
        return email.lower() not in self.accounts

    def attempt(self, line: Any, action: Callable[[], Any]) -> Any:
        """Run one record's changes in a savepoint; a refusal becomes an error of its line
        and the run goes on, so the report lists every problem at once."""
        try:
            with transaction.atomic():
                return action()
        except ServiceError as exc:
            self.report.error(line, str(exc))
        except Exception as exc:  # noqa: BLE001 - validation errors of full_clean and such
            messages = getattr(exc, "messages", None)
            self.report.error(line, "; ".join(messages) if messages else str(exc))
        return None

    # --- records -------------------------------------------------------------------------------

    def apply(self, bundle: Bundle) -> None:
        if self.chair is None:
            self.report.error(0, "The workshop has no chair to act for the import.")
            return
        self.total = len(bundle)
        self.forums = {p.external_id: p.number for p in bundle.papers if p.external_id}
        # By lower-cased name: CSV readers lower-case their columns.
        self.form = {name.lower(): field for name, field in bundle.review_form.items()}
        for record in bundle.reviews:  # each score field's values, for its mapping
            for name, value in record.answers.items():
                number = to_number(value) if isinstance(value, str) else value
                if isinstance(number, int) and not isinstance(number, bool):
                    self.seen_scores.setdefault(name.lower(), set()).add(number)
        if bundle.topics:
            topics_create(workshop=self.workshop, chair=self.chair, names=bundle.topics,
                          report=self.report)  # fmt: skip
        # A zip's PDFs by paper number ("…-paper12.pdf", as HotCRP names them).
        self.pdfs: dict[int, tuple[str, bytes]] = {}
        for name, content in bundle.files.items():
            found = re.search(r"paper(\d+)\.pdf$", name, re.IGNORECASE)
            if found:
                self.pdfs[int(found.group(1))] = (name, content)
            else:
                self.report.field("file", name, "dropped: no paper number in its name")
        if bundle.members:
            CommitteeImport(
                workshop=self.workshop, chair=self.chair, report=self.report, accounts=self.accounts
            ).run(bundle.members, self.advance)
            member_sources_write(self.workshop, self.system, bundle.members)
            self.pending_conflicts()
        self.papers(bundle.papers)
        self.reviews(bundle.reviews)
        for line, ref, name in bundle.decisions:
            self.attempt(line, lambda a=line, r=ref, n=name: self.decision(a, r, n))
            self.tick()
        for line, ref, kind, source_id, data in bundle.kept:
            submission = self.submission_for(ref, line)
            if submission is not None:
                self.source(kind, source_id, submission, data)
                self.report.field(kind, "(whole record)", "kept for the chairs, with its paper")
            self.tick()
        for affinity in bundle.affinities:
            self.affinity(affinity)
            self.tick()
        if bundle.bids:
            bids_import(applier=self, records=bundle.bids)
        activity_record(
            actor=self.actor if isinstance(self.actor, User) else self.chair,
            action="transfer.import",
            target=self.workshop,
            workshop=self.workshop,
            summary=f"Imported {FORMATS.get(self.fmt, (self.fmt,))[0]}: "
            + ", ".join(f"{n} {a}" for a, n in sorted(self.report.counts().items())),
        )

    def papers(self, records: list[PaperRecord]) -> None:
        if not records:
            return
        topics = {t.name.lower(): t for t in self.workshop.topics.all()}
        numbers = set(self.workshop.submissions.values_list("number", flat=True))
        titles = {t.lower() for t in self.workshop.submissions.values_list("title", flat=True)}
        seen: dict[int, Any] = {}
        known = dict(
            SourceRecord.objects.filter(
                workshop=self.workshop, system=self.system, kind=SourceKind.PAPER
            ).values_list("source_id", "object_id")
        )
        free = max(numbers | {r.number for r in records}, default=0) + 1
        self.resolve(
            [a.email for r in records for a in r.authors]
            + [e for r in records for e in r.conflicts]
        )
        batch = PaperBatch(self, topics)
        batch.read_earlier({known[r.external_id] for r in records if r.external_id in known})
        for record in records:
            earlier = known.get(record.external_id) if record.external_id else None
            if record.number == 0 and earlier is None:
                # A note without a number (openreview-py's to_json of a draft): the next one.
                record.number, free = free, free + 1
                self.report.field("paper", "number", "numbered here: the file has none")
            if earlier is not None and record.number not in seen:
                seen[record.number] = record.line
                conflicted = {email: self.account(email, record.line) for email in record.conflicts}
                if not batch.unchanged(record, earlier, conflicted):
                    self.attempt(
                        record.line,
                        lambda r=record, c=conflicted, pk=earlier: self.paper_update(
                            r, pk, c, topics
                        ),
                    )
                self.tick()
                continue
            if record.number in seen:
                self.report.error(
                    record.line,
                    f"Duplicate paper: #{record.number} appears "
                    f"again (first at {seen[record.number]}).",
                )
                continue
            seen[record.number] = record.line
            if record.number in numbers:
                self.report.error(
                    record.line,
                    f"Duplicate paper: #{record.number} exists in this workshop already.",
                )
                continue
            if record.title.lower() in titles:
                self.report.error(
                    record.line,
                    f"Duplicate paper: “{record.title}” exists in this workshop already.",
                )
                continue
            titles.add(record.title.lower())
            unknown = [t for t in record.topics if t.lower() not in topics]
            if unknown:
                self.report.error(
                    record.line,
                    f"{ngettext('Unknown topic', 'Unknown topics', len(unknown))}: "
                    f"{', '.join(unknown)}.",
                )
                continue
            errors = len(self.report.errors)
            for author in record.authors:
                if author.email:
                    self.account(author.email, record.line)
            conflicted = {email: self.account(email, record.line) for email in record.conflicts}
            if len(self.report.errors) > errors:
                continue
            batch.add(record, conflicted)
            self.tick()
        batch.write()

    def paper_conflicts(
        self, submission: Submission, record: PaperRecord, conflicted: dict[str, User | None]
    ) -> None:
        """The other system's conflicts of a paper imported before (`conflicts_of`), and
        its source record."""
        committee = set(
            Membership.objects.filter(workshop=self.workshop)
            .exclude(role=Role.CHAIR)
            .values_list("user_id", flat=True)
        )
        already = set(
            ConflictOverride.objects.filter(submission=submission, conflicted=True).values_list(
                "user_id", flat=True
            )
        )
        items: list[tuple[Submission, User, bool, str]] = []
        waiting = self.conflicts_of(record, conflicted, committee, already, items, submission)
        assert self.chair is not None
        conflict_overrides_import_write_many(workshop=self.workshop, chair=self.chair, items=items)
        data = {**record.source, PENDING: waiting} if waiting else record.source
        self.source(SourceKind.PAPER, record.external_id, submission, data)

    def conflicts_of(
        self,
        record: PaperRecord,
        conflicted: dict[str, User | None],
        committee: set[int],
        already: set[int],
        items: list[tuple[Submission, User, bool, str]],
        submission: Submission,
    ) -> dict[str, str]:
        """The other system's conflicts of a paper, as the chairs' overrides to write (added
        to `items`; `already`: the people the paper has one with). A person not in the
        committee yet waits in the paper's source record (returned) and is applied when the
        committee arrives (`pending_conflicts`), so the order of the files does not matter."""
        waiting: dict[str, str] = {}
        for email, user in conflicted.items():
            if user is None or user.pk not in committee:
                waiting[email] = record.conflicts[email]
                continue
            if user.pk in already:
                continue
            items.append(
                (submission, user, True, f"Imported ({self.fmt}): {record.conflicts[email]}")
            )
            self.report.change(record.line, "conflict.set", f"#{record.number} / {email}")
        if waiting:
            self.report.warn(
                record.line,
                f"Conflicts of #{record.number} with {len(waiting)} people not in the committee "
                "are kept, and set when they join it (import the PC list).",
            )
            self.report.field(
                "paper", "pc_conflicts", "kept: set when they join the committee", len(waiting)
            )
        return waiting

    def pending_conflicts(self) -> None:
        """Set the conflicts that papers imported before the committee were waiting for
        (in bulk: a few statements however many papers wait)."""
        members = dict(
            Membership.objects.filter(workshop=self.workshop)
            .exclude(role=Role.CHAIR)
            .values_list("user__email", "user_id")
        )
        members = {email.lower(): uid for email, uid in members.items()}
        waiting = [
            kept
            for kept in SourceRecord.objects.filter(
                workshop=self.workshop, kind=SourceKind.PAPER, data__has_key=PENDING
            )
            if kept.data.get(PENDING)
        ]
        if not waiting:
            return
        papers = Submission.objects.select_related("workshop").in_bulk(
            [kept.object_id for kept in waiting]
        )
        people = User.objects.in_bulk(list(members.values()))
        items: list[tuple[Submission, User, bool, str]] = []
        for kept in waiting:
            submission = papers[kept.object_id]
            left = {}
            for email, kind in kept.data[PENDING].items():
                uid = members.get(email.lower())
                if uid is None:
                    left[email] = kind
                    continue
                reason = f"Imported ({kept.get_system_display()}): {kind}"
                items.append((submission, people[uid], True, reason))
                self.report.change(0, "conflict.set", f"#{submission.number} / {email}")
            kept.data = {k: v for k, v in kept.data.items() if k != PENDING} | (
                {PENDING: left} if left else {}
            )
        assert self.chair is not None
        conflict_overrides_import_write_many(workshop=self.workshop, chair=self.chair, items=items)
        source_records_data_write(waiting)

    def paper_update(
        self,
        record: PaperRecord,
        submission_id: int,
        conflicted: dict[str, User | None],
        topics: dict[str, Any],
    ) -> None:
        """A paper imported before, imported again: what changed is written (one activity
        entry naming the fields), what did not is left alone; the same file twice changes
        nothing."""
        submission = Submission.objects.select_related("workshop").get(pk=submission_id)
        unknown = [t for t in record.topics if t.lower() not in topics]
        if unknown:
            raise ServiceError(
                f"{ngettext('Unknown topic', 'Unknown topics', len(unknown))}: "
                f"{', '.join(unknown)}."
            )
        changed = submission_import_update(
            submission=submission,
            chair=self.chair,
            source=self.fmt,
            title=record.title[:300],
            abstract=record.abstract,
            keywords=record.keywords[:300],
            topics=[topics[t.lower()] for t in record.topics],
            authors=[
                (a.name[:200], a.email, a.affiliation[:200], a.contact) for a in record.authors
            ],
        )
        if changed:
            submission.refresh_from_db()
            self.report.change(
                record.line, "paper.update", f"#{record.number}: {', '.join(changed)}"
            )
        else:
            self.report.field("paper", "(whole paper)", "unchanged: imported before")
        if record.decision:
            category = self.category(record)
            current = Decision.objects.filter(submission=submission).first()
            if current is None or current.category_id != category.pk:
                decision_record(submission=submission, chair=self.chair, category=category)
                self.report.change(
                    record.line, "decision.record", f"#{record.number}: {category.name}"
                )
        self.paper_conflicts(submission, record, conflicted)

    def paper_file(self, submission: Submission, record: PaperRecord) -> None:
        """The paper's PDF from the zip, through the browser's upload checks; a refused
        file is reported and the paper imported without it."""
        name, data = self.pdfs[record.number]
        try:
            with transaction.atomic():
                submission_file_write(
                    submission=submission, user=self.chair, kind=FileKind.PAPER, data=data,
                    notify=False,
                )  # fmt: skip
        except FileCheckError as exc:
            self.report.warn(record.line, f"{name}: the PDF is not imported: {exc}")
            self.report.field("paper", "PDF", "dropped: refused by the upload checks")
            return
        self.report.change(record.line, "paper.upload", f"#{record.number} {name}")

    def decision(self, line: Any, ref: int | str, name: str) -> None:
        """A decision given apart from its paper (an OpenReview Decision note): by its
        name, as a category of ours ("Accept (Poster)" is an accept)."""
        submission = self.submission_for(ref, line)
        if submission is None:
            return
        outcome = outcome_of(name)
        if outcome is None:
            raise ServiceError(
                f"The decision “{name}” is neither an accept nor a reject: create a decision "
                "category of that name first."
            )
        record = PaperRecord(
            line=line, number=submission.number, title=submission.title,
            decision=outcome, decision_name=name,
        )  # fmt: skip
        category = self.category(record)
        current = Decision.objects.filter(submission=submission).first()
        if current is None or current.category_id != category.pk:
            decision_record(submission=submission, chair=self.chair, category=category)
            self.report.change(line, "decision.record", f"#{submission.number}: {category.name}")

    def category(self, record: PaperRecord) -> Any:
        """The decision category of a paper: the one of the other system's name for it; a
        plain "Accepted" or "Rejected" is the workshop's one category of that outcome when
        it has one; any other name becomes a category of its own (reported). Found once
        per name and outcome in an import (a thousand decisions ask the database once)."""
        key = (record.decision_name.strip().lower(), record.decision)
        if key not in self.categories:
            self.categories[key] = self.find_category(record)
        return self.categories[key]

    def find_category(self, record: PaperRecord) -> Any:
        name = record.decision_name.strip()
        if not name:
            return category_for(self.workshop, record.decision)
        categories = default_categories_create(self.workshop)
        if not any(c.name.lower() == name.lower() for c in categories) and name.lower() in (
            DECISIONS
        ):
            same = [c for c in categories if c.outcome == record.decision]
            if len(same) == 1:
                return same[0]
        category = category_import(
            workshop=self.workshop, chair=self.chair, name=name, outcome=record.decision
        )
        if not any(c.pk == category.pk for c in categories):
            self.report.change(record.line, "decision_category.create", category.name)
        return category

    def submission_for(self, ref: int | str, line: Any) -> Submission | None:
        """A paper by its number, or by the other system's id: one in the same file, or
        one an earlier import recorded (an OpenReview forum id in a later affinity file)."""
        number = self.forums.get(ref, ref) if isinstance(ref, str) else ref
        if self.by_number is not None and isinstance(number, int):
            submission = self.by_number.get(number)
        else:
            submission = (
                self.workshop.submissions.filter(number=number).first()
                if isinstance(number, int)
                else None
            )
        if submission is None and isinstance(number, str):
            earlier = SourceRecord.objects.filter(
                workshop=self.workshop,
                system=self.system,
                kind=SourceKind.PAPER,
                source_id=number,
            ).values_list("object_id", flat=True)
            submission = self.workshop.submissions.filter(pk__in=list(earlier)).first()
        if submission is None:
            self.report.error(line, f"Unknown paper {ref}.")
        return submission

    def reviewer_for(self, record: ReviewRecord) -> User | None:
        """The committee member who wrote the review. Somebody else (an external reviewer,
        or a committee not imported yet): an unsubmitted review is not imported, a
        submitted one is kept for the chairs (`keep_review`); both are reported."""

        def committee() -> Any:
            return User.objects.filter(
                memberships__workshop=self.workshop,
                memberships__role__in=(Role.REVIEWER, Role.AREA_CHAIR),
            )

        if record.email:
            user = self.account(record.email, record.line)
            if user is None and self.ambiguous(record.email):
                return None
            why = f"{record.email} has no account here"
        elif "/" in record.name:
            # OpenReview signs reviews with anonymous groups (…/Reviewer_abcd): who wrote
            # them is not in the export.
            user, why = None, f"signed by OpenReview's anonymous group {record.name}"
        else:
            found = list(committee().filter(name__iexact=record.name.strip()).distinct()[:2])
            if len(found) != 1:
                matches = (
                    counted(len(found), "committee member") if found else "no committee member"
                )
                self.report.error(record.line, f"Reviewer “{record.name}” matches {matches}.")
                return None
            user = found[0]
        if user is not None and (
            user.pk in self.committee_ids
            if self.committee_ids is not None
            else committee().filter(pk=user.pk).exists()
        ):
            return user
        if user is not None:
            why = f"{user.email} is not in the committee"
        if record.submitted:
            self.keep_review(record, why)
        else:
            self.report.warn(
                record.line,
                f"{why}: an unsubmitted review by somebody outside the committee is not imported.",
            )
            self.report.field(
                "review",
                "(whole review)",
                "dropped: unsubmitted, by somebody outside the committee",
            )
        return None

    def kept_as_withdrawn(self, record: ReviewRecord, submission: Submission) -> bool:
        """A review of a withdrawn paper (HotCRP exports the reviews written before the
        withdrawal): a withdrawn paper takes no reviews here, so the review is kept whole
        for the chairs, with the paper, and the report says which paper and why."""
        if not submission.is_withdrawn:
            return False
        self.report.warn(
            record.line,
            f"A review of #{submission.number} “{submission.title[:80]}”, which was "
            "withdrawn: a withdrawn paper takes no reviews here, so the review is kept for "
            "the chairs only, with the paper.",
        )
        self.report.field(
            "review", "(whole review)", "kept for the chairs: its paper was withdrawn"
        )
        self.source(
            SourceKind.REVIEW,
            record.source_id,
            submission,
            {**record.source, "reviewer": record.email or record.name, "answers": record.answers},
        )
        return True

    def keep_review(self, record: ReviewRecord, why: str) -> None:
        """A submitted review whose reviewer is not in the committee (an external reviewer,
        or a committee not imported yet): kept whole, for the chairs only, with the paper;
        importing the file again once the committee is here makes it a review."""
        submission = self.submission_for(record.paper, record.line)
        if submission is None:
            return
        self.report.warn(
            record.line,
            f"{why}: the review is kept for the chairs only (import the committee, then "
            "this file again, to make it a review).",
        )
        self.report.field(
            "review", "(whole review)", "kept for the chairs: reviewer outside the committee"
        )
        self.source(
            SourceKind.REVIEW,
            record.source_id,
            submission,
            {**record.source, "reviewer": record.email or record.name, "answers": record.answers},
        )

    def lift_computed_conflict(
        self, submission: Submission, reviewer: User, record: ReviewRecord
    ) -> None:
        """A conflict this system infers (a shared mail domain, co-authorship,
        publications) does not refuse a review the other system had: its chairs decided.
        The conflict is lifted by the chairs' override, with the reason in the activity log,
        and the report warns. Declared conflicts, authorship and the authors' own
        declarations still refuse it (`assignment_add` names them)."""
        if reviewer.pk not in self.conflicts:  # once per reviewer, not per review
            self.conflicts[reviewer.pk] = conflicts_for(
                self.workshop, user_ids=[reviewer.pk], include_drafts=True
            )
        conflicts = self.conflicts[reviewer.pk]
        if not conflicts.is_conflict(submission.pk, reviewer.pk):
            return
        reasons = set(conflicts.reasons[(submission.pk, reviewer.pk)])
        if not reasons <= GUESSED_CONFLICTS:
            return
        assert self.chair is not None
        conflict_overrides_import_write_many(
            workshop=self.workshop,
            chair=self.chair,
            items=[self.lift_planned(submission, reviewer, record, reasons)],
        )

    def lift_planned(
        self, submission: Submission, reviewer: User, record: ReviewRecord, reasons: set[str]
    ) -> tuple[Submission, User, bool, str]:
        """The override that lifts a guessed conflict (`lift_computed_conflict`), reported."""
        kinds = ", ".join(sorted(reasons))
        self.report.warn(
            record.line,
            f"#{submission.number} / {reviewer.email}: the {kinds} conflict found here is "
            "lifted, since the review was written there.",
        )
        self.report.change(record.line, "conflict.lift", f"#{submission.number} / {reviewer.email}")
        return (
            submission,
            reviewer,
            False,
            f"Imported ({self.fmt}): reviewed there despite {kinds}",
        )

    def answers(self, record: ReviewRecord) -> dict[int, Any]:
        """The record's answers by question. Each field of the other form goes to the
        question `question_for` chose for it (reported once per field); the record's own
        data (reviewer, e-mail, ids) is never an answer: it stays in `record.source`."""
        values: dict[int, Any] = {}
        for name, value in record.answers.items():
            question = self.question_for(name, value)
            if question is None:
                continue
            if question.kind == QuestionKind.SCORE:
                value = self.score(name, value, question, record.line)
                if value is None:
                    continue
            elif question.kind == QuestionKind.TEXT:
                value = str(value)
            values[question.pk] = value
            self.report.field("review", name, f"mapped to “{question.label}”")
        return values

    def question_for(self, name: str, value: Any) -> ReviewQuestion | None:
        """Our question for the other form's field `name`: the same label; the overall
        score or the confidence by their usual names; a label whose words the field's
        name contains (or the reverse: "Paper summary" is "Summary"); a label the name
        abbreviates. A field with none of these gets a question of its own, retired (so
        the live form does not change) and read by whom the other system showed it to:
        the chairs only when its export does not say."""
        if name in self.questions_by_field:
            return self.questions_by_field[name]
        if self.questions is None:
            self.questions = list(ReviewQuestion.objects.filter(workshop=self.workshop))
        field = self.form.get(name.lower())
        seen = AUDIENCE.index(field.visibility) if field and field.visibility else len(AUDIENCE)
        active = [q for q in self.questions if q.active and AUDIENCE.index(q.visibility) <= seen]
        key = " ".join(words(name))
        question = next((q for q in active if " ".join(words(q.label)) == key), None)
        if question is None and key in RECOMMENDATION:
            question = next((q for q in active if q.is_recommendation), None)
        if question is None and key in CONFIDENCE:
            question = next((q for q in active if q.is_confidence), None)
        if question is None:
            question = _contained(name, active) or next(
                (q for q in active if abbreviates(name, q.label)), None
            )
        if question is None:
            question = next(
                (
                    q
                    for q in self.questions
                    if not q.active
                    and q.label.lower() == (field.name if field else name)[:200].lower()
                    and AUDIENCE.index(q.visibility) <= seen
                ),
                None,
            )
        if question is None:
            question = self.retired_question(name, value)
        self.questions_by_field[name] = question
        return question

    def retired_question(self, name: str, value: Any) -> ReviewQuestion:
        field = self.form.get(name.lower())
        seen = (field.visibility if field else "") or QuestionVisibility.CHAIRS
        numeric = isinstance(value, int) and not isinstance(value, bool)
        scale = field.scale if field and field.scale else None
        if numeric and scale is None:
            scale = (min(1, int(value)), max(5, int(value)))
        question = review_question_import(
            workshop=self.workshop,
            chair=self.chair,
            label=(field.name if field else name)[:200],
            kind=QuestionKind.SCORE if numeric else QuestionKind.TEXT,
            choices=[[i, str(i)] for i in range(scale[1], scale[0] - 1, -1)] if numeric else [],
            visibility=seen,
        )
        assert self.questions is not None
        self.questions.append(question)
        self.report.change(0, "question.import", f"“{question.label}” (retired, {seen})")
        return question

    def score(self, name: str, value: Any, question: ReviewQuestion, line: Any) -> int | None:
        """A score on the question's scale, through the field's mapping (`score_map`); a
        value the mapping does not hold is an error naming the line, field and value."""
        ours = sorted(question.score_labels())
        if isinstance(value, bool):
            return None  # HotCRP writes false for a score left empty
        if isinstance(value, str):
            number = to_number(value)
            if not isinstance(number, int | float):
                self.report.error(
                    line,
                    f"{name}: {value!r} is not a score of “{question.label}” "
                    f"({ours[0]}–{ours[-1]}).",
                )
                return None
            value = number
        field = self.form.get(name.lower())
        scale = field.scale if field and field.scale else None
        if scale and not scale[0] <= value <= scale[1]:
            self.report.error(
                line, f"{name}: {value} is outside its scale ({scale[0]}–{scale[1]})."
            )
            return None
        mapping = self.score_map(name, question, ours)
        if mapping is not None:
            if int(value) != value or int(value) not in mapping.table:
                self.report.error(
                    line,
                    f"{name}: {value} has no place in the mapping to “{question.label}” "
                    f"({mapping.describe()}).",
                )
                return None
            return mapping.table[int(value)]
        if int(value) != value or int(value) not in ours:
            self.report.error(
                line,
                f"{name}: {value} is outside the scale of “{question.label}” "
                f"({ours[0]}–{ours[-1]}); its own scale is not in the file.",
            )
            return None
        return int(value)

    def score_map(self, name: str, question: ReviewQuestion, ours: list[int]) -> ScoreMap | None:
        """How the scores of the other form's field `name` become ours: None when they are
        taken as they are (its stated scale is ours, or, unstated, every value in the file
        is on our scale). Otherwise a table, value by value: the one the chair confirmed
        (`options["score_maps"]`), or a proposal (linear, from the stated scale or the
        values seen) that the report shows. A proposal is applied in a dry run only (with a
        warning): a real run refuses it until the chair confirms it."""
        key = name.lower()
        if key in self.score_maps:
            return self.score_maps[key]
        field = self.form.get(key)
        seen = sorted(self.seen_scores.get(key, set())) or ours
        confirmed = (self.options.get("score_maps") or {}).get(key)
        mapping: ScoreMap | None
        if confirmed is not None:
            table = score_table(confirmed)
            outside = sorted({v for v in table.values() if v not in ours})
            if outside:
                self.report.error(
                    0,
                    f"{name}: the confirmed mapping gives {', '.join(map(str, outside))}, "
                    f"outside the scale of “{question.label}” ({ours[0]}–{ours[-1]}).",
                )
            mapping = ScoreMap(name, question.label, table, confirmed=True)
        else:
            low, high = field.scale if field and field.scale else (min(seen), max(seen))
            if (low, high) == (ours[0], ours[-1]) or (
                not (field and field.scale) and all(v in ours for v in seen)
            ):
                self.score_maps[key] = None  # type: ignore[assignment]
                self.report.mapping(name, question.label, {v: v for v in seen}, confirmed=True)
                return None
            span = max(high - low, 1)
            table = {
                v: round(ours[0] + (v - low) * (ours[-1] - ours[0]) / span)
                for v in range(low, high + 1)
            }
            mapping = ScoreMap(name, question.label, table, confirmed=False)
            if self.report.dry_run:
                self.report.warn(
                    0,
                    f"{name}: its scores are mapped to “{question.label}” as {mapping.describe()}"
                    ": confirm this mapping (or correct it) to import them.",
                )
            else:
                self.report.error(
                    0,
                    f"{name}: its scores ({low}–{high}) are not on the scale of "
                    f"“{question.label}” ({ours[0]}–{ours[-1]}); the mapping "
                    f"{mapping.describe()} needs the chair's confirmation (a dry run shows it).",
                )
        self.report.mapping(name, question.label, mapping.table, confirmed=mapping.confirmed)
        self.report.field(
            "review",
            name,
            f"scores mapped to “{question.label}”: {mapping.describe()}"
            + ("" if mapping.confirmed else " (proposed: to confirm)"),
        )
        self.score_maps[key] = mapping
        return mapping

    def reviews(self, records: list[ReviewRecord]) -> None:
        """The file's reviews, planned and written in bulk (`transfer.bulk.ReviewBatch`)."""
        if not records:
            return
        self.by_number = {}
        for submission in self.workshop.submissions.all():
            submission.workshop = self.workshop
            self.by_number[submission.number] = submission
        self.resolve(record.email for record in records)
        batch = ReviewBatch(self)
        self.committee_ids = set(batch.roles)
        self.deferred = []
        for record in records:
            batch.add(record)
            self.tick()
        batch.write()
        deferred, self.deferred = self.deferred, None
        if deferred and self.system is not None:
            for kind in dict.fromkeys(k for k, _, _, _ in deferred):
                source_records_write_many(
                    workshop=self.workshop, system=self.system, kind=kind,
                    items=[(sid, obj, data) for k, sid, obj, data in deferred if k == kind],
                )  # fmt: skip

    def question_map(self) -> dict[int, ReviewQuestion]:
        """Every question of the form by id, retired ones and those this import added."""
        if self.questions is None:
            self.questions = list(ReviewQuestion.objects.filter(workshop=self.workshop))
        return {q.pk: q for q in self.questions}

    def review_one(self, record: ReviewRecord) -> None:
        """One review through the one-row actions: a review imported before that changes,
        a pair assigned before and declined, the same review twice in a file."""
        submission = self.submission_for(record.paper, record.line)
        reviewer = self.reviewer_for(record)
        if submission is None or reviewer is None or self.kept_as_withdrawn(record, submission):
            return

        def create() -> None:
            assignment = Assignment.objects.filter(
                submission=submission, reviewer=reviewer, declined_at__isnull=True
            ).first()
            if assignment is None:
                self.lift_computed_conflict(submission, reviewer, record)
                role = (
                    Role.REVIEWER
                    if self.workshop.memberships.filter(user=reviewer, role=Role.REVIEWER).exists()
                    else Role.AREA_CHAIR
                )
                assignment, _ = assignment_add(
                    submission=submission,
                    reviewer=reviewer,
                    chair=self.chair,
                    role=role,
                    notify=False,
                )
                self.report.change(
                    record.line, "assignment.add", f"#{submission.number} / {reviewer.email}"
                )
            before = Review.objects.filter(assignment=assignment).values_list("revision", "status")
            was = before.first()
            review = review_import_write(
                assignment=assignment,
                chair=self.chair,
                answers=self.answers(record),
                submitted=record.submitted,
                submitted_at=_when(record.submitted_at),
            )
            for key in record.source:
                self.report.field("review", key, "kept for the chairs (source data)")
            self.source(SourceKind.REVIEW, record.source_id, review, record.source)
            if was == (review.revision, review.status):
                self.report.field("review", "(whole review)", "unchanged: imported before")
                return
            self.report.change(
                record.line,
                "review.submit" if record.submitted else "review.draft",
                f"#{submission.number} / {reviewer.email}",
            )

        self.attempt(record.line, create)

    def source(self, kind: str, source_id: str, obj: Any, data: dict[str, Any]) -> None:
        """Remember where `obj` came from (and what of it has no field here); while the
        reviews are planned, kept for one bulk write (`reviews`)."""
        if self.system is None or not source_id:
            return
        if self.deferred is not None:
            self.deferred.append((kind, source_id, obj, data))
            return
        source_record_write(
            workshop=self.workshop, system=self.system, kind=kind, source_id=source_id, obj=obj,
            data=data,
        )  # fmt: skip

    def affinity(self, record: Any) -> None:
        submission = self.submission_for(record.paper, record.line)
        user = self.account(record.email, record.line)
        if user is None and record.email.startswith("~"):
            # A profile id an earlier committee import recorded for its member.
            uid = source_object_id(
                workshop=self.workshop,
                system=self.system,
                kind="member",
                source_id=record.email.lower(),
            )
            user = User.objects.filter(pk=uid).first() if uid else None
        if user is None and not self.ambiguous(record.email):
            self.report.error(
                record.line,
                f"Unknown reviewer {record.email}"
                + (
                    ": an OpenReview profile id; people are known here by e-mail. Upload "
                    "the scores in a zip with the profiles (openreview-py: Profile.to_json() "
                    "of each) or a mapping CSV profile_id,email,name."
                    if record.email.startswith("~")
                    else "."
                ),
            )
        if submission is None or user is None:
            return
        affinity_score_import_write(
            workshop=self.workshop,
            chair=self.chair,
            submission=submission,
            user=user,
            score=record.score,
        )
        self.report.change(record.line, "affinity.set", f"#{submission.number} / {record.email}")


def _when(text: str) -> dt.datetime | None:
    if not text:
        return None
    value = parse_datetime(text.replace(" ", "T", 1)) if "T" not in text else parse_datetime(text)
    if value is None:
        try:
            value = dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
        except (ValueError, OverflowError, OSError):  # not a time, nan, inf, year 10^9
            return None
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def run_import(
    *,
    workshop: Workshop | None,
    actor: Any,
    fmt: str,
    data: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
    slug: str | None = None,
    options: dict[str, Any] | None = None,
) -> Report:
    """Import `data` in format `fmt`: everything or nothing, in one transaction.
    `options`: what the chair confirmed after the dry run (`score_maps`, see `Applier`).

    Returns the report: errors by line (then nothing changed), the changes made (or, for a
    dry run, the changes a real run would make; nothing is kept and no mail is queued).
    """
    report = Report(dry_run=dry_run)
    if not check_size(data, report):
        return report
    if fmt == ARCHIVE:
        from .archive import archive_restore

        archive_restore(
            actor=actor, data=data, report=report, slug=slug, progress=progress, dry_run=dry_run
        )
        return report
    if fmt not in FORMATS:
        report.error(0, f"Unknown format {fmt!r}: one of {', '.join(sorted(FORMATS))}, archive.")
        return report
    assert workshop is not None
    bundle = FORMATS[fmt][1](data, report)
    if report.errors:
        return report
    if (
        bundle.members
        and len(bundle) == len(bundle.members)
        and not (bundle.files or bundle.topics)
    ):
        _committee_alone(workshop, actor, fmt, bundle, report, dry_run, progress)
        return report
    try:
        with transaction.atomic():
            Applier(workshop, actor, fmt, report, progress, options).apply(bundle)
            report.refuse_if_errors()
            if dry_run:
                raise _DryRun
    except (ImportRefused, _DryRun):
        pass
    return report


def _committee_alone(
    workshop: Workshop,
    actor: Any,
    fmt: str,
    bundle: Bundle,
    report: Report,
    dry_run: bool,
    progress: Progress | None,
) -> None:
    """A committee list alone (the big imports: tens of thousands of lines) runs in bulk,
    plans before it writes (a dry run only reads) and on SQLite commits chunk by chunk
    (`transfer.committee`)."""
    chair = acting_chair(workshop, actor)
    if chair is None:
        report.error(0, "The workshop has no chair to act for the import.")
        return

    def finish() -> None:
        applier = Applier(workshop, actor, fmt, report, None)
        member_sources_write(workshop, applier.system, bundle.members)
        # Conflicts that papers imported before the committee were waiting for.
        applier.pending_conflicts()
        activity_record(
            actor=actor if isinstance(actor, User) else chair,
            action="transfer.import",
            target=workshop,
            workshop=workshop,
            summary=f"Imported {FORMATS.get(fmt, (fmt,))[0]}: "
            + ", ".join(f"{n} {a}" for a, n in sorted(report.counts().items())),
        )

    committee_import(
        workshop=workshop, chair=chair, records=bundle.members, report=report,
        dry_run=dry_run, progress=progress, finish=finish,
    )  # fmt: skip


def member_sources_write(workshop: Workshop, system: str, members: list[MemberRecord]) -> None:
    """Keep how the other system names each member (an OpenReview profile id) as the
    member's source record: a later file naming them so (affinity scores by profile id)
    finds them without a mapping. Two queries whatever the number of members."""
    named = {m.email.lower(): m.source_id.lower() for m in members if m.source_id}
    if not named:
        return
    users = User.objects.annotate(address=Lower("email")).filter(address__in=list(named))
    source_records_write_many(
        workshop=workshop,
        system=system,
        kind="member",
        items=[(named[u.email.lower()], u, {"email": u.email}) for u in users],
    )


def format_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _) in FORMATS.items()]
