"""Decisions: recorded by the chairs, mailed only when released, never two different ones."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch

from submissions.models import Submission
from submissions.services.lifecycle import submission_set_outcome
from workshop.errors import NotAllowed, ServiceError
from workshop.models import MailStatus, OutgoingMail, User, Workshop
from workshop.outbox import mail_store, mails_release
from workshop.permissions import is_chair

from ..models import (
    Answer,
    Decision,
    DecisionCategory,
    Outcome,
    QuestionVisibility,
    Review,
    ReviewStatus,
)

DEFAULT_CATEGORIES = (
    ("Accept (oral)", Outcome.ACCEPT),
    ("Accept (poster)", Outcome.ACCEPT),
    ("Reject", Outcome.REJECT),
    ("Desk reject", Outcome.DESK_REJECT),
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def default_categories_create(workshop: Workshop) -> list[DecisionCategory]:
    if not workshop.decision_categories.exists():
        for order, (name, outcome) in enumerate(DEFAULT_CATEGORIES, start=1):
            DecisionCategory.objects.create(workshop=workshop, name=name, outcome=outcome,
                                            order=order)  # fmt: skip
    return list(workshop.decision_categories.all())


def category_for(workshop: Workshop, outcome: str) -> DecisionCategory:
    """The first category of an outcome (bulk actions: accept, reject, desk-reject)."""
    category = workshop.decision_categories.filter(outcome=outcome).order_by("order").first()
    if category is None:
        category = next(c for c in default_categories_create(workshop) if c.outcome == outcome)
    return category


@transaction.atomic
def decision_record(*, submission: Submission, category: DecisionCategory, chair: User
                    ) -> Decision:  # fmt: skip
    """Decide a paper (or change the decision).

    Side effects: the paper's status follows the outcome; a changed decision cancels the
    paper's held decision mails and, if they had been composed, composes new ones, so an
    author never gets two contradictory mails.
    """
    workshop = submission.workshop
    if not is_chair(chair, workshop):
        raise NotAllowed("Only the chairs decide.")
    if category.workshop_id != workshop.pk:
        raise ServiceError("That decision belongs to another workshop.")
    submission_set_outcome(submission=submission, outcome=category.outcome, chair=chair)
    decision = Decision.objects.select_for_update().filter(submission=submission).first()
    if decision is None:
        decision = Decision.objects.create(submission=submission, category=category,
                                           decided_by=chair)  # fmt: skip
        return decision
    if decision.category_id == category.pk:
        return decision
    decision.category = category
    decision.version += 1
    decision.decided_by = chair
    decision.save()
    held = OutgoingMail.objects.filter(
        kind="decision", status=MailStatus.HELD, key__startswith=f"decision:{submission.pk}:"
    )
    had_composed = held.exists()
    held.update(status=MailStatus.CANCELLED, last_error="Replaced by a changed decision.")
    if had_composed:
        _compose_one(
            decision, include_reviews=decision.mail_includes_reviews, batch=uuid.uuid4().hex[:8]
        )
    return decision


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
            if q.kind == "score" and value is not None:
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
            lines.append(f"{label}:\n{value}\n")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + ("\n" if parts else "")


def _fill(template: str, values: dict[str, str]) -> str:
    """{placeholder} substitution: unknown names stay as they are, nothing else is evaluated."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _compose_one(decision: Decision, *, include_reviews: bool, batch: str) -> int:
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
        "link": f"{settings.SITE_URL}/submissions/{submission.pk}/reviews/",
    }
    subject = _fill(decision.category.mail_subject, values)
    body = _fill(decision.category.mail_body, values)
    for author in authors:
        mail_store(
            key=f"decision:{submission.pk}:v{decision.version}:{batch}:{author.email}",
            to=author.email, kind="decision", subject=subject, body_text=body,
            workshop=workshop, reply_to=workshop.contact_email, held=True,
        )  # fmt: skip
    return len(authors)


@transaction.atomic
def decision_mails_compose(*, workshop: Workshop, chair: User, include_reviews: bool) -> int:
    """Compose one held mail per author of every decided paper; nothing is sent until the
    chairs release them. Composing again replaces held mails that are not yet sent."""
    if not is_chair(chair, workshop):
        raise NotAllowed("Only the chairs compose decision mails.")
    OutgoingMail.objects.filter(workshop=workshop, kind="decision", status=MailStatus.HELD).update(
        status=MailStatus.CANCELLED, last_error="Replaced by a new composition."
    )
    batch = uuid.uuid4().hex[:8]  # new keys: the cancelled rows stay as history
    count = 0
    for decision in Decision.objects.filter(submission__workshop=workshop).select_related(
        "submission__workshop", "category"
    ):
        already = OutgoingMail.objects.filter(
            key__startswith=f"decision:{decision.submission_id}:v{decision.version}:",
            status__in=[MailStatus.QUEUED, MailStatus.SENDING, MailStatus.SENT],
        )
        if already.exists():
            continue  # this decision was mailed already: never twice
        if decision.mail_includes_reviews != include_reviews:
            decision.mail_includes_reviews = include_reviews
            decision.save(update_fields=["mail_includes_reviews"])
        count += _compose_one(decision, include_reviews=include_reviews, batch=batch)
    return count


@transaction.atomic
def decisions_release(*, workshop: Workshop, chair: User) -> int:
    """Send the held decision mails and show decisions to authors. Returns mails released."""
    if not is_chair(chair, workshop):
        raise NotAllowed("Only the chairs release decisions.")
    ids = OutgoingMail.objects.filter(
        workshop=workshop, kind="decision", status=MailStatus.HELD
    ).values_list("pk", flat=True)
    released = mails_release(ids)
    Workshop.objects.filter(pk=workshop.pk).update(decisions_released=True)
    return released


@transaction.atomic
def reviews_release(*, workshop: Workshop, chair: User, released: bool = True) -> None:
    """The separate switch that shows authors their reviews (author-visible answers only)."""
    if not is_chair(chair, workshop):
        raise NotAllowed("Only the chairs release reviews.")
    Workshop.objects.filter(pk=workshop.pk).update(reviews_released=released)
