"""Decisions: recorded by the chairs, mailed only when released, never two different ones.

Each action asks its named permission (`decisions.decide`, `decisions.compose_mails`,
`decisions.release`, `decisions.release_reviews`) and writes one activity entry with the
values before and after. Decision mails point at their `Decision` (`OutgoingMail.target`):
they are found through it, never through their keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from submissions.models import Submission
from submissions.services.lifecycle import submission_set_outcome
from workshop.activity import activity_record
from workshop.errors import ServiceError
from workshop.models import Activity, MailStatus, OutgoingMail, User, Workshop
from workshop.outbox import mail_store, mails_release
from workshop.plurals import counted
from workshop.policy import require
from workshop.richtext import mail_text

from ..models import (
    Answer,
    Decision,
    DecisionCategory,
    Outcome,
    QuestionKind,
    QuestionVisibility,
    Review,
    ReviewStatus,
)
from .access import require_on_paper

DEFAULT_CATEGORIES = (
    ("Accept (oral)", Outcome.ACCEPT),
    ("Accept (poster)", Outcome.ACCEPT),
    ("Reject", Outcome.REJECT),
    ("Desk reject", Outcome.DESK_REJECT),
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
DECISION_MAIL = "decision"  # the outbox kind of decision mails


def default_categories_create(workshop: Workshop) -> list[DecisionCategory]:
    """The default categories, for a workshop that has none (idempotent, and safe when two
    first opens of the decision board run at once: the unique name decides, each insert in
    its own savepoint, so the loser finds the winner's row instead of failing)."""
    if not workshop.decision_categories.exists():
        for order, (name, outcome) in enumerate(DEFAULT_CATEGORIES, start=1):
            try:
                with transaction.atomic():
                    DecisionCategory.objects.get_or_create(
                        workshop=workshop, name=name, defaults={"outcome": outcome, "order": order}
                    )
            except IntegrityError:
                pass  # created meanwhile by the other request: the row is there
    return list(workshop.decision_categories.all())


def category_for(workshop: Workshop, outcome: str) -> DecisionCategory:
    """The first category of an outcome (bulk actions: accept, reject, desk-reject)."""
    category = workshop.decision_categories.filter(outcome=outcome).order_by("order").first()
    if category is None:
        category = next(
            (c for c in default_categories_create(workshop) if c.outcome == outcome), None
        )
    if category is None:
        raise ServiceError(f"No decision category for “{Outcome(outcome).label}”: add one first.")
    return category


@transaction.atomic
def category_import(*, workshop: Workshop, chair: User, name: str, outcome: str
                    ) -> DecisionCategory:  # fmt: skip
    """The category another system called `name` ("Accepted as poster"): ours of that name
    (any case), else a new one of that `outcome`, after the existing ones. Asks
    `workshop.manage`.

    Side effects: the new category, if any, and one `decision_category.import` entry.
    """
    require(chair, "workshop.manage", workshop, message="Only the chairs add decisions.")
    default_categories_create(workshop)
    found = workshop.decision_categories.filter(name__iexact=name.strip()).first()
    if found is not None:
        if found.outcome != outcome:
            raise ServiceError(
                f"The decision “{name}” is a {Outcome(found.outcome).label.lower()} here, "
                f"a {Outcome(outcome).label.lower()} in the file."
            )
        return found
    order = (workshop.decision_categories.aggregate(m=Max("order"))["m"] or 0) + 1
    category = DecisionCategory.objects.create(
        workshop=workshop, name=name.strip()[:80], outcome=outcome, order=order
    )
    activity_record(
        actor=chair, target=category, workshop=workshop, action="decision_category.import",
        summary=f"Decision “{category.name}” ({Outcome(outcome).label.lower()}) added",
    )  # fmt: skip
    return category


def decision_mails(decision: Decision) -> QuerySet[OutgoingMail]:
    """Every mail composed for this decision (any version, any status)."""
    return OutgoingMail.objects.filter(
        target_type=ContentType.objects.get_for_model(Decision), target_id=decision.pk
    )


@transaction.atomic
def decision_record(*, submission: Submission, category: DecisionCategory, chair: User
                    ) -> Decision:  # fmt: skip
    """Decide a paper (or change the decision). Asks `decisions.decide` (a paper of another
    workshop is NotFound).

    Side effects: the paper's status follows the outcome; one `decision.record` activity
    entry (before/after); a changed decision cancels the held mails of this decision and,
    if they had been composed, composes new ones, so an author never gets two
    contradictory mails. Recording the same decision again changes nothing.
    """
    require_on_paper(chair, "decisions.decide", submission, message="Only the chairs decide.")
    workshop = submission.workshop
    if category.workshop_id != workshop.pk:
        raise ServiceError("That decision belongs to another workshop.")
    if category.revise_round_id:
        raise ServiceError(
            f"“{category.name}” is revise and resubmit: it sends the paper to another review "
            "round (`paper_round_send`) rather than deciding it."
        )
    decision = (
        Decision.objects.select_for_update()
        .select_related("category")
        .filter(submission=submission)
        .first()
    )
    if decision is not None and decision.category_id == category.pk:
        return decision
    submission_set_outcome(submission=submission, outcome=category.outcome, chair=chair)
    before = (
        {"decision": decision.category.name, "outcome": decision.category.outcome}
        if decision
        else None
    )
    after = {"decision": category.name, "outcome": category.outcome}
    if decision is None:
        decision = Decision.objects.create(
            submission=submission, category=category, decided_by=chair
        )
        activity_record(
            actor=chair, target=decision, action="decision.record", before=None, after=after,
            summary=f"#{submission.number}: {category.name}",
        )  # fmt: skip
        return decision
    decision.category = category
    decision.version += 1
    decision.decided_by = chair
    decision.decided_at = timezone.now()
    decision.save()
    entry = activity_record(
        actor=chair, target=decision, action="decision.record", before=before, after=after,
        summary=f"#{submission.number}: {before['decision']} → {category.name}",
    )  # fmt: skip
    held = decision_mails(decision).filter(status=MailStatus.HELD)
    had_composed = held.exists()
    held.update(status=MailStatus.CANCELLED, last_error="Replaced by a changed decision.")
    if had_composed:
        _compose_one(decision, include_reviews=decision.mail_includes_reviews, event=entry)
    return decision


@dataclass(frozen=True)
class DecisionChange:
    """What a bulk action or an undo did to one paper: from what to what (category ids and
    names; None is "no decision"), or why it did nothing (`error`, `unchanged`)."""

    submission_id: int
    number: int
    title: str
    before_id: int | None = None
    before: str | None = None
    after_id: int | None = None
    after: str | None = None
    unchanged: bool = False
    error: str = ""

    @property
    def changed(self) -> bool:
        return not self.unchanged and not self.error


class AmbiguousDecision(ServiceError):
    """A bulk action named an outcome ("accept") that several categories share."""

    api_code = "ambiguous_decision"

    def __init__(self, message: str, choices: list[DecisionCategory]) -> None:
        super().__init__(message)
        self.choices = choices


def bulk_action_label(category: DecisionCategory) -> str:
    """What a bulk button says for a category: "Accept (poster)" reads "Accept as poster";
    a name without a parenthesis is itself ("Reject", "Desk reject")."""
    match = re.fullmatch(r"\s*(.+?)\s*\((.+)\)\s*", category.name)
    return f"{match.group(1)} as {match.group(2)}" if match else category.name


def bulk_category(
    workshop: Workshop, *, category: str | int | None = None, outcome: str | None = None
) -> DecisionCategory:
    """The category a bulk decision names: `category`, its id or its name (any case, or
    its button's label, "Accept as poster"); or `outcome` ("accept", "reject",
    "desk_reject") where the workshop has exactly one category of that outcome.

    An outcome that several categories share is refused (`AmbiguousDecision`, listing
    them): "accept" where there are an oral and a poster accept would pick one silently.
    """
    categories = default_categories_create(workshop)
    if category is not None and str(category).strip():
        text = str(category).strip()
        if text.isdigit():
            found = next((c for c in categories if c.pk == int(text)), None)
        else:
            wanted = text.casefold()
            found = next((c for c in categories
                          if wanted in (c.name.casefold(), bulk_action_label(c).casefold())),
                         None)  # fmt: skip
        if found is None:
            names = ", ".join(f"“{c.name}”" for c in categories)
            raise ServiceError(
                f"No decision “{text}” in {workshop.short_name}: choose one of {names}."
            )
        return found
    if outcome not in Outcome.values:
        raise ServiceError("Name the decision: a category, or an outcome (accept, reject, ...).")
    of_outcome = [c for c in categories if c.outcome == outcome]
    if not of_outcome:
        raise ServiceError(
            f"No decision category for “{Outcome(outcome).label}” in {workshop.short_name}: "
            "add one first."
        )
    if len(of_outcome) > 1:
        names = " or ".join(f"“{c.name}” ({c.pk})" for c in of_outcome)
        raise AmbiguousDecision(
            f"“{outcome}” is ambiguous in {workshop.short_name}, which has "
            f"{len(of_outcome)} {Outcome(outcome).label.lower()} decisions: say which, "
            f"{names}. Nothing was changed.",
            of_outcome,
        )
    return of_outcome[0]


def decisions_bulk_record(
    *,
    submissions: Iterable[Submission],
    chair: User,
    category: str | int | None = None,
    outcome: str | None = None,
) -> list[DecisionChange]:
    """The board's bulk actions (a category for the selection: "Accept as poster",
    "Reject", ...): each paper through `decision_record` (its permission, lock, one
    `decision.record` entry, mails), each in its own transaction, so that one refused paper
    leaves the others decided. A paper that has this decision already is left as it is.

    `category` or `outcome` name the category as `bulk_category` reads them, in each
    paper's workshop; one that names nothing or is ambiguous there refuses the whole action
    before any change.

    Returns one `DecisionChange` per paper, in the order given (what the chair reads, and
    what an undo restores)."""
    submissions = list(submissions)
    chosen: dict[int, DecisionCategory] = {}
    for submission in submissions:
        if submission.workshop_id not in chosen:
            chosen[submission.workshop_id] = bulk_category(
                submission.workshop, category=category, outcome=outcome
            )
    changes = []
    for submission in submissions:
        category = chosen[submission.workshop_id]
        current = Decision.objects.select_related("category").filter(submission=submission).first()
        before_id = current.category_id if current else None
        before = current.category.name if current else None
        base = {"submission_id": submission.pk, "number": submission.number,
                "title": submission.title, "before_id": before_id, "before": before}  # fmt: skip
        if current is not None and current.category_id == category.pk:
            changes.append(DecisionChange(**base, after_id=before_id, after=before, unchanged=True))
            continue
        try:
            decision_record(submission=submission, category=category, chair=chair)
        except ServiceError as exc:
            changes.append(DecisionChange(**base, error=exc.message))
            continue
        changes.append(DecisionChange(**base, after_id=category.pk, after=category.name))
    return changes


@transaction.atomic
def decision_undo(*, submission: Submission, before_id: int | None, after_id: int, chair: User
                  ) -> DecisionChange:  # fmt: skip
    """Put a paper's decision back to what it was before a bulk action (`before_id`, None
    for "not decided"), provided it is still what the action made it (`after_id`): a
    decision changed since by anyone is left alone, and so is one whose mail has gone out.
    Asks `decisions.decide`.

    Side effects: back to a category, as `decision_record` (one `decision.record` entry,
    held mails recomposed); back to no decision, the decision row is removed, the paper is
    under review again, its held mails are cancelled and one `decision.undo` entry is
    written (before/after).
    """
    require_on_paper(chair, "decisions.decide", submission, message="Only the chairs decide.")
    base = {"submission_id": submission.pk, "number": submission.number,
            "title": submission.title, "before_id": after_id, "after_id": before_id}  # fmt: skip
    decision = (
        Decision.objects.select_for_update()
        .select_related("category")
        .filter(submission=submission)
        .first()
    )
    if decision is None or decision.category_id != after_id:
        return DecisionChange(**base, error="its decision has changed since; left as it is")
    base["before"] = decision.category.name
    if before_id is not None:
        category = DecisionCategory.objects.filter(
            pk=before_id, workshop=submission.workshop_id
        ).first()
        if category is None:
            return DecisionChange(**base, error="the earlier decision category is gone")
        decision_record(submission=submission, category=category, chair=chair)
        return DecisionChange(**base, after=category.name)
    mails = decision_mails(decision)
    if mails.filter(status__in=[MailStatus.QUEUED, MailStatus.SENDING, MailStatus.SENT]).exists():
        return DecisionChange(**base, error="its decision mail has gone out; left as it is")
    mails.filter(status=MailStatus.HELD).update(
        status=MailStatus.CANCELLED, last_error="The decision was undone."
    )
    submission_set_outcome(submission=submission, outcome=None, chair=chair)
    activity_record(
        actor=chair, target=submission, action="decision.undo",
        summary=f"#{submission.number}: {decision.category.name} undone (not decided)",
        before={"decision": decision.category.name, "outcome": decision.category.outcome},
        after={"decision": None},
    )  # fmt: skip
    decision.delete()
    return DecisionChange(**base, after=None)


def author_visible_reviews(submission: Submission) -> list[tuple[str, list[tuple[str, object]]]]:
    """(pseudonym, [(question, answer)]) of submitted reviews, author-visible questions only."""
    reviews = (
        Review.objects.filter(assignment__submission=submission, status=ReviewStatus.SUBMITTED)
        .select_related("assignment")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")
                                   .filter(question__visibility=QuestionVisibility.AUTHORS)
                                   .order_by("question__order")))
        .order_by("assignment__pseudonym")
    )  # fmt: skip
    out = []
    for review in reviews:
        answers = []
        for answer in review.answers.all():
            q = answer.question
            value = answer.value
            if q.kind == QuestionKind.SCORE and value is not None:
                value = f"{value} ({q.score_labels().get(int(value), '')})"
            answers.append((q.label, value))
        out.append((f"Reviewer {review.assignment.pseudonym}", answers))
    return out


def _reviews_text(submission: Submission) -> str:
    parts = []
    for name, answers in author_visible_reviews(submission):
        lines = [f"--- {name} ---"]
        for label, value in answers:
            if value in (None, ""):
                continue
            lines.append(f"{label}:\n{mail_text(str(value))}\n")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + ("\n" if parts else "")


def _fill(template: str, values: dict[str, str]) -> str:
    """{placeholder} substitution: unknown names stay as they are, nothing else is evaluated."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _compose_one(decision: Decision, *, include_reviews: bool, event: Activity) -> int:
    """Held mails, one per author, for the decision's current version; keyed by the
    activity entry that composed them (`event`)."""
    submission = decision.submission
    workshop = submission.workshop
    authors = list(submission.authors.all())
    values = {
        "workshop": workshop.short_name,
        "number": str(submission.number),
        "title": submission.title,
        "decision": decision.category.name,
        "authors": ", ".join(a.name for a in authors),
        "reviews": _reviews_text(submission) if include_reviews else "",
        "link": settings.SITE_URL + reverse("author_reviews", args=[submission.pk]),
    }
    subject = _fill(decision.category.mail_subject, values)
    body = _fill(decision.category.mail_body, values)
    reachable = [a for a in authors if a.email]  # an imported author may have no address
    for author in reachable:
        mail_store(
            key=f"decision:{decision.pk}:v{decision.version}:{event.pk}:{author.email}",
            to=author.email, kind=DECISION_MAIL, subject=subject, body_text=body,
            workshop=workshop, reply_to=workshop.contact_email, held=True, target=decision,
        )  # fmt: skip
    return len(reachable)


@transaction.atomic
def decision_mails_compose(*, workshop: Workshop, chair: User, include_reviews: bool) -> int:
    """Compose one held mail per author of every decided paper; nothing is sent until the
    chairs release them. Composing again replaces held mails that are not yet sent; a
    decision whose current version was mailed already is never mailed twice. Asks
    `decisions.compose_mails`.

    Side effects: one `decision.mails_compose` activity entry (the mails are keyed by it).
    """
    require(chair, "decisions.compose_mails", workshop,
            message="Only the chairs compose decision mails.")  # fmt: skip
    OutgoingMail.objects.filter(
        workshop=workshop, kind=DECISION_MAIL, status=MailStatus.HELD
    ).update(status=MailStatus.CANCELLED, last_error="Replaced by a new composition.")
    decisions = list(
        Decision.objects.filter(submission__workshop=workshop)
        .select_related("submission__workshop", "category")
        .prefetch_related("submission__authors")
        .order_by("submission__number")
    )
    last_mailed = dict(
        OutgoingMail.objects.filter(
            target_type=ContentType.objects.get_for_model(Decision),
            target_id__in=[d.pk for d in decisions],
            status__in=[MailStatus.QUEUED, MailStatus.SENDING, MailStatus.SENT],
        )
        .values("target_id")
        .annotate(last=Max("created_at"))
        .values_list("target_id", "last")
    )
    # A decision mailed since its current version was taken is never mailed twice.
    due = [d for d in decisions if not (d.pk in last_mailed and last_mailed[d.pk] >= d.decided_at)]
    count = sum(len(d.submission.authors.all()) for d in due)
    entry = activity_record(
        actor=chair, target=workshop, action="decision.mails_compose",
        summary=f"{counted(count, 'decision mail')} composed for "
        f"{counted(len(due), 'paper')}, held for release",
        after={"mails": count, "papers": len(due), "include_reviews": include_reviews},
    )  # fmt: skip
    for decision in due:
        if decision.mail_includes_reviews != include_reviews:
            decision.mail_includes_reviews = include_reviews
            decision.save(update_fields=["mail_includes_reviews"])
        _compose_one(decision, include_reviews=include_reviews, event=entry)
    return count


@transaction.atomic
def decisions_release(*, workshop: Workshop, chair: User) -> int:
    """Send the held decision mails and show decisions to authors. Asks
    `decisions.release`. Returns mails released.

    Side effects: one `decisions.release` activity entry (before/after) unless there was
    nothing to do (already released, no mail held).
    """
    require(chair, "decisions.release", workshop, message="Only the chairs release decisions.")
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    ids = list(
        OutgoingMail.objects.filter(
            workshop=workshop, kind=DECISION_MAIL, status=MailStatus.HELD
        ).values_list("pk", flat=True)
    )
    if locked.decisions_released and not ids:
        return 0
    released = mails_release(ids)
    Workshop.objects.filter(pk=workshop.pk).update(decisions_released=True)
    workshop.decisions_released = True
    activity_record(
        actor=chair, target=workshop, action="decisions.release",
        summary=f"Decisions released; {counted(released, 'decision mail')} sent",
        before={"decisions_released": locked.decisions_released},
        after={"decisions_released": True, "mails_released": released},
    )  # fmt: skip
    return released


@transaction.atomic
def reviews_release(*, workshop: Workshop, chair: User, released: bool = True) -> None:
    """The separate switch that shows authors their reviews (author-visible answers only).
    Asks `decisions.release_reviews`. Side effects: one `reviews.release` activity entry
    (before/after) when the switch changes."""
    require(chair, "decisions.release_reviews", workshop,
            message="Only the chairs release reviews.")  # fmt: skip
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    workshop.reviews_released = released
    if locked.reviews_released == released:
        return
    Workshop.objects.filter(pk=workshop.pk).update(reviews_released=released)
    activity_record(
        actor=chair, target=workshop, action="reviews.release",
        summary="Reviews " + ("released to" if released else "withdrawn from") + " the authors",
        before={"reviews_released": locked.reviews_released},
        after={"reviews_released": released},
    )  # fmt: skip
