"""Papers another system holds, written in bulk: the submissions an import brings.

Papers and their authors have no browser action a chair could take for somebody else, so
an import writes them here: `submission_import_check` builds one paper and checks it as
the forms do (`clean_fields`, without the uniqueness and foreign-key queries: the importer
resolves numbers and topics in bulk first, and the database's constraints still guard),
and `submissions_import_write_many` writes a list of checked papers in a few statements
(the papers, their secondary topics, their authors), with the registration stamp
`registration_stamp` would give each. No activity entry per paper: the import writes one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import Topic, User, Workshop
from workshop.policy import require

from ..models import Authorship, Submission, SubmissionStatus
from .lifecycle import TEXT_FIELDS, text_changed

BATCH = 1000
# The files come later, through the upload checks; the relations are objects read from the
# database (checking them again would cost a query each).
UNCHECKED = [
    "paper", "supplementary", "camera_ready", "workshop", "primary_topic", "created_by",
    "submission_type", "licence_accepted_by", "secondary_topics",
]  # fmt: skip


@dataclass
class PaperImport:
    """A checked, unsaved paper: the submission, its secondary topics and its authors."""

    submission: Submission
    secondary: list[Topic] = field(default_factory=list)
    authors: list[Authorship] = field(default_factory=list)


def submission_import_check(
    *,
    workshop: Workshop,
    chair: User,
    number: int,
    title: str,
    abstract: str,
    keywords: str,
    topics: list[Topic],
    status: str,
    submitted_at: dt.datetime | None,
    authors: list[tuple[str, str, str, bool]],
) -> PaperImport:
    """One paper of another system as it would be written (unsaved): `topics` in order
    (the first is the primary one), `authors` as (name, e-mail or "", affiliation,
    contact). A withdrawn paper was submitted before. Raises ValidationError (a field, as
    the forms word it; an author's address that is none, naming the author, the paper and
    the value) or ServiceError (two authors with one address)."""
    now = timezone.now()
    submission = Submission(
        workshop=workshop,
        number=number,
        title=title[:300],
        abstract=abstract,
        keywords=keywords[:300],
        primary_topic=topics[0] if topics else None,
        created_by=chair,
        status=status,
        submitted_at=(submitted_at or now) if status != SubmissionStatus.DRAFT else None,
        status_before_withdrawal=SubmissionStatus.SUBMITTED
        if status == SubmissionStatus.WITHDRAWN
        else "",
        withdrawn_at=now if status == SubmissionStatus.WITHDRAWN else None,
    )
    submission.clean_fields(exclude=UNCHECKED)
    submission.clean()
    for position, (name, email, _, _) in enumerate(authors, start=1):
        if not email:
            continue  # an author the other system kept without an address: no account
        try:
            validate_email(email)
        except ValidationError:
            who = f" (“{name[:80]}”)" if name else ""
            raise ValidationError(
                f"Author {position}{who} of paper {number}: “{email[:100]}” is not an e-mail "
                "address."
            ) from None
    emails = [email for _, email, _, _ in authors if email]
    if len(set(emails)) != len(emails):
        twice = sorted({e for e in emails if emails.count(e) > 1})
        raise ServiceError(f"Two authors of paper {number} share {', '.join(twice)}.")
    return PaperImport(
        submission=submission,
        secondary=list({t.pk: t for t in topics[1:]}.values()),
        authors=[
            Authorship(
                position=i,
                name=name[:200],
                email=email,
                affiliation=affiliation[:200],
                is_contact=contact,
            )
            for i, (name, email, affiliation, contact) in enumerate(authors, start=1)
        ],
    )


@transaction.atomic
def submissions_import_write_many(
    *, workshop: Workshop, chair: User, papers: list[PaperImport]
) -> list[Submission]:
    """Write checked papers (`submission_import_check`) of `workshop`. Asks
    `workshop.manage` (chairs). A number the workshop holds already fails on the database's
    constraint: the importer refuses it first, by line.

    Side effects: the papers, their secondary topics and authors; each paper is registered
    now when its title, abstract, topic and authors are all in (`registration_stamp`); the
    submitted ones' `text_changed`.
    """
    require(chair, "workshop.manage", workshop, message="Only the chairs import papers.")
    now = timezone.now()
    for paper in papers:
        submission = paper.submission
        if submission.workshop_id != workshop.pk:
            raise ServiceError("That paper belongs to another workshop.")
        if (
            submission.registered_at is None
            and submission.title.strip()
            and submission.abstract.strip()
            and submission.primary_topic_id is not None
            and paper.authors
        ):
            submission.registered_at = now
    submissions = Submission.objects.bulk_create([p.submission for p in papers], batch_size=BATCH)
    Through = Submission.secondary_topics.through
    Through.objects.bulk_create(
        (
            Through(submission_id=p.submission.pk, topic_id=topic.pk)
            for p in papers
            for topic in p.secondary
        ),
        batch_size=BATCH,
    )
    for paper in papers:
        for author in paper.authors:
            author.submission = paper.submission
    Authorship.objects.bulk_create((a for p in papers for a in p.authors), batch_size=BATCH)
    text_changed([s.pk for s in submissions if s.pk and s.status == SubmissionStatus.SUBMITTED])
    return submissions


@transaction.atomic
def submission_import_update(
    *,
    submission: Submission,
    chair: User,
    source: str,
    title: str,
    abstract: str,
    keywords: str,
    topics: list[Topic],
    authors: list[tuple[str, str, str, bool]],
) -> list[str]:
    """A paper imported before, imported again from `source`: write what changed (the
    title, abstract, keywords, topics (the first is the primary) and the authors as
    (name, e-mail, affiliation, contact) in order), and return the names of the changed
    fields. Asks `workshop.manage`. Side effects: when something changed, one
    `submission.import_update` activity entry naming the fields (and `text_changed` when
    the text of a submitted paper changed); nothing otherwise, so the
    same file twice changes nothing."""
    workshop = submission.workshop
    require(chair, "workshop.manage", workshop, message="Only the chairs import papers.")
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    changed = []
    for name, value in (("title", title), ("abstract", abstract), ("keywords", keywords)):
        if getattr(submission, name) != value:
            setattr(submission, name, value)
            changed.append(name)
    primary = topics[0] if topics else None
    secondary = {t.pk for t in topics[1:]}
    if (submission.primary_topic_id, secondary) != (
        primary.pk if primary else None,
        set(submission.secondary_topics.values_list("pk", flat=True)),
    ):
        submission.primary_topic = primary
        submission.secondary_topics.set(topics[1:])
        changed.append("topics")
    was = list(
        submission.authors.order_by("position").values_list(
            "name", "email", "affiliation", "is_contact"
        )
    )
    if authors != was:
        submission.authors.all().delete()
        Authorship.objects.bulk_create(
            Authorship(submission=submission, position=i, name=n, email=e, affiliation=f,
                       is_contact=c)
            for i, (n, e, f, c) in enumerate(authors, start=1)
        )  # fmt: skip
        changed.append("authors")
    if changed:
        submission.full_clean(exclude=["paper", "supplementary", "camera_ready"])
        submission.save()
        if submission.is_submitted and TEXT_FIELDS.intersection(changed):
            text_changed([submission.pk])
        activity_record(
            actor=chair, action="submission.import_update", target=submission,
            workshop=workshop,
            summary=f"#{submission.number} updated from {source}: {', '.join(changed)}",
        )  # fmt: skip
    return changed
