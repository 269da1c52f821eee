"""The importer's papers and reviews in bulk: a plan per record, then one write per kind.

Row by row, a migration of 1,000 papers and 3,000 reviews cost some 340 queries a paper
(each author's account, `full_clean`, each conflict, decision, assignment and review
through its one-row service, each source record): minutes. Here each record is planned in
memory against what was read once (accounts by address, the workshop's papers, committee,
assignments, reviews and their answers, one conflict map), its report lines written exactly
as the row-by-row import wrote them, and the plan is written through the services' bulk
writers (`submissions_import_write_many`, `assignments_import_write_many`,
`review_import_write_many`, `conflict_overrides_import_write_many`,
`decisions_import_write_many`, `source_records_write_many`): a few statements per kind,
however many records. What already exists (a paper or review imported before, a declined
assignment, a decision to change) still goes through the one-row actions, which compare,
keep history and say what changed; a review that would not change is recognised from the
prefetched answers and costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from reviews.models import Answer, Assignment, ConflictOverride, Decision, Review, ReviewStatus
from reviews.selectors.conflicts import ConflictMap, conflicts_for
from reviews.services.imports import (
    ReviewImport,
    assignments_import_write_many,
    conflict_overrides_import_write_many,
    decisions_import_write_many,
    review_answers_clean,
    review_import_write_many,
)
from reviews.services.tags import paper_tags_import_write_many
from submissions.models import DECIDABLE, Submission, SubmissionStatus
from submissions.services.imports import (
    PaperImport,
    submission_import_check,
    submissions_import_write_many,
)
from workshop.errors import ServiceError
from workshop.models import Membership, Role, User

from .formats import PaperRecord, ReviewRecord
from .sources import PENDING, SourceKind, source_records_write_many

if TYPE_CHECKING:
    from .importers import Applier

STATUS = {"draft": SubmissionStatus.DRAFT, "withdrawn": SubmissionStatus.WITHDRAWN}


def _refusal(exc: Exception) -> str:
    """A refusal's message as `Applier.attempt` words it."""
    messages = getattr(exc, "messages", None)
    return "; ".join(messages) if messages else str(exc)


class PaperBatch:
    """The new papers of an import: `add` plans one (checks it, writes its report lines),
    `write` writes them all with their PDFs, decisions, conflicts and source records."""

    def __init__(self, applier: Applier, topics: dict[str, Any]) -> None:
        self.applier = applier
        self.topics = topics
        self.planned: list[tuple[PaperRecord, PaperImport, dict[str, User | None], Any]] = []
        # Papers imported before, read once when the first comes again (`unchanged`).
        self.earlier: dict[int, Submission] | None = None
        self.decided: dict[int, int] = {}
        self.overrides: dict[int, set[int]] = {}
        self.committee: set[int] = set()
        self.sources: list[tuple[str, Any, dict[str, Any]]] = []

    def read_earlier(self, ids: set[int]) -> None:
        """The papers imported before, with their topics, authors, decisions and the
        chairs' conflicts: five queries for all of them."""
        workshop = self.applier.workshop
        self.earlier = {
            s.pk: s
            for s in workshop.submissions.filter(pk__in=ids).prefetch_related(
                "secondary_topics", "authors"
            )
        }
        for submission in self.earlier.values():
            submission.workshop = workshop
        self.decided = dict(
            Decision.objects.filter(submission_id__in=ids).values_list(
                "submission_id", "category_id"
            )
        )
        for sid, uid in ConflictOverride.objects.filter(
            submission_id__in=ids, conflicted=True
        ).values_list("submission_id", "user_id"):
            self.overrides.setdefault(sid, set()).add(uid)
        self.committee = set(
            Membership.objects.filter(workshop=workshop)
            .exclude(role=Role.CHAIR)
            .values_list("user_id", flat=True)
        )

    def unchanged(
        self, record: PaperRecord, submission_id: int, conflicted: dict[str, User | None]
    ) -> bool:
        """A paper imported before that the record would not change (`paper_update`
        compares the same fields): reported as unchanged, its source record rewritten in
        bulk. False when something would change: the one-row update then writes it."""
        assert self.earlier is not None
        submission = self.earlier.get(submission_id)
        if submission is None or any(t.lower() not in self.topics for t in record.topics):
            return False
        chosen = [self.topics[t.lower()] for t in record.topics]
        authors = [(a.name[:200], a.email, a.affiliation[:200], a.contact) for a in record.authors]
        same = (
            submission.title == record.title[:300]
            and submission.abstract == record.abstract
            and submission.keywords == record.keywords[:300]
            and submission.primary_topic_id == (chosen[0].pk if chosen else None)
            and {t.pk for t in submission.secondary_topics.all()} == {t.pk for t in chosen[1:]}
            and [
                (a.name, a.email, a.affiliation, a.is_contact)
                for a in sorted(submission.authors.all(), key=lambda a: a.position)
            ]
            == authors
        )
        if not same:
            return False
        if record.decision:
            try:
                category = self.applier.category(record)
            except ServiceError:
                return False
            if self.decided.get(submission_id) != category.pk:
                return False
        already = self.overrides.get(submission_id, set())
        if any(
            user is not None and user.pk in self.committee and user.pk not in already
            for user in conflicted.values()
        ):
            return False
        self.applier.report.field("paper", "(whole paper)", "unchanged: imported before")
        waiting = self.applier.conflicts_of(
            record, conflicted, self.committee, already, [], submission
        )
        data = {**record.source, PENDING: waiting} if waiting else record.source
        self.sources.append((record.external_id, submission, data))
        return True

    def add(self, record: PaperRecord, conflicted: dict[str, User | None]) -> None:
        applier, report = self.applier, self.applier.report
        from .importers import _when

        try:
            paper = submission_import_check(
                workshop=applier.workshop,
                chair=applier.chair,
                number=record.number,
                title=record.title,
                abstract=record.abstract,
                keywords=record.keywords,
                topics=[self.topics[t.lower()] for t in record.topics],
                status=STATUS.get(record.status, SubmissionStatus.SUBMITTED),
                submitted_at=_when(record.submitted_at),
                authors=[(a.name, a.email, a.affiliation, a.contact) for a in record.authors],
            )
            category = applier.category(record) if record.decision else None
            status = paper.submission.status
            if category is not None and status not in DECIDABLE:
                # What `decision_record` answers for a paper that is not under review.
                raise ServiceError(f"#{record.number} is {SubmissionStatus(status).label.lower()}.")
        except (ValidationError, ServiceError) as exc:
            report.error(record.line, _refusal(exc))
            return
        for author in record.authors:
            if not author.email:
                report.field("paper", "author without e-mail", "imported: listed, no account")
        report.change(record.line, "paper.create", f"#{record.number} {record.title}")
        for key in record.source:
            report.field("paper", key, "kept for the chairs (source data)")
        if category is not None:
            report.change(record.line, "decision.record", f"#{record.number}: {record.decision}")
        self.planned.append((record, paper, conflicted, category))

    def write(self) -> None:
        applier = self.applier
        if self.sources and applier.system is not None:
            source_records_write_many(
                workshop=applier.workshop, system=applier.system, kind=SourceKind.PAPER,
                items=self.sources,
            )  # fmt: skip
        if not self.planned:
            return
        workshop, chair = applier.workshop, applier.chair
        assert chair is not None
        submissions_import_write_many(
            workshop=workshop, chair=chair, papers=[p for _, p, _, _ in self.planned]
        )
        for record, paper, _, _ in self.planned:
            paper.submission.workshop = workshop  # read by the policy: no query
            if record.number in applier.pdfs:
                applier.paper_file(paper.submission, record)
        decisions = [(p.submission, c) for _, p, _, c in self.planned if c is not None]
        applier.attempt(
            0,
            lambda: decisions_import_write_many(workshop=workshop, chair=chair, items=decisions),
        )
        committee = set(
            Membership.objects.filter(workshop=workshop)
            .exclude(role=Role.CHAIR)
            .values_list("user_id", flat=True)
        )
        overrides: list[tuple[Submission, User, bool, str]] = []
        sources: list[tuple[str, Any, dict[str, Any]]] = []
        for record, paper, conflicted, _ in self.planned:
            waiting = applier.conflicts_of(
                record, conflicted, committee, set(), overrides, paper.submission
            )
            data = {**record.source, PENDING: waiting} if waiting else record.source
            if applier.system is not None and record.external_id:
                sources.append((record.external_id, paper.submission, data))
        applier.attempt(
            0,
            lambda: conflict_overrides_import_write_many(
                workshop=workshop, chair=chair, items=overrides
            ),
        )
        if applier.system is not None:
            source_records_write_many(
                workshop=workshop, system=applier.system, kind=SourceKind.PAPER, items=sources
            )
        tagged = [(p.submission, r.tags) for r, p, _, _ in self.planned if r.tags]
        for record, _, _, _ in self.planned:
            for name, value, visibility in record.tags:
                shown = f"#{name}" + (f"#{value}" if value is not None else "")
                if visibility == "chairs":
                    shown += " (chairs only)"
                applier.report.change(record.line, "tag.set", f"#{record.number} {shown}")
        applier.attempt(
            0,
            lambda: paper_tags_import_write_many(workshop=workshop, chair=chair, items=tagged),
        )


class ReviewBatch:
    """The reviews of an import, planned against what was read once and written in bulk;
    a review that exists and changes (or a pair assigned before and declined) goes through
    the one-row path (`Applier.review_one`) after the bulk write."""

    def __init__(self, applier: Applier) -> None:
        self.applier = applier
        workshop = applier.workshop
        self.roles: dict[int, set[str]] = {}
        for uid, role in Membership.objects.filter(
            workshop=workshop, role__in=(Role.REVIEWER, Role.AREA_CHAIR)
        ).values_list("user_id", "role"):
            self.roles.setdefault(uid, set()).add(role)
        self.assignments: dict[tuple[int, int], list[Assignment]] = {}
        for a in Assignment.objects.filter(submission__workshop=workshop).order_by("pk"):
            self.assignments.setdefault((a.submission_id, a.reviewer_id), []).append(a)
        self.reviews = {
            r.assignment_id: r
            for r in Review.objects.filter(assignment__submission__workshop=workshop)
        }
        self.answers: dict[int, dict[int, Any]] = {}
        for review_id, qid, value in Answer.objects.filter(
            review__assignment__submission__workshop=workshop
        ).values_list("review_id", "question_id", "value"):
            self.answers.setdefault(review_id, {})[qid] = value
        self.conflicts: ConflictMap | None = None
        self.lifts: list[tuple[Submission, User, bool, str]] = []
        self.pairs: list[tuple[Submission, User, str]] = []
        # Reviews to write: (record, assignment or the index of its pair in `pairs`, answers)
        self.new: list[tuple[ReviewRecord, Assignment | int, dict[int, Any]]] = []
        self.sources: list[tuple[str, Any, dict[str, Any]]] = []
        self.planned: set[tuple[int, int]] = set()
        self.later: list[ReviewRecord] = []

    def conflict_map(self) -> ConflictMap:
        """The conflicts of the whole committee, computed once (papers are all in)."""
        if self.conflicts is None:
            self.conflicts = conflicts_for(
                self.applier.workshop, user_ids=list(self.roles), include_drafts=True
            )
        return self.conflicts

    def add(self, record: ReviewRecord) -> None:
        from .importers import GUESSED_CONFLICTS

        applier, report = self.applier, self.applier.report
        submission = applier.submission_for(record.paper, record.line)
        reviewer = applier.reviewer_for(record)
        if submission is None or reviewer is None:
            return
        if applier.kept_as_withdrawn(record, submission):
            return
        pair = (submission.pk, reviewer.pk)
        if pair in self.planned:
            self.later.append(record)  # the same review twice in a file: after the first
            return
        rows = self.assignments.get(pair, [])
        live = next((a for a in rows if a.declined_at is None), None)
        if live is None and rows:
            self.later.append(record)  # assigned before and declined: `assignment_add`
            return
        if live is not None and live.pk in self.reviews:
            self.existing(record, live)
            return
        questions = applier.question_map()
        answers = applier.answers(record)
        try:
            review_answers_clean(questions, answers)
        except ServiceError as exc:
            report.error(record.line, str(exc))
            return
        if live is None:
            conflicts = self.conflict_map()
            if conflicts.is_conflict(*pair):
                reasons = set(conflicts.reasons[pair])
                if not reasons <= GUESSED_CONFLICTS:
                    report.error(
                        record.line,
                        f"{reviewer.name} is in conflict with #{submission.number} "
                        f"({', '.join(sorted(reasons))}).",
                    )
                    return
                self.lifts.append(applier.lift_planned(submission, reviewer, record, reasons))
                conflicts.lifted.add(pair)
            role = Role.REVIEWER if Role.REVIEWER in self.roles[reviewer.pk] else Role.AREA_CHAIR
            self.pairs.append((submission, reviewer, role))
            report.change(record.line, "assignment.add", f"#{submission.number} / {reviewer.email}")
            target: Assignment | int = len(self.pairs) - 1
        else:
            target = live
        self.planned.add(pair)
        for key in record.source:
            report.field("review", key, "kept for the chairs (source data)")
        self.new.append((record, target, answers))
        report.change(
            record.line,
            "review.submit" if record.submitted else "review.draft",
            f"#{submission.number} / {reviewer.email}",
        )

    def existing(self, record: ReviewRecord, assignment: Assignment) -> None:
        """A review imported before: unchanged (the same answers, no newly submitted
        state) costs nothing but its source record; changed, it goes the one-row way."""
        review = self.reviews[assignment.pk]
        try:
            cleaned = review_answers_clean(
                self.applier.question_map(), self.applier.answers(record)
            )
        except ServiceError:
            self.later.append(record)  # the one-row path reports it, by line
            return
        stored = self.answers.get(review.pk, {})
        submitted = review.status == ReviewStatus.SUBMITTED
        if any(stored.get(q) != v for q, v in cleaned.items()) or (
            record.submitted and not submitted
        ):
            self.later.append(record)
            return
        self.planned.add((assignment.submission_id, assignment.reviewer_id))
        for key in record.source:
            self.applier.report.field("review", key, "kept for the chairs (source data)")
        self.applier.report.field("review", "(whole review)", "unchanged: imported before")
        self.sources.append((record.source_id, review, record.source))

    def write(self) -> None:
        applier = self.applier
        workshop, chair = applier.workshop, applier.chair
        assert chair is not None

        def write_all() -> None:
            conflict_overrides_import_write_many(workshop=workshop, chair=chair, items=self.lifts)
            made = assignments_import_write_many(
                workshop=workshop, chair=chair, pairs=self.pairs, conflicts=self.conflicts
            )
            items = []
            from .importers import _when

            for _record, target, answers in self.new:
                assignment = made[target] if isinstance(target, int) else target
                assignment.submission.workshop = workshop  # read by the policy: no query
                items.append(
                    ReviewImport(
                        assignment=assignment,
                        answers=answers,
                        submitted=_record.submitted,
                        submitted_at=_when(_record.submitted_at),
                    )
                )
            reviews = review_import_write_many(workshop=workshop, chair=chair, items=items)
            if applier.system is not None:
                source_records_write_many(
                    workshop=workshop,
                    system=applier.system,
                    kind=SourceKind.REVIEW,
                    items=self.sources
                    + [
                        (record.source_id, review, record.source)
                        for (record, _, _), review in zip(self.new, reviews, strict=True)
                    ],
                )

        if self.new or self.sources:
            applier.attempt(0, write_all)
        for record in self.later:
            applier.review_one(record)
