"""Writing reviews, declining, discussing and meta-reviewing.

Each action asks the policy itself: `reviews.view_paper` first (a paper the actor may not
know is NotFound), then its own permission (`reviews.write_review`, `reviews.decline`,
`reviews.discuss`, `reviews.write_meta_review`, `reviews.remind`). Draft autosaves are not
logged in the activity log (one every few seconds of typing: personal work in progress);
every other action writes one entry when it changes something.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import models, transaction
from django.utils import timezone

from submissions.models import Submission
from workshop.activity import activity_record
from workshop.errors import DeadlinePassed, NotAllowed, ServiceError
from workshop.models import Role, User, Workshop
from workshop.outbox import chairs_mail_queue, mail_queue
from workshop.plurals import counted
from workshop.policy import can, require, require_visible
from workshop.selectors import chairs_of
from workshop.services import config_save

from ..llm_use import llm_declaration_changes
from ..models import (
    EXTERNAL,
    Answer,
    Assignment,
    Comment,
    MetaRecommendation,
    MetaReview,
    QuestionKind,
    QuestionVisibility,
    Review,
    ReviewQuestion,
    ReviewStatus,
    ReviewVersion,
)
from ..models.reviewing import CommentAudience, PaperVisit
from ..permissions import review_submitted
from ..selectors.external import external_settings
from ..selectors.progress import late_reviewers
from ..selectors.rounds import round_questions_q
from .copies import canary_check, flag_texts
from .review_checks import review_text_check
from .scores import paper_scores_rebuild, paper_scores_refresh

MAX_TEXT = 20000

DEFAULT_FORM = (
    ("Summary", "What does the paper claim and do?", QuestionKind.TEXT, [], True,
     QuestionVisibility.AUTHORS, {}),
    ("Strengths", "", QuestionKind.TEXT, [], True, QuestionVisibility.AUTHORS, {}),
    ("Weaknesses", "", QuestionKind.TEXT, [], True, QuestionVisibility.AUTHORS, {}),
    ("Questions for the authors", "Answered in the author response.", QuestionKind.TEXT, [],
     False, QuestionVisibility.AUTHORS, {}),
    ("Overall recommendation", "", QuestionKind.SCORE,
     [[5, "Strong accept"], [4, "Accept"], [3, "Borderline"], [2, "Reject"],
      [1, "Strong reject"]], True, QuestionVisibility.AUTHORS, {"is_recommendation": True}),
    ("Confidence", "", QuestionKind.SCORE,
     [[5, "Expert: I know this area very well"], [4, "Confident"], [3, "Fairly confident"],
      [2, "Willing to defer"], [1, "Educated guess"]], True, QuestionVisibility.COMMITTEE,
     {"is_confidence": True}),
    ("Confidential comment to the chairs", "Never shown to the authors or other reviewers.",
     QuestionKind.TEXT, [], False, QuestionVisibility.CHAIRS, {}),
)  # fmt: skip


def default_form_create(workshop: Workshop) -> list[ReviewQuestion]:
    """The sensible default review form (idempotent: only for a workshop without one)."""
    if workshop.review_questions.exists():
        return list(workshop.review_questions.all())
    return [
        ReviewQuestion.objects.create(workshop=workshop, label=label, help_text=help_text,
                                      kind=kind, choices=choices, required=required,
                                      visibility=visibility, order=i, **flags)
        for i, (label, help_text, kind, choices, required, visibility, flags) in enumerate(
            DEFAULT_FORM, start=1)
    ]  # fmt: skip


# What makes an answer a score: changing either changes every paper's stored figures.
SCORE_FLAGS = ("is_recommendation", "is_confidence")


@transaction.atomic
def review_question_save(*, actor: User, question: ReviewQuestion) -> ReviewQuestion:
    """Create or change one question of the review form, as `config_save` does (asks
    `workshop.manage`; one activity entry naming the changed fields).

    Side effect: when the change makes other answers the scores (`SCORE_FLAGS`), every
    paper's stored figures of the workshop are recomputed in the same transaction, so the
    desk, progress and the plots never read figures of the old form."""
    before = (
        ReviewQuestion.objects.filter(pk=question.pk).values(*SCORE_FLAGS).first()
        if question.pk is not None
        else None
    )
    saved = config_save(actor=actor, instance=question)
    if before is not None and before != {flag: getattr(saved, flag) for flag in SCORE_FLAGS}:
        paper_scores_rebuild(saved.workshop)
    return saved


def pseudonyms_fill(submission_ids: Iterable[int], new: Sequence[Assignment] = ()) -> None:
    """Give each reviewer of these papers a stable letter (A, B, ...; then AA, AB, ...), in
    the order they were assigned: two reads and one bulk update however many papers (a
    matching run or an import assigns thousands). `new`: assignments about to be inserted
    (after the papers' existing ones), given their letters in memory, before the insert."""
    letters = list(string.ascii_uppercase) + [a + b for a in string.ascii_uppercase
                                              for b in string.ascii_uppercase]  # fmt: skip
    ids = set(submission_ids) | {a.submission_id for a in new}
    if not ids:
        return
    rows: dict[int, list[Assignment]] = defaultdict(list)
    for a in Assignment.objects.filter(submission_id__in=ids, role=Role.REVIEWER).order_by("pk"):
        rows[a.submission_id].append(a)
    for a in new:
        if a.role == Role.REVIEWER:
            rows[a.submission_id].append(a)
    # A letter once given is never given again, even after its reviewer left: comments
    # signed with it must keep pointing at one person.
    signed: dict[int, set[str]] = defaultdict(set)
    for sid, signature in (
        Comment.objects.filter(submission_id__in=ids, signature__startswith="Reviewer ")
        .values_list("submission_id", "signature")
        .distinct()
    ):
        signed[sid].add(signature.removeprefix("Reviewer "))
    changed = []
    for sid, assignments in rows.items():
        used = {a.pseudonym for a in assignments if a.pseudonym} | signed[sid]
        last = max((letters.index(x) for x in used if x in letters), default=-1)
        free = iter(letters[last + 1 :])
        for a in assignments:
            if not a.pseudonym:
                a.pseudonym = next(free)
                if a.pk is not None:
                    changed.append(a)
    Assignment.objects.bulk_update(changed, ["pseudonym"], batch_size=1000)


def _score_range(scores: list[int]) -> str:
    """A question's scores in words: "1 to 5", or each of them when the scale has gaps."""
    if scores and scores == list(range(scores[0], scores[-1] + 1)) and len(scores) > 2:
        return f"{scores[0]} to {scores[-1]}"
    return ", ".join(str(s) for s in scores) or "none: the question has no scores"


def _clean_value(question: ReviewQuestion, raw: object) -> object:
    """An answer in its stored form; raises ServiceError naming the question."""
    if raw in (None, "", []):
        return None
    if question.kind == QuestionKind.SCORE:
        scores = sorted(question.score_labels())
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ServiceError(
                f"“{question.label}”: “{str(raw)[:40]}” is not a score: choose one of "
                f"{_score_range(scores)}."
            ) from None
        if value not in scores:
            raise ServiceError(
                f"“{question.label}”: {value} is not one of its scores ({_score_range(scores)})."
            )
        return value
    if question.kind == QuestionKind.CHOICE:
        if str(raw) not in [str(c) for c in question.choices]:
            raise ServiceError(f"“{question.label}”: choose one of the options.")
        return str(raw)
    if question.kind == QuestionKind.CHECKBOX:
        return str(raw).lower() in ("1", "true", "on", "yes")
    text = str(raw).replace("\r\n", "\n")
    if len(text) > MAX_TEXT:
        raise ServiceError(f"“{question.label}” is longer than {MAX_TEXT:,} characters.")
    return text


def _lock_assignment(assignment: Assignment, user: User) -> Assignment:
    """The assignment, locked, once the user may write its review (see `review_submit`)."""
    locked = (
        Assignment.objects.select_for_update()
        .select_related("submission__workshop")
        .get(pk=assignment.pk)
    )
    require_visible(user, "reviews.view_paper", locked.submission)
    if not can(user, "reviews.write_review", locked):
        if locked.reviewer_id != user.pk or locked.declined_at:
            raise NotAllowed("This is not your review.")
        workshop = locked.submission.workshop
        raise DeadlinePassed(
            "The review deadline has passed: reviews can no longer be changed. Write to the "
            f"chairs ({workshop.contact_email}) if something must be corrected."
        )
    return locked


class StaleDraft(ServiceError):
    """The save was based on an older revision than the stored one and would overwrite a
    newer text (another tab, another window): refused, with the stored answers, so that the
    writer sees both and chooses."""

    status_code = 409

    def __init__(self, message: str, *, revision: int, saved: dict[int, object],
                 submitted: bool) -> None:  # fmt: skip
        super().__init__(message)
        self.revision = revision
        self.saved = saved
        self.submitted = submitted


class ReviewAlreadySubmitted(StaleDraft):
    """An autosave that would change a submitted review (a tab left open, or a save that
    arrives after the submission with other text): refused as bad input (400), with the
    stored answers; a submitted review changes only through `review_submit`."""

    status_code = 400


def _cleaned(questions: dict[int, ReviewQuestion], answers: dict[int, object]
             ) -> dict[int, object]:  # fmt: skip
    """The answers in their stored form (retired questions and stray fields dropped)."""
    return {qid: _clean_value(questions[qid], raw) for qid, raw in answers.items()
            if qid in questions}  # fmt: skip


def _differs(stored: dict[int, object], cleaned: dict[int, object]) -> bool:
    return any(stored.get(qid) != value for qid, value in cleaned.items())


def _check_revision(review: Review, revision: int | None, stored: dict[int, object],
                    cleaned: dict[int, object]) -> None:  # fmt: skip
    """Refuse a save based on an older revision when it would change the stored text."""
    if revision is None or revision == review.revision or not _differs(stored, cleaned):
        return
    raise StaleDraft(
        "This review was changed in another tab or window after this page loaded: saving "
        "here would overwrite the newer text. Compare both below and choose which to keep.",
        revision=review.revision, saved=stored,
        submitted=review.status == ReviewStatus.SUBMITTED,
    )  # fmt: skip


def _store(review: Review, questions: dict[int, ReviewQuestion], cleaned: dict[int, object],
           stored: dict[int, object]) -> None:  # fmt: skip
    for qid, value in cleaned.items():
        if qid in stored and stored[qid] == value:
            continue
        Answer.objects.update_or_create(
            review=review, question=questions[qid], defaults={"value": value}
        )


def _locked_review(assignment: Assignment) -> Review:
    review, _ = Review.objects.select_for_update().get_or_create(assignment=assignment)
    return review


@transaction.atomic
def review_save_draft(*, assignment: Assignment, user: User, answers: dict[int, object],
                      revision: int | None = None, llm_use: str | None = None,
                      llm_statement: str | None = None) -> Review:  # fmt: skip
    """Autosave of a draft (until the review deadline). A submitted review changes only
    through `review_submit`, so others never read a half-edited review. Asks
    `reviews.view_paper`, then `reviews.write_review` on the assignment.

    `revision` is the review's revision the writer's page last saw (None: not checked).
    Idempotent: answers equal to the stored ones change nothing (a retried save, or a save
    that arrives after the review was submitted with the same text, is answered as saved).
    A changing save based on an older revision raises `StaleDraft` (409), one to a
    submitted review `ReviewAlreadySubmitted` (400); either changes nothing.
    `llm_use`, `llm_statement` (None: unchanged): the declaration the workshop's LLM policy
    asks for, kept as typed (`reviews.llm_use`; only `review_submit` refuses an answer).

    Side effects: the answers and one more revision; no activity entry (see the module);
    a flag to the chairs for a review copy's canary phrase in the text (`canary_check`).
    """
    assignment = _lock_assignment(assignment, user)
    review = _locked_review(assignment)
    workshop = assignment.submission.workshop
    questions = {
        q.pk: q
        for q in workshop.review_questions.filter(active=True).filter(round_questions_q(assignment))
    }
    cleaned = _cleaned(questions, answers)
    declared = llm_declaration_changes(
        workshop, review, use=llm_use, statement=llm_statement, submitting=False
    )
    stored = {a.question_id: a.value for a in review.answers.all()}
    if not _differs(stored, cleaned) and not declared:
        return review
    if review.status == ReviewStatus.SUBMITTED:
        raise ReviewAlreadySubmitted(
            "This review is submitted: use “Update the submitted review” to change it.",
            revision=review.revision, saved=stored, submitted=True,
        )  # fmt: skip
    _check_revision(review, revision, stored, cleaned)
    _store(review, questions, cleaned, stored)
    for name, value in declared.items():
        setattr(review, name, value)
    review.revision += 1
    review.save(update_fields=["revision", "updated_at", *declared])
    canary_check(
        submission=assignment.submission, writer_id=assignment.reviewer_id,
        texts=flag_texts({**stored, **cleaned}), review=review,
    )  # fmt: skip
    return review


@transaction.atomic
def review_submit(*, assignment: Assignment, user: User, answers: dict[int, object],
                  revision: int | None = None, signed: bool | None = None,
                  llm_use: str | None = None, llm_statement: str | None = None
                  ) -> Review:  # fmt: skip
    """Submit (or update a submitted) review: every required question must be answered.
    Asks `reviews.view_paper`, then `reviews.write_review` on the assignment (the
    reviewer's own, in the window; chairs may correct any review). A submission based on
    an older `revision` that would change the stored text raises `StaleDraft` (409).
    `signed` (None: unchanged) is the reviewer's choice to sign the review with their name
    on a public forum (open reviewing); only the reviewer themselves may choose it.
    Under an LLM policy the review must carry an answer the policy accepts (`llm_use`, and
    `llm_statement` where the policy asks how; None: the stored ones), else ServiceError
    (`reviews.llm_use.llm_declaration_changes`).

    Side effects: a new kept version and revision; the copy and length checks
    (`review_text_check`: its signature, flags to the chairs); the canary check
    (`canary_check`: a flag for a review copy's phrase); one `review.submit` (first
    time) or `review.update` activity entry; no mail (chairs watch progress).
    """
    assignment = _lock_assignment(assignment, user)
    review = _locked_review(assignment)
    was_submitted = review.status == ReviewStatus.SUBMITTED
    questions = {
        q.pk: q
        for q in assignment.submission.workshop.review_questions.filter(active=True).filter(
            round_questions_q(assignment)
        )
    }
    cleaned = _cleaned(questions, answers)
    before = {a.question_id: a.value for a in review.answers.all()}
    _check_revision(review, revision, before, cleaned)
    stored = {**before, **cleaned}
    missing = [q.label for q in questions.values()
               if q.required and stored.get(q.pk) in (None, "", False)]  # fmt: skip
    if missing:
        raise ServiceError("Please answer: " + ", ".join(missing) + ".")
    declared = llm_declaration_changes(
        assignment.submission.workshop, review, use=llm_use, statement=llm_statement,
        submitting=True,
    )  # fmt: skip
    _store(review, questions, cleaned, before)
    for name, value in declared.items():
        setattr(review, name, value)
    if signed is not None and assignment.reviewer_id == user.pk:
        review.signed = signed
    review.status = ReviewStatus.SUBMITTED
    review.version += 1
    review.revision += 1
    review.submitted_at = timezone.now()
    review.save()
    ReviewVersion.objects.create(
        review=review, number=review.version,
        answers={str(k): v for k, v in stored.items()},
    )  # fmt: skip
    paper_scores_refresh([assignment.submission_id])
    review_text_check(review=review, assignment=assignment, questions=questions, answers=stored)
    canary_check(
        submission=assignment.submission, writer_id=assignment.reviewer_id,
        texts=flag_texts(stored), review=review,
    )  # fmt: skip
    activity_record(
        actor=user, target=review,
        action="review.update" if was_submitted else "review.submit",
        summary=f"{assignment.display_name} on #{assignment.submission.number}: "
        + (f"review updated (version {review.version})" if was_submitted else "review submitted"),
        after={"version": review.version, "signed": review.signed},
    )  # fmt: skip
    return review


@transaction.atomic
def review_question_import(
    *, workshop: Workshop, chair: User, label: str, kind: str, choices: list, visibility: str
) -> ReviewQuestion:
    """A question of another system's review form that this form lacks, added retired
    (`active=False`): imported answers keep a home and are read by whom `visibility`
    says, and the live form reviewers fill in does not change. Asks `workshop.manage`.

    Side effects: the question; one `review_form.import` activity entry.
    """
    require(chair, "workshop.manage", workshop, message="Only the chairs change the form.")
    order = (workshop.review_questions.aggregate(m=models.Max("order"))["m"] or 0) + 1
    question = ReviewQuestion.objects.create(
        workshop=workshop, label=label, kind=kind, choices=choices, visibility=visibility,
        required=False, active=False, order=order,
    )  # fmt: skip
    activity_record(
        actor=chair, target=question, workshop=workshop, action="review_form.import",
        summary=f"Question “{label}” added, retired, for imported answers ({visibility})",
    )  # fmt: skip
    return question


@transaction.atomic
def review_import_write(
    *,
    assignment: Assignment,
    chair: User,
    answers: dict[int, object],
    submitted: bool,
    submitted_at: dt.datetime | None = None,
) -> Review:
    """The writer an import calls: a review as the other system holds it. Asks what
    `review_submit` asks, of the chair acting for the import. Unlike the browser's submit,
    questions of the form the other system did not have may stay empty, and answers may go
    to retired questions (the ones an import adds for the other form's fields); each value
    is still checked against its question. Answers equal to the stored ones change nothing
    (importing the same file again is a no-op).

    Side effects: the answers; when `submitted`, the review submitted at `submitted_at`
    (else now) with a kept version, the paper's stored figures refreshed, the copy and
    length checks (`review_text_check`), one `review.import` activity entry. Unsubmitted,
    the answers are the reviewer's draft.
    """
    assignment = _lock_assignment(assignment, chair)
    review = _locked_review(assignment)
    questions = {q.pk: q for q in assignment.submission.workshop.review_questions.all()}
    cleaned = _cleaned(questions, answers)
    before = {a.question_id: a.value for a in review.answers.all()}
    now_submitted = submitted or review.status == ReviewStatus.SUBMITTED
    if not _differs(before, cleaned) and now_submitted == (review.status == ReviewStatus.SUBMITTED):
        return review
    _store(review, questions, cleaned, before)
    review.revision += 1
    if now_submitted:
        review.status = ReviewStatus.SUBMITTED
        review.version += 1
        review.submitted_at = submitted_at or review.submitted_at or timezone.now()
        review.save()
        version = ReviewVersion.objects.create(
            review=review, number=review.version,
            answers={str(k): v for k, v in {**before, **cleaned}.items()},
        )  # fmt: skip
        # The version's time is set on creation; an imported one keeps the other system's.
        ReviewVersion.objects.filter(pk=version.pk).update(submitted_at=review.submitted_at)
        paper_scores_refresh([assignment.submission_id])
        review_text_check(
            review=review, assignment=assignment, questions=questions,
            answers={**before, **cleaned},
        )  # fmt: skip
    else:
        review.save(update_fields=["revision", "updated_at"])
    activity_record(
        actor=chair, target=review, action="review.import",
        summary=f"{assignment.display_name} on #{assignment.submission.number}: review "
        + ("imported" if now_submitted else "draft imported"),
        after={"version": review.version},
    )  # fmt: skip
    return review


@transaction.atomic
def assignment_decline(*, assignment: Assignment, user: User, reason: str) -> Assignment:
    """A reviewer declines a paper before submitting a review. Asks `reviews.view_paper`,
    then `reviews.decline`; declining twice changes nothing.

    Side effects: one `assignment.decline` activity entry (with the reason) and a mail to
    every chair of the workshop, keyed by that entry (a reviewer assigned again who declines
    again is a new event, so the chairs hear of it again).
    """
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("submission__workshop")
        .get(pk=assignment.pk)
    )
    if assignment.declined_at and assignment.reviewer_id == user.pk:
        return assignment
    require_visible(user, "reviews.view_paper", assignment.submission)
    if assignment.reviewer_id != user.pk:
        raise NotAllowed("This is not your assignment.")
    require(
        user,
        "reviews.decline",
        assignment,
        message="You have submitted a review of this paper; it cannot be declined.",
    )
    if not reason.strip():
        raise ServiceError("Please give the chairs a reason.")
    assignment.declined_at = timezone.now()
    assignment.decline_reason = reason.strip()[:2000]
    assignment.save(update_fields=["declined_at", "decline_reason"])
    paper_scores_refresh([assignment.submission_id])
    workshop = assignment.submission.workshop
    entry = activity_record(
        actor=user, target=assignment, action="assignment.decline",
        summary=f"{assignment.display_name} declined #{assignment.submission.number}",
        before={"declined": False}, after={"declined": True}, reason=assignment.decline_reason,
    )  # fmt: skip
    chairs_mail_queue(
        workshop=workshop,
        key=f"declined:{entry.pk}",
        template="assignment_declined",
        context={"assignment": assignment, "reviewer": user},
        target=assignment,
    )
    return assignment


def signature_for(user: User, submission: Submission, assignments: list[Assignment]) -> str:
    for a in assignments:
        if a.reviewer_id == user.pk and not a.declined_at:
            return a.display_name
    return "Chair" if can(user, "workshop.manage", submission.workshop) else "Committee member"


MENTION = re.compile(r"@(Reviewer [A-Z]{1,2}|Area chair|Chair)\b", re.IGNORECASE)


def comment_readers(submission: Submission, audience: str, thread_author_id: int | None,
                    assignments: list[Assignment]) -> dict[int, tuple[User, str]]:  # fmt: skip
    """Who reads a note (user id -> (user, the name they are mentioned by)): for the
    committee, the paper's area chair, the reviewers who may discuss (submitted) and the
    chairs; for chairs only, the chairs and the writer of the thread's first note."""
    readers: dict[int, tuple[User, str]] = {}
    # An external reviewer reads the discussion only where the chairs allow it (issue 28).
    externals_read = external_settings(submission.workshop).sees_discussion
    for a in assignments:
        if a.declined_at:
            continue
        committee = audience == CommentAudience.COMMITTEE and (
            a.role == Role.AREA_CHAIR
            or (review_submitted(a) and (a.role != EXTERNAL or externals_read))
        )
        if committee or a.reviewer_id == thread_author_id:
            readers[a.reviewer_id] = (a.reviewer, a.display_name)
    for chair in chairs_of(submission.workshop):
        readers.setdefault(chair.pk, (chair, "Chair"))
    return readers


@transaction.atomic
def comment_post(*, submission: Submission, user: User, body: str, notify: bool = True,
                 parent: Comment | None = None, audience: str = CommentAudience.COMMITTEE
                 ) -> Comment:  # fmt: skip
    """Post a note to the paper's discussion: a new thread, or a reply to a thread's first
    note (`parent`; a reply has its thread's readers). Asks `reviews.view_paper`, then
    `reviews.discuss`; a chairs-only thread is read by the chairs and its starter only.

    Side effects: one `comment.post` activity entry; a flag to the chairs for a review
    copy's canary phrase in the note (`canary_check`); unless `notify` is False, one mail
    through the outbox to every other reader of the note (keyed per note and reader, so a
    reader mentioned by pseudonym, e.g. "@Reviewer B" or "@Area chair", still gets exactly
    one mail, marked as a mention). Nobody who may not read the note is mailed.
    """
    require_visible(user, "reviews.view_paper", submission)
    require(user, "reviews.discuss", submission,
            message="You can join the discussion once you have submitted your review.")  # fmt: skip
    body = body.strip()
    if not body:
        raise ServiceError("Write something first.")
    if len(body) > MAX_TEXT:
        raise ServiceError(f"A comment can have at most {MAX_TEXT:,} characters.")
    if audience not in CommentAudience.values:
        raise ServiceError("Choose who reads the note.")
    thread_author_id = user.pk
    if parent is not None:
        parent = (
            Comment.objects.filter(pk=parent.pk, submission=submission, parent__isnull=True)
            .select_related("author")
            .first()
        )
        if parent is None or not comment_visible(user, submission, parent):
            raise ServiceError("That thread is not on this paper.")
        audience = parent.audience
        thread_author_id = parent.author_id
    assignments = list(
        Assignment.objects.filter(submission=submission, declined_at__isnull=True).select_related(
            "reviewer", "review"
        )
    )
    comment = Comment.objects.create(
        submission=submission, author=user, body=body, parent=parent, audience=audience,
        signature=signature_for(user, submission, assignments),
    )  # fmt: skip
    activity_record(
        actor=user, target=comment, action="comment.post",
        summary=f"{comment.signature} {'replied' if parent else 'commented'} on "
        f"#{submission.number}"
        + (" (chairs only)" if audience == CommentAudience.CHAIRS else ""),
    )  # fmt: skip
    canary_check(submission=submission, writer_id=user.pk, texts=[body], comment=comment)
    if not notify:
        return comment
    mentioned = {m.lower() for m in MENTION.findall(body)}
    recipients = comment_readers(submission, audience, thread_author_id, assignments)
    recipients.pop(user.pk, None)
    for uid, (recipient, name) in recipients.items():
        mail_queue(
            key=f"comment:{comment.pk}:{uid}",
            template="discussion_comment",
            to=recipient.email,
            context={"comment": comment, "submission": submission,
                     "mentioned": name.lower() in mentioned},
            workshop=submission.workshop,
            recipient=recipient,
            target=comment,
        )  # fmt: skip
    return comment


def comment_visible(user: User, submission: Submission, thread: Comment) -> bool:
    """Whether `user` (who may discuss the paper) reads a thread: committee threads all of
    them; chairs-only threads the chairs (`reviews.see_chairs_only_answers`) and the
    thread's starter."""
    if thread.audience == CommentAudience.COMMITTEE:
        return True
    return thread.author_id == user.pk or can(user, "reviews.see_chairs_only_answers", submission)


def paper_visit_record(*, user: User, submission: Submission) -> PaperVisit | None:
    """Note that `user` opened the paper's forum now; returns the previous visit (None the
    first time), so the page can mark what is new since then.

    Side effects: the visit row only (reading marks are personal state: no activity entry).
    """
    now = timezone.now()
    with transaction.atomic():
        visit = (
            PaperVisit.objects.select_for_update().filter(user=user, submission=submission).first()
        )
        if visit is None:
            PaperVisit.objects.get_or_create(
                user=user, submission=submission, defaults={"seen_at": now}
            )
            return None
        previous = PaperVisit(user=user, submission=submission, seen_at=visit.seen_at)
        visit.seen_at = now
        visit.save(update_fields=["seen_at"])
    return previous


@transaction.atomic
def meta_review_save(*, submission: Submission, user: User, recommendation: str, text: str
                     ) -> MetaReview:  # fmt: skip
    """The area chair's (or a chair's) recommendation and text for one paper. Asks
    `reviews.view_paper`, then `reviews.write_meta_review`.

    Side effects: one `meta_review.save` activity entry when something changed.
    """
    require_visible(user, "reviews.view_paper", submission)
    if submission.workshop.decisions_released and not can(
        user, "reviews.write_meta_review", submission
    ):
        require_visible(user, "reviews.see_meta_review", submission)
        raise DeadlinePassed("Decisions are out: the meta-review is locked.")
    require(user, "reviews.write_meta_review", submission,
            message="Only the paper's area chair writes its meta-review.")  # fmt: skip
    if recommendation not in MetaRecommendation.values:
        raise ServiceError("Choose a recommendation.")
    if len(text) > MAX_TEXT:
        raise ServiceError(f"At most {MAX_TEXT:,} characters.")
    previous = MetaReview.objects.select_for_update().filter(submission=submission).first()
    if previous and (previous.recommendation, previous.text) == (recommendation, text.strip()):
        return previous
    meta, _ = MetaReview.objects.update_or_create(
        submission=submission,
        defaults={"author": user, "recommendation": recommendation, "text": text.strip()},
    )
    activity_record(
        actor=user, target=meta, action="meta_review.save",
        summary=f"Meta-review of #{submission.number}: {meta.get_recommendation_display()}",
        before={"recommendation": previous.recommendation} if previous else None,
        after={"recommendation": recommendation},
    )  # fmt: skip
    return meta


@transaction.atomic
def late_reviewers_remind(*, workshop: Workshop, chair: User) -> int:
    """One mail per reviewer with unsubmitted reviews (keyed per day: a second click the
    same day sends nothing). Asks `reviews.remind`. Returns how many were newly queued.

    Side effects: the mails, and one `reminders.send` activity entry when any was queued.
    """
    require(chair, "reviews.remind", workshop, message="Only the chairs send reminders.")
    today = timezone.now().date().isoformat()
    queued = 0
    for uid, (reviewer, papers) in late_reviewers(workshop).items():
        _, created = mail_queue(
            key=f"remind-late:{workshop.pk}:{uid}:{today}",  # once a day per reviewer
            template="review_reminder",
            to=reviewer.email,
            context={"user": reviewer, "papers": papers},
            workshop=workshop,
            recipient=reviewer,
        )
        queued += int(created)
    if queued:
        activity_record(actor=chair, target=workshop, action="reminders.send",
                        summary=f"Reminded {counted(queued, 'reviewer')} of late reviews",
                        after={"queued": queued, "kind": "review_reminder"})  # fmt: skip
    return queued


@transaction.atomic
def paper_reviewers_remind(*, submission: Submission, actor: User) -> int:
    """The one-click reminder of the area chairs' console: one mail to each reviewer of
    this paper whose review is not submitted (the chairs' `review_reminder`, naming only
    this paper), at most once a day per reviewer and paper. Asks `reviews.view_paper`, then
    `reviews.remind_paper_reviewers`. Returns how many were newly queued.

    Side effects: the mails, and one `reminders.send` activity entry when any was queued.
    """
    require_visible(actor, "reviews.view_paper", submission)
    require(actor, "reviews.remind_paper_reviewers", submission,
            message="Only the paper's area chair and the chairs send reminders.")  # fmt: skip
    workshop = submission.workshop
    today = timezone.now().date().isoformat()
    late = [
        a for a in Assignment.objects.filter(
            submission=submission, role__in=(Role.REVIEWER, EXTERNAL), declined_at__isnull=True
        ).select_related("reviewer", "review")
        if not review_submitted(a)
    ]  # fmt: skip
    queued = 0
    for a in late:
        _, created = mail_queue(
            key=f"remind-paper:{submission.pk}:{a.reviewer_id}:{today}",
            template="review_reminder",
            to=a.reviewer.email,
            context={"user": a.reviewer, "papers": [submission]},
            workshop=workshop,
            recipient=a.reviewer,
            target=submission,
        )
        queued += int(created)
    if queued:
        activity_record(
            actor=actor, target=submission, action="reminders.send",
            summary=f"Reminded {counted(queued, 'reviewer')} of #{submission.number}",
            after={"queued": queued, "kind": "review_reminder"},
        )  # fmt: skip
    return queued
