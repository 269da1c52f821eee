"""Who a chair's mail goes to: the people of the papers a desk search selects, or the late
reviewers (the progress page's own selector, so that the figure is the same).

Every recipient kind yields (person, paper) pairs in paper-number order; the mail service
decides whether a person gets one mail per paper or one in all (`services.mail`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, TextChoices

from submissions.models import Authorship, Submission
from workshop.models import Activity, MailStatus, OutgoingMail, Role, Workshop

from ..models import Assignment
from .board import board_papers
from .progress import late_reviewers

CAMPAIGN_ACTION = "mail.campaign_hold"  # the activity entry of one chair's mail
CAMPAIGN_KIND = "chair_mail"  # the outbox kind of its messages


class RecipientKind(TextChoices):
    CONTACT_AUTHORS = "contact_authors", "Contact authors of the papers"
    AUTHORS = "authors", "All authors of the papers"
    REVIEWERS = "reviewers", "Reviewers of the papers"
    AREA_CHAIRS = "area_chairs", "Area chairs of the papers"
    LATE_REVIEWERS = "late_reviewers", "Late reviewers of the workshop (the search is not used)"


AUTHOR_KINDS = frozenset({RecipientKind.CONTACT_AUTHORS, RecipientKind.AUTHORS})
# The kinds whose papers come from the search (the late reviewers are the workshop's).
SEARCHED_KINDS = frozenset(set(RecipientKind) - {RecipientKind.LATE_REVIEWERS})


@dataclass(frozen=True)
class MailPair:
    """One person and one paper of theirs the mail is about."""

    name: str
    email: str
    user_id: int | None
    submission: Submission


def mail_pairs(workshop: Workshop, *, kind: str, condition: Q | None = None) -> list[MailPair]:
    """The (person, paper) pairs of `kind` for the papers the desk's `condition` selects
    (the decision board's papers: submitted or decided), in paper order; people without an
    address (some imported authors) are left out. One query, two for the late reviewers'
    progress figure (see `late_reviewers`)."""
    if kind == RecipientKind.LATE_REVIEWERS:
        pairs = [
            MailPair(reviewer.name or reviewer.email, reviewer.email, reviewer.pk, paper)
            for reviewer, papers in late_reviewers(workshop).values()
            for paper in papers
            if reviewer.email
        ]
        return sorted(pairs, key=lambda p: (p.submission.number, p.name.lower(), p.email))
    papers = board_papers(workshop, condition)
    if kind in AUTHOR_KINDS:
        authors = Authorship.objects.filter(submission__in=papers.values("pk")).exclude(email="")
        if kind == RecipientKind.CONTACT_AUTHORS:
            authors = authors.filter(is_contact=True)
        return [
            MailPair(a.name or a.email, a.email, None, a.submission)
            for a in authors.select_related("submission__workshop").order_by(
                "submission__number", "position", "pk"
            )
        ]
    if kind not in (RecipientKind.REVIEWERS, RecipientKind.AREA_CHAIRS):
        raise ValueError(f"No such recipient kind: {kind}")
    role = Role.REVIEWER if kind == RecipientKind.REVIEWERS else Role.AREA_CHAIR
    assignments = (
        Assignment.objects.filter(
            submission__in=papers.values("pk"), role=role, declined_at__isnull=True
        )
        .select_related("reviewer", "submission__workshop")
        .order_by("submission__number", "reviewer__name", "reviewer__email")
    )
    return [
        MailPair(a.reviewer.name or a.reviewer.email, a.reviewer.email, a.reviewer_id,
                 a.submission)
        for a in assignments
        if a.reviewer.email
    ]  # fmt: skip


@dataclass(frozen=True)
class CampaignSummary:
    """A chair's mail as the compose page lists it: the activity entry that held it and
    how many of its mails wait, went out, or were discarded."""

    entry: Activity
    held: int
    sent: int
    other: int

    @property
    def subject(self) -> str:
        return (self.entry.after or {}).get("subject", "")

    @property
    def total(self) -> int:
        return self.held + self.sent + self.other


def mail_campaigns(workshop: Workshop, *, limit: int = 20) -> list[CampaignSummary]:
    """The workshop's latest chair mails (newest first) with their mails counted by
    status; two queries."""
    entries = list(
        Activity.objects.filter(workshop=workshop, action=CAMPAIGN_ACTION)
        .select_related("actor")
        .order_by("-at", "-pk")[:limit]
    )
    counts: dict[int, dict[str, int]] = {e.pk: {} for e in entries}
    for target_id, status, n in (
        OutgoingMail.objects.filter(
            workshop=workshop,
            target_type=ContentType.objects.get_for_model(Activity),
            target_id__in=list(counts),
        )
        .order_by()
        .values("target_id", "status")
        .annotate(n=Count("pk"))
        .values_list("target_id", "status", "n")
    ):
        counts[target_id][status] = n
    out = []
    for entry in entries:
        by = counts[entry.pk]
        held = by.get(MailStatus.HELD, 0)
        sent = by.get(MailStatus.SENT, 0)
        out.append(CampaignSummary(entry, held, sent, sum(by.values()) - held - sent))
    return out
