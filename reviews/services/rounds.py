"""Review rounds and response rounds (issue 27, parts 2 and 3): configuring them, sending a
paper to a later round ("revise and resubmit"), its authors' revised PDF, and its
reviewers assigned again in the new round."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from submissions.filechecks.errors import read_limited
from submissions.models import FileKind, Submission, SubmissionFile, SubmissionStatus
from submissions.services.files import submission_file_write
from submissions.services.lifecycle import submission_locked
from workshop.activity import activity_record
from workshop.errors import DeadlinePassed, ServiceError
from workshop.models import Role, User, Workshop
from workshop.outbox import mail_queue
from workshop.policy import can, require, require_visible
from workshop.search import SearchContext, SearchError, search_compile

from ..models import Assignment, DecisionCategory, PaperRound, ResponseRound, ReviewRound
from ..selectors.rounds import paper_round, previous_round_assignments
from .access import require_on_paper

ROUND_FIELDS = ("name", "review_deadline", "review_hard_deadline", "resubmission_deadline")
RESPONSE_FIELDS = ("name", "opens", "closes", "words_soft", "words_hard", "condition")


def _when(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _round_check(workshop: Workshop, values: dict) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise ServiceError("Name the round.")
    values["name"] = name[:80]
    soft, hard = values.get("review_deadline"), values.get("review_hard_deadline")
    if soft and hard and hard < soft:
        raise ServiceError("The hard review deadline cannot come before the advertised one.")


def review_round_first(workshop: Workshop) -> ReviewRound:
    """The workshop's round 1 (created on first need: workshops made after migration 0022
    have none until a chair adds a second round). Writes no activity entry: it only names
    what already is."""
    found, _ = ReviewRound.objects.get_or_create(
        workshop=workshop, number=1, defaults={"name": "Round 1"}
    )
    return found


@transaction.atomic
def review_round_create(
    *,
    workshop: Workshop,
    chair: User,
    name: str,
    review_deadline: dt.datetime | None = None,
    review_hard_deadline: dt.datetime | None = None,
    resubmission_deadline: dt.datetime | None = None,
) -> ReviewRound:
    """Add the workshop's next review round (round 1 is made first if missing). A later
    round needs its own review deadline. Asks `reviews.manage_rounds`. Side effects: one
    `round.create` activity entry."""
    require(chair, "reviews.manage_rounds", workshop, message="Only the chairs add rounds.")
    Workshop.objects.select_for_update().filter(pk=workshop.pk).first()
    review_round_first(workshop)
    values = {"name": name, "review_deadline": review_deadline,
              "review_hard_deadline": review_hard_deadline,
              "resubmission_deadline": resubmission_deadline}  # fmt: skip
    _round_check(workshop, values)
    if not review_deadline:
        raise ServiceError("A later round needs its own review deadline.")
    if workshop.review_rounds.filter(name__iexact=values["name"]).exists():
        raise ServiceError(f"There is already a round named “{values['name']}”.")
    number = (workshop.review_rounds.order_by("-number").values_list("number", flat=True)[0]) + 1
    rnd = ReviewRound.objects.create(workshop=workshop, number=number, **values)
    activity_record(
        actor=chair, target=rnd, workshop=workshop, action="round.create",
        summary=f"Review round {number} “{rnd.name}” added",
        after={k: _when(v) for k, v in values.items()},
    )  # fmt: skip
    return rnd


@transaction.atomic
def review_round_update(*, review_round: ReviewRound, chair: User, **changes: object
                        ) -> ReviewRound:  # fmt: skip
    """Change a round's name or deadlines (fields of `ROUND_FIELDS`). Asks
    `reviews.manage_rounds`. Side effects: one `round.update` activity entry with what
    changed; nothing when nothing changed."""
    rnd = ReviewRound.objects.select_for_update().select_related("workshop").get(pk=review_round.pk)
    require(chair, "reviews.manage_rounds", rnd.workshop, message="Only the chairs edit rounds.")
    unknown = set(changes) - set(ROUND_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown round field: {', '.join(sorted(unknown))}.")
    values = {f: getattr(rnd, f) for f in ROUND_FIELDS} | changes
    _round_check(rnd.workshop, values)
    if rnd.number > 1 and not values["review_deadline"]:
        raise ServiceError("A later round needs its own review deadline.")
    clash = rnd.workshop.review_rounds.filter(name__iexact=values["name"]).exclude(pk=rnd.pk)
    if clash.exists():
        raise ServiceError(f"There is already a round named “{values['name']}”.")
    before = {f: getattr(rnd, f) for f in ROUND_FIELDS if getattr(rnd, f) != values[f]}
    if not before:
        return rnd
    for f in before:
        setattr(rnd, f, values[f])
    rnd.save(update_fields=list(before))
    activity_record(
        actor=chair, target=rnd, workshop=rnd.workshop, action="round.update",
        summary=f"Review round {rnd.number} “{rnd.name}” changed: {', '.join(before)}",
        before={k: _when(v) for k, v in before.items()},
        after={k: _when(values[k]) for k in before},
    )  # fmt: skip
    return rnd


@transaction.atomic
def paper_round_send(*, submission: Submission, category: DecisionCategory, chair: User
                     ) -> PaperRound:  # fmt: skip
    """Send a paper under review to the round of a "revise and resubmit" category: the
    paper stays under review (no decision is recorded), its current PDF is kept as the
    version the revision is compared to, and its authors may upload a revised PDF until
    the round's resubmission deadline. Asks `reviews.send_to_round`.

    Refused: a category that is not "revise and resubmit", a decided paper (undo the
    decision first), a paper already in that round or a later one. Side effects: one
    `round.send` activity entry (the authors read it in their paper's history); one mail to
    each author with the round's deadline.
    """
    require_on_paper(chair, "reviews.send_to_round", submission,
                     message="Only the chairs send a paper to another round.")  # fmt: skip
    submission = submission_locked(submission)
    workshop = submission.workshop
    rnd = category.revise_round
    if category.workshop_id != workshop.pk or rnd is None:
        raise ServiceError(f"“{category.name}” is not a revise-and-resubmit decision here.")
    if submission.status != SubmissionStatus.SUBMITTED or hasattr(submission, "decision"):
        raise ServiceError(
            f"#{submission.number} is decided or not under review: only a paper under review "
            "without a decision goes to another round (undo its decision first)."
        )
    current = paper_round(submission)
    if current is not None and current.round.number >= rnd.number:
        raise ServiceError(f"#{submission.number} is already in {current.round.name}.")
    if rnd.number > 1 and not rnd.resubmission_deadline:
        raise ServiceError(f"Set the revised versions' deadline of {rnd.name} first.")
    try:
        with transaction.atomic():
            sent = PaperRound.objects.create(
                submission=submission,
                round=rnd,
                sent_by=chair,
                category_name=category.name,
                previous_paper_id=submission.paper_id,
            )
    except IntegrityError as exc:
        raise ServiceError(f"#{submission.number} is already in {rnd.name}.") from exc
    entry = activity_record(
        actor=chair, target=submission, workshop=workshop, action="round.send",
        summary=f"{category.name}: sent to {rnd.name} (revised version due "
        f"{rnd.resubmission_deadline:%Y-%m-%d %H:%M} UTC)",
        after={"round": rnd.number, "category": category.name}, authors_see=True,
    )  # fmt: skip
    emails = sorted({a.email for a in submission.authors.all() if a.email})
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    for email in emails:
        mail_queue(
            key=f"round-send:{entry.pk}:{email}",
            template="round_resubmit",
            to=email,
            context={"submission": submission, "round": rnd, "category": category.name},
            workshop=workshop,
            recipient=users.get(email),
            target=submission,
        )
    return sent


@transaction.atomic
def paper_revision_upload(*, submission: Submission, user: User, upload: UploadedFile
                          ) -> SubmissionFile:  # fmt: skip
    """The authors' revised PDF for the paper's later round, through the same checks as
    every paper upload; it becomes the paper's current version (the previous one is kept,
    for the diff). Asks `reviews.upload_revision`; after the round's resubmission deadline
    (grace included) it raises DeadlinePassed naming the deadline. Side effects: the
    upload's one `submission.upload` history entry, a receipt to every author and the deep
    check (`submission_file_write`)."""
    submission = submission_locked(submission)
    require_visible(user, "submissions.view", submission)
    if not can(user, "reviews.upload_revision", submission):
        require(user, "submissions.contact", submission,
                message="Only the authors of this paper upload its revision.")  # fmt: skip
        found = paper_round(submission)
        if found is None or submission.status != SubmissionStatus.SUBMITTED:
            raise ServiceError(f"#{submission.number} is not waiting for a revised version.")
        raise DeadlinePassed(
            f"The deadline for revised versions in {found.round.name} "
            f"({found.round.resubmission_deadline:%Y-%m-%d %H:%M} UTC) has passed: the version "
            "under review stays the one the reviewers have."
        )
    data = read_limited(upload, submission.workshop.upload_limit_bytes)
    return submission_file_write(submission=submission, user=user, kind=FileKind.PAPER, data=data)


@transaction.atomic
def round_reviewers_assign(*, submission: Submission, chair: User, notify: bool = True
                           ) -> list[Assignment]:  # fmt: skip
    """Assign the paper's reviewers and area chair of the previous round again in its
    current (later) round, in one action, keeping their pseudonyms (Reviewer A stays A).
    Those already assigned there are skipped, so a second click changes nothing. Asks
    `reviews.send_to_round`. Side effects: one `round.assign` activity entry; one mail per
    reviewer listing their papers (unless `notify` is False)."""
    require_on_paper(chair, "reviews.send_to_round", submission,
                     message="Only the chairs assign a round's reviewers.")  # fmt: skip
    submission = submission_locked(submission)
    current = paper_round(submission)
    if current is None:
        raise ServiceError(f"#{submission.number} has not been sent to a later round.")
    rnd = current.round
    there = set(
        Assignment.objects.filter(submission=submission, round=rnd).values_list(
            "reviewer_id", "role"
        )
    )
    new = [
        Assignment(
            submission=submission,
            reviewer=a.reviewer,
            role=a.role,
            round=rnd,
            pseudonym=a.pseudonym,
            created_by=chair,
        )
        for a in previous_round_assignments(submission, rnd.number)
        if (a.reviewer_id, a.role) not in there
    ]
    if not new:
        return []
    created = Assignment.objects.bulk_create(new)
    entry = activity_record(
        actor=chair, target=submission, workshop=submission.workshop, action="round.assign",
        summary=f"#{submission.number}: {len(created)} assigned again in {rnd.name}",
        after={"round": rnd.number, "reviewers": sorted(a.reviewer_id for a in created)},
    )  # fmt: skip
    if notify:
        for a in created:
            if a.role != Role.REVIEWER:
                continue
            mail_queue(
                key=f"round-assign:{entry.pk}:{a.reviewer_id}",
                template="round_assignment_notice",
                to=a.reviewer.email,
                context={"user": a.reviewer, "submission": submission, "round": rnd},
                workshop=submission.workshop,
                recipient=a.reviewer,
                target=a,
            )
    return created


# --- response rounds ----------------------------------------------------------------------


def _response_check(workshop: Workshop, values: dict) -> None:
    name = (values.get("name") or "").strip()
    if not name:
        raise ServiceError("Name the response round.")
    values["name"] = name[:80]
    if not values.get("opens") or not values.get("closes"):
        raise ServiceError("A response round needs an opening time and a deadline.")
    if values["closes"] <= values["opens"]:
        raise ServiceError("The response deadline must come after the opening time.")
    soft, hard = values.get("words_soft") or 0, values.get("words_hard") or 0
    if soft and hard and soft > hard:
        raise ServiceError("The warned word limit cannot be above the refused one.")
    condition = (values.get("condition") or "").strip()
    try:
        search_compile(condition, SearchContext(frozenset({workshop.pk})))
    except SearchError as exc:
        raise ServiceError(f"The condition is not a search the desk understands: {exc}") from exc
    values["condition"] = condition


@transaction.atomic
def response_round_save(*, workshop: Workshop, chair: User, response_round: ResponseRound | None
                        = None, **values: object) -> ResponseRound:  # fmt: skip
    """Add a response round, or change one (`response_round`). The condition must be a
    valid desk search. Asks `reviews.manage_rounds`. Side effects: one `response_round.save`
    activity entry with what changed; nothing when nothing changed."""
    require(chair, "reviews.manage_rounds", workshop, message="Only the chairs edit rounds.")
    unknown = set(values) - set(RESPONSE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown response round field: {', '.join(sorted(unknown))}.")
    if response_round is not None:
        response_round = ResponseRound.objects.select_for_update().get(
            pk=response_round.pk, workshop=workshop
        )
        values = {f: getattr(response_round, f) for f in RESPONSE_FIELDS} | values
    _response_check(workshop, values)
    clash = workshop.response_rounds.filter(name__iexact=values["name"])
    if response_round is not None:
        clash = clash.exclude(pk=response_round.pk)
    if clash.exists():
        raise ServiceError(f"There is already a response round named “{values['name']}”.")
    if response_round is None:
        response_round = ResponseRound.objects.create(workshop=workshop, **values)
        before: dict = {}
        changed = list(values)
    else:
        changed = [f for f in RESPONSE_FIELDS if getattr(response_round, f) != values[f]]
        if not changed:
            return response_round
        before = {f: _when(getattr(response_round, f)) for f in changed}
        for f in changed:
            setattr(response_round, f, values[f])
        response_round.save(update_fields=changed)
    activity_record(
        actor=chair, target=response_round, workshop=workshop, action="response_round.save",
        summary=f"Response round “{response_round.name}” "
        + ("changed: " + ", ".join(changed) if before else "added"),
        before=before or None, after={f: _when(values[f]) for f in changed},
    )  # fmt: skip
    return response_round
