"""Create, edit, submit, withdraw and restore a submission."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.module_loading import import_string

from workshop.activity import activity_record
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import Activity, Topic, User, Workshop
from workshop.policy import can, require, require_open, require_visible

from ..models import (
    LlmUse,
    MissingItem,
    Submission,
    SubmissionAction,
    SubmissionStatus,
    SubmissionType,
)
from ..permissions import is_author
from .notify import receipts_queue

EDITABLE_FIELDS = (
    "title",
    "abstract",
    "tldr",
    "keywords",
    "track",
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


def history_record(
    *, submission: Submission, actor: Any, action: SubmissionAction, summary: str = ""
) -> Activity:
    """The one activity entry of an action on a paper, part of the history its authors read."""
    return activity_record(
        actor=actor,
        action=action,
        target=submission,
        workshop=submission.workshop,
        summary=summary or action.label,
        authors_see=True,
    )


def missing_items(submission: Submission) -> list[MissingItem]:
    """What the authors must still do before the paper can be submitted (codes and words).

    Reads the authors and the workshop's submission types through the prefetch cache when
    there is one (the dashboard), so a list of papers costs no query per row.
    """
    missing = []
    if not submission.title.strip():
        missing.append(MissingItem.TITLE)
    if not submission.abstract.strip():
        missing.append(MissingItem.ABSTRACT)
    if submission.primary_topic_id is None:
        missing.append(MissingItem.TOPIC)
    if submission.submission_type_id is None and submission.workshop.submission_types.exists():
        missing.append(MissingItem.TYPE)
    if submission.llm_use != LlmUse.NONE and not submission.llm_use_description.strip():
        missing.append(MissingItem.LLM_USE)
    if not submission.authors.exists():
        missing.append(MissingItem.AUTHORS)
    if submission.paper_id is None:
        missing.append(MissingItem.PAPER)
    return missing


# What the abstract deadline asks for: a paper is registered once none of these is missing.
REGISTRATION = {MissingItem.TITLE, MissingItem.ABSTRACT, MissingItem.TOPIC, MissingItem.AUTHORS}


def registration_stamp(submission: Submission) -> None:
    """Record when title, abstract, authors and topic were first all in."""
    if submission.registered_at is None and not REGISTRATION.intersection(
        missing_items(submission)
    ):
        submission.registered_at = timezone.now()
        submission.save(update_fields=["registered_at"])


# What the reviewers' text models read of a paper: a change here is a new text to embed.
TEXT_FIELDS = frozenset({"title", "abstract", "keywords"})


def text_changed(submission_ids: list[int]) -> None:
    """Tell the apps above (`settings.SUBMISSION_TEXT_CHANGED`, dotted paths of functions
    taking a list of paper ids) that the text of papers under review changed, without
    importing them: the reviews app computes the papers' embeddings after commit."""
    if not submission_ids:
        return
    for path in settings.SUBMISSION_TEXT_CHANGED:
        import_string(path)(submission_ids)


def submission_locked(submission: Submission) -> Submission:
    """The paper re-read under a row lock (only its own row: not its workshop's)."""
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("workshop")
        .get(pk=submission.pk)
    )


def check_change(
    submission: Submission,
    user: Any,
    perm: str = "submissions.edit",
    *,
    closed: str | None = None,
) -> None:
    """Raise unless `user` holds `perm` (a contact author's change) on the paper, now.

    NotFound for who may not know the paper; NotAllowed for who is not a contact author
    or for a paper no longer in progress; DeadlinePassed (with `closed`, or the message of
    the paper deadline) when the window of `perm` has closed. Pages ask it to explain a
    refusal before showing a form; services ask it through `lock_for`.
    """
    require_visible(user, "submissions.view", submission)
    require(
        user,
        "submissions.contact",
        submission,
        message="Only the contact authors of this paper can change it.",
    )
    if can(user, perm, submission):
        return
    if not submission.is_in_progress:
        raise NotAllowed(f"This paper is {submission.get_status_display().lower()}.")
    raise DeadlinePassed(
        closed
        or "The deadline for changes has passed: the paper can no longer be edited. "
        f"Please write to the chairs at {submission.workshop.contact_email} if something is wrong."
    )


def lock_for(
    submission: Submission,
    user: Any,
    perm: str = "submissions.edit",
    *,
    closed: str | None = None,
) -> Submission:
    """Re-read the paper under a lock and `check_change` it for `perm` at this moment."""
    locked = submission_locked(submission)
    check_change(locked, user, perm, closed=closed)
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
    _check_track(workshop, fields)


def _check_track(workshop: Workshop, fields: dict[str, Any]) -> None:
    """A paper's track (issue 27): one of the workshop's, required where it has tracks (when
    the form asks it), offering the chosen type (a type of another track is refused) and the
    chosen topic (a track naming its topics offers those only)."""
    if "track" not in fields:
        return
    track = fields["track"]
    if track is None:
        if workshop.tracks.exists():
            raise ServiceError("Choose the track of the paper.")
        return
    if track.workshop_id != workshop.pk:
        raise ServiceError("That track does not belong to this workshop.")
    stype, topic = fields.get("submission_type"), fields.get("primary_topic")
    if stype is not None and stype.track_id not in (None, track.pk):
        raise ServiceError(f"The track {track} does not take the type “{stype.name}”.")
    topics = set(track.topics.values_list("pk", flat=True))
    if topic is not None and topics and topic.pk not in topics:
        raise ServiceError(f"The track {track} does not take the topic “{topic.name}”.")


@transaction.atomic
def submission_create(
    *, workshop: Workshop, user: User, secondary_topics: list[Topic] | None = None, **fields: Any
) -> Submission:
    """Start a draft with the next number; the submitter becomes its first contact author.

    Asks `submissions.create` on the workshop (DeadlinePassed while the call is not open).
    Side effects: one `submission.create` entry. No mail until the paper is submitted.
    """
    from .authors import author_add_submitter

    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not user.is_authenticated:
        raise NotAllowed("Sign in to submit a paper.")
    require_open(
        user,
        "submissions.create",
        workshop,
        message="The call for papers is closed: new submissions are not accepted.",
    )
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
    registration_stamp(submission)
    history_record(
        submission=submission, actor=user, action=SubmissionAction.CREATE, summary="Draft created"
    )
    return submission


@transaction.atomic
def submission_update(
    *,
    submission: Submission,
    user: User,
    secondary_topics: list[Topic] | None = None,
    notify: bool = True,
    **fields: Any,
) -> Submission:
    """Change metadata until the deadline (`submissions.edit`).

    Side effects: one `submission.edit` entry naming the changed fields and, once submitted,
    a receipt to every author and, if its text changed, `text_changed`. Nothing when nothing
    changed.
    """
    submission = lock_for(submission, user, "submissions.edit")
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
    if submission.is_submitted and TEXT_FIELDS.intersection(changed):
        text_changed([submission.pk])
    labels = [
        Submission._meta.get_field(n).verbose_name if n != "secondary_topics" else "topics"
        for n in changed
    ]
    entry = history_record(
        submission=submission,
        actor=user,
        action=SubmissionAction.EDIT,
        summary="Changed: " + ", ".join(str(label) for label in labels),
    )
    if notify and submission.is_submitted:
        receipts_queue(submission=submission, activity=entry)
    return submission


@transaction.atomic
def submission_submit(*, submission: Submission, user: User, notify: bool = True) -> Submission:
    """Turn a complete draft into a submitted paper (`submissions.submit`).

    Side effects: one `submission.submit` entry, a receipt to every author (number,
    title, time, SHA-256 of the PDF) and `text_changed`. A paper already submitted is left
    as it is.
    """
    submission = lock_for(submission, user, "submissions.submit")
    if submission.is_submitted:
        return submission
    from .fields import paper_answers_missing

    missing = [m.label for m in missing_items(submission)]
    missing += [f"Answer “{f.label}”" for f in paper_answers_missing(submission)]
    if missing:
        raise ServiceError("The paper is not complete yet: " + "; ".join(missing) + ".")
    submission.status = SubmissionStatus.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.save(update_fields=["status", "submitted_at", "updated_at"])
    text_changed([submission.pk])
    entry = history_record(
        submission=submission, actor=user, action=SubmissionAction.SUBMIT, summary="Submitted"
    )
    if notify:
        receipts_queue(submission=submission, activity=entry)
    return submission


WITHDRAW_REFUSED = (
    "The reviews of this paper have been read or a decision has been set: only the chairs "
    "can withdraw it now. Please write to them at {contact}."
)


@transaction.atomic
def submission_withdraw(*, submission: Submission, user: Any, notify: bool = True) -> Submission:
    """Withdraw a paper (`submissions.withdraw`, the withdraw ladder): its contact authors
    until they have read released reviews or a decision is set (or anytime, if the workshop
    allows it); its chairs at any time. Everything is kept.

    Side effects: one `submission.withdraw` entry and a mail to every author. A paper
    already withdrawn is left as it is.
    """
    submission = submission_locked(submission)
    require_visible(user, "submissions.view", submission)
    if submission.is_withdrawn:
        return submission
    if not can(user, "submissions.withdraw", submission):
        require(
            user,
            "submissions.contact",
            submission,
            message="Only the contact authors of this paper can withdraw it.",
        )
        raise NotAllowed(WITHDRAW_REFUSED.format(contact=submission.workshop.contact_email))
    by_chair = _as_chair(user, submission)
    before = submission.status
    _withdrawal_set(
        submission,
        status=SubmissionStatus.WITHDRAWN,
        before=submission.status,
        at=timezone.now(),
        by_chair=by_chair,
    )
    entry = activity_record(
        actor=user,
        action=SubmissionAction.WITHDRAW,
        target=submission,
        workshop=submission.workshop,
        summary="Withdrawn by a chair" if by_chair else "Withdrawn",
        before={"status": before},
        after={"status": SubmissionStatus.WITHDRAWN},
        authors_see=True,
    )
    if notify:
        receipts_queue(submission=submission, activity=entry)
    return submission


def _as_chair(user: Any, submission: Submission) -> bool:
    """Whether a withdrawal or restoration allowed to `user` is the chairs' doing: one who
    is not a contact author of the paper can only have been allowed as a chair."""
    return not can(user, "submissions.contact", submission)


def _withdrawal_set(
    submission: Submission, *, status: str, before: str, at: Any, by_chair: bool
) -> None:
    submission.status = status
    submission.status_before_withdrawal = before
    submission.withdrawn_at = at
    submission.withdrawn_by_chair = by_chair
    submission.save(
        update_fields=[
            "status",
            "status_before_withdrawal",
            "withdrawn_at",
            "withdrawn_by_chair",
            "updated_at",
        ]
    )


@transaction.atomic
def submission_restore(*, submission: Submission, user: Any, notify: bool = True) -> Submission:
    """Undo a withdrawal (`submissions.restore`): the chairs, or the contact authors of a
    paper they withdrew themselves while the call for papers is open. The paper gets back
    the status it had.

    Side effects: one `submission.restore` entry and a mail to every author. A paper that
    is not withdrawn (a retried request) is left as it is.
    """
    actor = user
    submission = submission_locked(submission)
    require_visible(actor, "submissions.view", submission)
    if not submission.is_withdrawn:
        if not can(actor, "workshop.manage", submission):
            require(
                actor,
                "submissions.contact",
                submission,
                message="Only the chairs and the contact authors can restore a paper.",
            )
        return submission  # a retried request
    if not can(actor, "submissions.restore", submission):
        if not can(actor, "submissions.contact", submission):
            raise NotAllowed("Only the chairs can restore a withdrawn paper.")
        if submission.withdrawn_by_chair:
            raise NotAllowed(
                "A chair withdrew this paper: only the chairs can restore it. Please write to "
                f"them at {submission.workshop.contact_email}."
            )
        raise DeadlinePassed(
            "The call for papers is closed: only the chairs can restore the paper now. "
            f"Please write to them at {submission.workshop.contact_email}."
        )
    by_chair = _as_chair(actor, submission)
    restored = submission.status_before_withdrawal or SubmissionStatus.DRAFT
    _withdrawal_set(submission, status=restored, before="", at=None, by_chair=False)
    if restored == SubmissionStatus.SUBMITTED:
        text_changed([submission.pk])
    entry = activity_record(
        actor=actor,
        action=SubmissionAction.RESTORE,
        target=submission,
        workshop=submission.workshop,
        summary="Restored by a chair" if by_chair else "Restored by the authors",
        before={"status": SubmissionStatus.WITHDRAWN},
        after={"status": restored},
        authors_see=True,
    )
    if notify:
        receipts_queue(submission=submission, activity=entry)
    return submission


@transaction.atomic
def submission_reviews_seen(*, submission: Submission, user: Any) -> Submission:
    """Record that an author opened the released reviews (the first time only): from then
    on the withdraw ladder leaves withdrawal to the chairs. Asks `submissions.view` and
    `reviews.read_released`; chairs reading the page change nothing.

    Side effects: none beyond the timestamp (reading is not an action in the history).
    """
    if submission.reviews_seen_at is not None or not is_author(user, submission):
        return submission
    if not can(user, "reviews.read_released", submission):
        return submission
    Submission.objects.filter(pk=submission.pk, reviews_seen_at__isnull=True).update(
        reviews_seen_at=timezone.now()
    )
    submission.reviews_seen_at = submission.reviews_seen_at or timezone.now()
    return submission


OUTCOME_STATUS = {
    "accept": SubmissionStatus.ACCEPTED,
    "reject": SubmissionStatus.REJECTED,
    "desk_reject": SubmissionStatus.DESK_REJECTED,
}


@transaction.atomic
def submission_set_outcome(
    *, submission: Submission, outcome: str | None, chair: Any
) -> Submission:
    """Set the paper's status to follow a decision's outcome (None: back to submitted).

    An internal step of the decisions action (`reviews` `decision_record`), which writes
    the one activity entry (`decision.record`) and composes the mails: this step writes
    neither. It still asks `submissions.set_outcome` itself (chairs, on a paper under
    review); drafts and withdrawn papers are refused with a plain message.
    """
    submission = submission_locked(submission)
    require_visible(chair, "submissions.view", submission)
    if not can(chair, "submissions.set_outcome", submission):
        require(chair, "workshop.manage", submission, message="Only the chairs decide.")
        raise ServiceError(f"#{submission.number} is {submission.get_status_display().lower()}.")
    new = OUTCOME_STATUS[outcome] if outcome else SubmissionStatus.SUBMITTED
    if submission.status != new:
        submission.status = new
        submission.save(update_fields=["status", "updated_at"])
    return submission
