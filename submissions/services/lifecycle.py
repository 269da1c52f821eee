"""Create, edit, submit, withdraw and restore a submission."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import Topic, User, Workshop
from workshop.permissions import is_chair
from workshop.phases import call_is_open

from ..models import (
    DECIDED,
    EventKind,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
    SubmissionType,
)
from ..permissions import edits_open, is_contact_author
from .notify import receipts_queue

EDITABLE_FIELDS = (
    "title",
    "abstract",
    "tldr",
    "keywords",
    "submission_type",
    "primary_topic",
    "llm_use",
    "llm_use_description",
    "code_url",
    "code_licence",
    "data_url",
    "data_licence",
    "weights_url",
    "weights_licence",
)


def event_record(
    *, submission: Submission, actor: User | None, kind: EventKind, summary: str = ""
) -> SubmissionEvent:
    return SubmissionEvent.objects.create(
        submission=submission, actor=actor, kind=kind, summary=summary[:500]
    )


def missing_items(submission: Submission) -> list[str]:
    """What the authors must still do before the paper can be submitted, in plain words."""
    missing = []
    if not submission.title.strip():
        missing.append("Give a title")
    if not submission.abstract.strip():
        missing.append("Write the abstract")
    if submission.primary_topic_id is None:
        missing.append("Choose a primary topic")
    if submission.submission_type_id is None and submission.workshop.submission_types.exists():
        missing.append("Choose the submission type")
    if submission.llm_use != "none" and not submission.llm_use_description.strip():
        missing.append("Describe how LLMs were used")
    if not submission.authors.exists():
        missing.append("List the authors")
    if submission.paper_id is None:
        missing.append("Upload the paper PDF")
    return missing


def _registration_complete(submission: Submission) -> bool:
    return (
        bool(submission.title.strip())
        and bool(submission.abstract.strip())
        and submission.primary_topic_id is not None
        and submission.authors.exists()
    )


def registration_stamp(submission: Submission) -> None:
    """Record when title, abstract, authors and topic were first all in."""
    if submission.registered_at is None and _registration_complete(submission):
        submission.registered_at = timezone.now()
        submission.save(update_fields=["registered_at"])


def lock_for_edit(submission: Submission, user: User) -> Submission:
    """Re-read the row under a lock and check, at this moment, that `user` may edit it."""
    locked = Submission.objects.select_for_update().select_related("workshop").get(pk=submission.pk)
    if not is_contact_author(user, locked):
        raise NotAllowed("Only the contact authors of this paper can change it.")
    if not edits_open(locked):
        if locked.status not in (SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED):
            raise NotAllowed(f"This paper is {locked.get_status_display().lower()}.")
        raise DeadlinePassed(
            "The deadline for changes has passed: the paper can no longer be edited. "
            f"Please write to the chairs at {locked.workshop.contact_email} if something is wrong."
        )
    return locked


def _check_choices(workshop: Workshop, fields: dict[str, Any], secondary: list[Topic]) -> None:
    topic = fields.get("primary_topic")
    if topic is not None and topic.workshop_id != workshop.pk:
        raise ServiceError("That topic does not belong to this workshop.")
    if any(t.workshop_id != workshop.pk for t in secondary):
        raise ServiceError("A secondary topic does not belong to this workshop.")
    stype = fields.get("submission_type")
    if stype is not None and (
        not isinstance(stype, SubmissionType) or stype.workshop_id != workshop.pk
    ):
        raise ServiceError("That submission type does not belong to this workshop.")


@transaction.atomic
def submission_create(
    *, workshop: Workshop, user: User, secondary_topics: list[Topic] | None = None, **fields: Any
) -> Submission:
    """Start a draft with the next number; the submitter becomes its first contact author.

    Side effects: a `created` event. No mail until the paper is submitted.
    """
    from .authors import author_add_submitter

    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not call_is_open(workshop):
        raise DeadlinePassed("The call for papers is closed: new submissions are not accepted.")
    secondary = list(secondary_topics or [])
    _check_choices(workshop, fields, secondary)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}")
    number = (workshop.submissions.aggregate(n=Max("number"))["n"] or 0) + 1
    submission = Submission.objects.create(
        workshop=workshop, number=number, created_by=user, **fields
    )
    submission.secondary_topics.set([t for t in secondary if t.pk != submission.primary_topic_id])
    author_add_submitter(submission=submission, user=user)
    event_record(submission=submission, actor=user, kind=EventKind.CREATED, summary="Draft created")
    registration_stamp(submission)
    return submission


@transaction.atomic
def submission_update(
    *,
    submission: Submission,
    user: User,
    secondary_topics: list[Topic] | None = None,
    **fields: Any,
) -> Submission:
    """Change metadata until the deadline.

    Side effects: an `edited` event naming the changed fields and, once submitted, a receipt
    to every author.
    """
    submission = lock_for_edit(submission, user)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}")
    secondary = list(secondary_topics or [])
    _check_choices(submission.workshop, fields, secondary)
    changed = [name for name, value in fields.items() if getattr(submission, name) != value]
    for name in changed:
        setattr(submission, name, fields[name])
    before = set(submission.secondary_topics.values_list("pk", flat=True))
    after = {t.pk for t in secondary if t.pk != submission.primary_topic_id}
    if before != after:
        submission.secondary_topics.set(list(after))
        changed.append("secondary_topics")
    if not changed:
        return submission
    submission.full_clean(exclude=["paper", "supplementary", "created_by", "workshop"])
    submission.save()
    registration_stamp(submission)
    labels = [
        Submission._meta.get_field(n).verbose_name if n != "secondary_topics" else "topics"
        for n in changed
    ]
    event = event_record(
        submission=submission,
        actor=user,
        kind=EventKind.EDITED,
        summary="Changed: " + ", ".join(str(label) for label in labels),
    )
    if submission.status == SubmissionStatus.SUBMITTED:
        receipts_queue(submission=submission, event=event)
    return submission


@transaction.atomic
def submission_submit(*, submission: Submission, user: User) -> Submission:
    """Turn a complete draft into a submitted paper.

    Side effects: a `submitted` event and a receipt to every author (number, title, time,
    SHA-256 of the PDF).
    """
    submission = lock_for_edit(submission, user)
    if submission.status == SubmissionStatus.SUBMITTED:
        return submission
    missing = missing_items(submission)
    if missing:
        raise ServiceError("The paper is not complete yet: " + "; ".join(missing) + ".")
    submission.status = SubmissionStatus.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.save(update_fields=["status", "submitted_at", "updated_at"])
    event = event_record(
        submission=submission, actor=user, kind=EventKind.SUBMITTED, summary="Submitted"
    )
    receipts_queue(submission=submission, event=event)
    return submission


@transaction.atomic
def submission_withdraw(*, submission: Submission, user: User) -> Submission:
    """Withdraw until a decision is made. Everything is kept; a chair can restore it.

    Side effects: a `withdrawn` event and a mail to every author.
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not is_contact_author(user, submission):
        raise NotAllowed("Only the contact authors of this paper can withdraw it.")
    if submission.status in DECIDED:
        raise NotAllowed("A decision has been made on this paper: it can no longer be withdrawn.")
    if submission.status == SubmissionStatus.WITHDRAWN:
        return submission
    submission.status_before_withdrawal = submission.status
    submission.status = SubmissionStatus.WITHDRAWN
    submission.withdrawn_at = timezone.now()
    submission.save(
        update_fields=["status", "status_before_withdrawal", "withdrawn_at", "updated_at"]
    )
    event = event_record(
        submission=submission, actor=user, kind=EventKind.WITHDRAWN, summary="Withdrawn"
    )
    receipts_queue(submission=submission, event=event)
    return submission


@transaction.atomic
def submission_restore(*, submission: Submission, chair: User) -> Submission:
    """A chair undoes a withdrawal. Side effects: a `restored` event and a mail to authors."""
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not is_chair(chair, submission.workshop):
        raise NotAllowed("Only the chairs can restore a withdrawn paper.")
    if submission.status != SubmissionStatus.WITHDRAWN:
        return submission
    submission.status = submission.status_before_withdrawal or SubmissionStatus.DRAFT
    submission.status_before_withdrawal = ""
    submission.withdrawn_at = None
    submission.save(
        update_fields=["status", "status_before_withdrawal", "withdrawn_at", "updated_at"]
    )
    event = event_record(
        submission=submission, actor=chair, kind=EventKind.RESTORED, summary="Restored by a chair"
    )
    receipts_queue(submission=submission, event=event)
    return submission


OUTCOME_STATUS = {
    "accept": SubmissionStatus.ACCEPTED,
    "reject": SubmissionStatus.REJECTED,
    "desk_reject": SubmissionStatus.DESK_REJECTED,
}


@transaction.atomic
def submission_set_outcome(
    *, submission: Submission, outcome: str | None, chair: User
) -> Submission:
    """Record the outcome of a decision on the paper's status (None: back to submitted).

    Called by the decisions service of the reviews app; withdrawn papers are left alone.
    Side effects: a `decided` history entry (never shown as a mail: decision mails are
    composed and released by the chairs).
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not is_chair(chair, submission.workshop):
        raise NotAllowed("Only the chairs decide.")
    if submission.status in (SubmissionStatus.WITHDRAWN, SubmissionStatus.DRAFT):
        raise ServiceError(f"#{submission.number} is {submission.get_status_display().lower()}.")
    new = OUTCOME_STATUS[outcome] if outcome else SubmissionStatus.SUBMITTED
    if submission.status != new:
        submission.status = new
        submission.save(update_fields=["status", "updated_at"])
    return submission
