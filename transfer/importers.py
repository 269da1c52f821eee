"""Apply parsed records to a workshop: the other face of the browser's actions.

Every import is one transaction: all of it or nothing. Users, memberships, assignments,
reviews, decisions and conflicts go through the services (`membership_grant`,
`assignment_add`, `review_submit`, `decision_record`, `conflict_override_set`) acting as
the chair who runs the import (or, from a command, the workshop's first chair: the
services store who decided or assigned), so the same validation applies. Papers and their
authors have no browser action a chair could take for somebody else, and accounts none a
chair could take at all: `transfer.import` writes them itself, validated like the forms
(`full_clean`), with one activity entry per import. A dry run runs everything, keeps the
report and rolls back; mail is queued through the outbox after commit, so nothing escapes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from reviews.models import (
    AffinityScore,
    Assignment,
    ReviewerProfile,
    ReviewQuestion,
    TopicExpertise,
)
from reviews.services.assignment import assignment_add
from reviews.services.committee import conflict_override_set
from reviews.services.decisions import category_for, decision_record
from reviews.services.reviewing import review_submit
from submissions.models import Authorship, Submission, SubmissionStatus
from submissions.services.lifecycle import registration_stamp
from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import Membership, Role, User, Workshop
from workshop.services import membership_grant

from .formats import Bundle, MemberRecord, PaperRecord, ReviewRecord, easychair, hotcrp, openreview
from .limits import check_size
from .report import ImportRefused, Progress, Report

Parser = Callable[[bytes, Report], Bundle]

FORMATS: dict[str, tuple[str, Parser]] = {
    "hotcrp-papers": ("HotCRP paper JSON", hotcrp.parse_papers),
    "hotcrp-reviews-csv": ("HotCRP review CSV", hotcrp.parse_reviews_csv),
    "hotcrp-reviews-json": ("HotCRP review JSON", hotcrp.parse_reviews_json),
    "hotcrp-pc": ("HotCRP PC list CSV", hotcrp.parse_pc),
    "openreview-notes": ("OpenReview notes JSON (submissions, reviews)", openreview.parse_notes),
    "openreview-affinity": ("OpenReview affinity CSV", openreview.parse_affinity),
    "easychair": ("EasyChair CSV files (zip)", easychair.parse_bundle),
    "easychair-committee": ("EasyChair committee CSV", easychair.parse_committee),
    "easychair-reviews": ("EasyChair review CSV", easychair.parse_reviews),
}
ARCHIVE = "archive"

RECOMMENDATION = {"overall merit", "overall evaluation", "rating", "recommendation", "overall"}
CONFIDENCE = {"reviewer expertise", "confidence", "expertise", "reviewer confidence"}
# Scales of other systems that differ from a 1..n form: mapped linearly onto the question's.
SCALES = {"overall evaluation": (-3, 3)}


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
        self, workshop: Workshop, actor: Any, fmt: str, report: Report, progress: Progress | None
    ) -> None:
        self.workshop = workshop
        self.actor = actor
        self.fmt = fmt
        self.report = report
        self.progress = progress
        self.chair = acting_chair(workshop, actor)
        self.accounts: dict[str, User | None] = {}
        self.forums: dict[str, int] = {}
        self.done = 0
        self.total = 0

    # --- helpers ------------------------------------------------------------------------------

    def tick(self) -> None:
        self.done += 1
        if self.progress and (self.done % 20 == 0 or self.done == self.total):
            self.progress(self.done, self.total)

    def account(self, email: str, line: Any) -> User | None:
        """The one account that owns `email` (primary or an allauth address); an address
        that two accounts claim is an error, not a guess."""
        email = email.lower()
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
        for member in bundle.members:
            self.member(member)
            self.tick()
        self.papers(bundle.papers)
        for review in bundle.reviews:
            self.review(review)
            self.tick()
        for affinity in bundle.affinities:
            self.affinity(affinity)
            self.tick()
        activity_record(
            actor=self.actor if isinstance(self.actor, User) else self.chair,
            action="transfer.import",
            target=self.workshop,
            workshop=self.workshop,
            summary=f"Imported {FORMATS.get(self.fmt, (self.fmt,))[0]}: "
            + ", ".join(f"{n} {a}" for a, n in sorted(self.report.counts().items())),
        )

    def member(self, record: MemberRecord) -> None:
        topics = {t.name.lower(): t for t in self.workshop.topics.all()}
        unknown = [name for name in record.topics if name.lower() not in topics]
        if unknown:
            self.report.error(record.line, f"Unknown topic(s): {', '.join(unknown)}.")
            return
        user = self.account(record.email, record.line)
        if user is None and self.ambiguous(record.email):
            return

        def create() -> None:
            person = user
            if person is None:
                person = User(
                    email=record.email, name=record.name[:200], affiliation=record.affiliation[:200]
                )
                person.set_unusable_password()
                person.full_clean(exclude=["password"])
                person.save()
                EmailAddress.objects.create(
                    user=person, email=record.email, primary=True, verified=False
                )
                self.accounts[record.email] = person
                self.report.change(record.line, "user.create", record.email)
            had = Membership.objects.filter(
                workshop=self.workshop, user=person, role=record.role
            ).exists()
            membership_grant(
                workshop=self.workshop, user=person, role=record.role, actor=self.chair
            )
            if not had:
                self.report.change(
                    record.line,
                    "membership.grant",
                    f"{record.email} as {Role(record.role).label.lower()}",
                )
            if record.topics:
                profile, _ = ReviewerProfile.objects.get_or_create(
                    workshop=self.workshop, user=person
                )
                for name, level in record.topics.items():
                    TopicExpertise.objects.update_or_create(
                        profile=profile, topic=topics[name.lower()], defaults={"level": level}
                    )
                self.report.change(
                    record.line, "expertise.set", f"{record.email}: {len(record.topics)} topics"
                )

        self.attempt(record.line, create)

    def papers(self, records: list[PaperRecord]) -> None:
        if not records:
            return
        topics = {t.name.lower(): t for t in self.workshop.topics.all()}
        numbers = set(self.workshop.submissions.values_list("number", flat=True))
        titles = {t.lower() for t in self.workshop.submissions.values_list("title", flat=True)}
        seen: dict[int, Any] = {}
        for record in records:
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
                self.report.error(record.line, f"Unknown topic(s): {', '.join(unknown)}.")
                continue
            errors = len(self.report.errors)
            for author in record.authors:
                self.account(author.email, record.line)
            conflicted = {email: self.account(email, record.line) for email in record.conflicts}
            if len(self.report.errors) > errors:
                continue
            self.attempt(record.line, lambda r=record, c=conflicted: self.paper(r, c, topics))
            self.tick()

    def paper(
        self, record: PaperRecord, conflicted: dict[str, User | None], topics: dict[str, Any]
    ) -> None:
        chosen = [topics[t.lower()] for t in record.topics]
        now = timezone.now()
        status = {"draft": SubmissionStatus.DRAFT, "withdrawn": SubmissionStatus.WITHDRAWN}.get(
            record.status, SubmissionStatus.SUBMITTED
        )
        submission = Submission(
            workshop=self.workshop,
            number=record.number,
            title=record.title[:300],
            abstract=record.abstract,
            keywords=record.keywords[:300],
            primary_topic=chosen[0] if chosen else None,
            created_by=self.chair,
            status=status,
            submitted_at=(_when(record.submitted_at) or now)
            if status != SubmissionStatus.DRAFT
            else None,
            status_before_withdrawal=SubmissionStatus.SUBMITTED
            if status == SubmissionStatus.WITHDRAWN
            else "",
            withdrawn_at=now if status == SubmissionStatus.WITHDRAWN else None,
        )
        submission.full_clean(exclude=["paper", "supplementary", "camera_ready"])
        submission.save()
        submission.secondary_topics.set(chosen[1:])
        emails = [a.email for a in record.authors]
        if len(set(emails)) != len(emails):
            raise ServiceError("Each author needs their own email address.")
        Authorship.objects.bulk_create(
            Authorship(
                submission=submission,
                position=i,
                name=a.name[:200],
                email=a.email,
                affiliation=a.affiliation[:200],
                is_contact=a.contact,
            )
            for i, a in enumerate(record.authors, start=1)
        )
        registration_stamp(submission)
        self.report.change(record.line, "paper.create", f"#{record.number} {record.title}")
        if record.decision:
            decision_record(
                submission=submission,
                chair=self.chair,
                category=category_for(self.workshop, record.decision),
            )
            self.report.change(
                record.line, "decision.record", f"#{record.number}: {record.decision}"
            )
        committee = set(
            Membership.objects.filter(workshop=self.workshop)
            .exclude(role=Role.CHAIR)
            .values_list("user_id", flat=True)
        )
        for email, user in conflicted.items():
            if user is None or user.pk not in committee:
                self.report.warn(
                    record.line,
                    f"Conflict with {email} skipped: not a member "
                    "of the committee (import the PC list first).",
                )
                continue
            conflict_override_set(
                submission=submission,
                user=user,
                conflicted=True,
                chair=self.chair,
                reason=f"Imported ({self.fmt}): {record.conflicts[email]}",
            )
            self.report.change(record.line, "conflict.set", f"#{record.number} / {email}")

    def submission_for(self, ref: int | str, line: Any) -> Submission | None:
        number = self.forums.get(ref, ref) if isinstance(ref, str) else ref
        submission = (
            self.workshop.submissions.filter(number=number).first()
            if isinstance(number, int)
            else None
        )
        if submission is None:
            self.report.error(line, f"Unknown paper {ref}.")
        return submission

    def reviewer_for(self, record: ReviewRecord) -> User | None:
        committee = User.objects.filter(
            memberships__workshop=self.workshop,
            memberships__role__in=(Role.REVIEWER, Role.AREA_CHAIR),
        )
        if record.email:
            user = self.account(record.email, record.line)
            if user is None:
                if self.ambiguous(record.email):
                    return None
                self.report.error(record.line, f"Unknown reviewer {record.email}.")
                return None
        else:
            found = list(committee.filter(name__iexact=record.name.strip()).distinct()[:2])
            if len(found) != 1:
                self.report.error(
                    record.line,
                    f"Reviewer “{record.name}” matches {len(found) or 'no'} committee member(s).",
                )
                return None
            user = found[0]
        if not committee.filter(pk=user.pk).exists():
            self.report.error(record.line, f"{user.email} is not in the committee.")
            return None
        return user

    def answers(self, record: ReviewRecord) -> dict[int, Any]:
        questions = list(ReviewQuestion.objects.filter(workshop=self.workshop, active=True))
        by_label = {q.label.lower(): q for q in questions}
        values: dict[int, Any] = {}
        leftovers: list[str] = []
        for name, value in record.answers.items():
            key = name.lower().strip()
            question = by_label.get(key)
            if question is None and key in RECOMMENDATION:
                question = next((q for q in questions if q.is_recommendation), None)
            if question is None and key in CONFIDENCE:
                question = next((q for q in questions if q.is_confidence), None)
            if question is None:
                if isinstance(value, str) and value.strip():
                    leftovers.append(f"{name}:\n{value.strip()}")
                continue
            if question.kind == "score" and isinstance(value, int | float):
                value = self.rescale(key, value, question)
            values[question.pk] = value
        if leftovers:
            texts = [
                q
                for q in questions
                if q.kind == "text" and q.pk not in values and q.visibility != "chairs"
            ]
            if texts:
                values[texts[0].pk] = "\n\n".join(leftovers)
        return values

    @staticmethod
    def rescale(key: str, value: float, question: ReviewQuestion) -> int:
        scores = sorted(question.score_labels())
        if key in SCALES and scores:
            low, high = SCALES[key]
            return round(scores[0] + (value - low) * (scores[-1] - scores[0]) / (high - low))
        return int(value)

    def review(self, record: ReviewRecord) -> None:
        submission = self.submission_for(record.paper, record.line)
        reviewer = self.reviewer_for(record)
        if submission is None or reviewer is None:
            return

        def create() -> None:
            assignment = Assignment.objects.filter(
                submission=submission, reviewer=reviewer, declined_at__isnull=True
            ).first()
            if assignment is None:
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
            review = review_submit(
                assignment=assignment, user=self.chair, answers=self.answers(record)
            )
            stamp = _when(record.submitted_at)
            if stamp is not None:
                type(review).objects.filter(pk=review.pk).update(submitted_at=stamp)
            self.report.change(
                record.line, "review.submit", f"#{submission.number} / {reviewer.email}"
            )

        self.attempt(record.line, create)

    def affinity(self, record: Any) -> None:
        submission = self.submission_for(record.paper, record.line)
        user = self.account(record.email, record.line)
        if user is None and not self.ambiguous(record.email):
            self.report.error(record.line, f"Unknown reviewer {record.email}.")
        if submission is None or user is None:
            return
        AffinityScore.objects.update_or_create(
            workshop=self.workshop,
            submission=submission,
            user=user,
            source="openreview",
            defaults={"score": record.score},
        )
        self.report.change(record.line, "affinity.set", f"#{submission.number} / {record.email}")


def _when(text: str) -> dt.datetime | None:
    if not text:
        return None
    value = parse_datetime(text.replace(" ", "T", 1)) if "T" not in text else parse_datetime(text)
    if value is None:
        try:
            value = dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
        except ValueError:
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
) -> Report:
    """Import `data` in format `fmt`: everything or nothing, in one transaction.

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
    try:
        with transaction.atomic():
            Applier(workshop, actor, fmt, report, progress).apply(bundle)
            report.refuse_if_errors()
            if dry_run:
                raise _DryRun
    except (ImportRefused, _DryRun):
        pass
    return report


def format_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _) in FORMATS.items()]
