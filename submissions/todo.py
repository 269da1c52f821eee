"""The author's to-do list: what a paper needs from its authors now, from every phase.

One function, `author_todo`, feeds the dashboard, the paper page and the authors' reminder
mails. Each item exists because a named permission (asked through `workshop.policy.can`,
so the review-side rules are asked by name without importing `reviews`) or the paper's
phase says that this author can and should act: complete and submit a draft, replace a PDF
the anonymity check flagged, get co-authors to confirm their address, declare conflicts,
read released reviews and respond while the window is open, upload the camera-ready
version and accept the licence, prepare the presentation. Each item has plain words, the
deadline that binds it (shown in AoE and local time by the `deadline` tag) and the URL of
the exact place to act.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from workshop.plurals import counted
from workshop.policy import can

from .models import IN_REVIEW, MissingItem, Submission, SubmissionStatus
from .permissions import is_author
from .services.lifecycle import REGISTRATION, missing_items


@dataclass(frozen=True)
class TodoItem:
    """One thing to do: `code` is stable (tests, mails), `label` is what people read."""

    code: str
    label: str
    url: str
    deadline: dt.datetime | None = None
    optional: bool = False


def confirmed_emails(submissions: Iterable[Submission]) -> set[str]:
    """The author addresses (lower-cased) of these papers that are a verified address of
    some account: those co-authors have confirmed. One query for any number of papers
    (reads the prefetched authors)."""
    emails = {a.email.lower() for s in submissions for a in s.authors.all() if a.email}
    if not emails:
        return set()
    return set(
        EmailAddress.objects.annotate(lower=Lower("email"))
        .filter(verified=True, lower__in=emails)
        .values_list("lower", flat=True)
    )


def _url(name: str, submission: Submission, anchor: str = "") -> str:
    return reverse(name, args=[submission.pk]) + (f"#{anchor}" if anchor else "")


def _draft_items(submission: Submission, user: Any) -> list[TodoItem]:
    w = submission.workshop
    if not can(user, "submissions.changes_open", submission):
        return [
            TodoItem(
                "missed",
                "The deadline passed before this draft was submitted: write to the chairs",
                f"mailto:{w.contact_email}",
            )
        ]
    if not can(user, "submissions.edit", submission):
        return []
    items = []
    missing = missing_items(submission)
    registering = (
        w.abstract_deadline is not None
        and submission.registered_at is None
        and w.abstract_deadline > timezone.now()
    )
    for item in missing:
        if item == MissingItem.PAPER:
            url = _url("submissions:detail", submission, "paper-file")
        elif item == MissingItem.AUTHORS:
            url = _url("submissions:authors", submission)
        else:
            url = _url("submissions:edit", submission)
        due = w.abstract_deadline if registering and item in REGISTRATION else w.paper_deadline
        items.append(TodoItem(f"missing_{item.value}", item.label, url, due))
    if can(user, "submissions.submit", submission):
        items.append(
            TodoItem(
                "submit",
                "Submit the paper for review",
                _url("submissions:detail", submission, "submit"),
                w.paper_deadline,
            )
        )
    return items


def author_todo(
    submission: Submission, user: Any, *, confirmed: set[str] | None = None
) -> list[TodoItem]:
    """What `user` (an author of the paper) can and should do for it now, in the order of
    the lifecycle. `confirmed`: `confirmed_emails(...)` computed once for a list of papers
    (the dashboard); without it this asks one query."""
    if not is_author(user, submission) or submission.is_withdrawn:
        return []
    w = submission.workshop
    items: list[TodoItem] = []
    may_edit = can(user, "submissions.edit", submission)
    if submission.is_draft:
        items += _draft_items(submission, user)

    paper = submission.paper
    if may_edit and paper is not None and paper.anonymity_flag:
        pages = sorted({h.get("page") for h in paper.check_report.get("anonymity_hits", [])})
        where = f" (page {', '.join(str(p) for p in pages[:5])})" if pages else ""
        items.append(
            TodoItem(
                "anonymise",
                f"Upload an anonymised PDF: the check found author names{where}",
                _url("submissions:detail", submission, "paper-file"),
                w.paper_deadline,
            )
        )

    if submission.status not in (SubmissionStatus.REJECTED, SubmissionStatus.DESK_REJECTED):
        if confirmed is None:
            confirmed = confirmed_emails([submission])
        waiting = [
            a for a in submission.authors.all() if a.email and a.email.lower() not in confirmed
        ]
        if waiting:
            names = ", ".join(a.name for a in waiting[:3]) + ("…" if len(waiting) > 3 else "")
            items.append(
                TodoItem(
                    "coauthors",
                    f"{counted(len(waiting), 'co-author')} "
                    f"{ngettext('has', 'have', len(waiting))} not confirmed their address yet "
                    f"({names}): ask them to sign up with it",
                    _url("submissions:authors", submission)
                    if may_edit
                    else _url("submissions:detail", submission, "authors-h"),
                )
            )

    if can(user, "submissions.declare_conflicts", submission) and not list(
        submission.declared_conflicts.all()
    ):
        items.append(
            TodoItem(
                "conflicts",
                "Declare conflicts of interest with committee members, if there are any",
                _url("submissions:conflicts", submission),
                w.paper_deadline,
                optional=True,
            )
        )

    if submission.status in IN_REVIEW:
        if submission.reviews_seen_at is None and can(user, "reviews.read_released", submission):
            items.append(
                TodoItem("read_reviews", "Read the reviews", _url("author_reviews", submission))
            )
        if can(user, "reviews.respond", submission):
            items.append(
                TodoItem(
                    "respond",
                    "Respond to the reviewers (optional, at most "
                    f"{w.rebuttal_word_limit} words each)",
                    _url("author_reviews", submission),
                    w.rebuttal_closes,
                    optional=True,
                )
            )

    if can(user, "submissions.camera_ready", submission):
        url = _url("submissions:camera_ready", submission)
        if submission.published_pdf is None:
            items.append(
                TodoItem(
                    "camera_ready", "Upload the camera-ready PDF", url, w.camera_ready_deadline
                )
            )
        if submission.licence_accepted_at is None:
            items.append(
                TodoItem(
                    "licence",
                    "Choose the licence and confirm the final details",
                    url,
                    w.camera_ready_deadline,
                )
            )
    if submission.is_accepted and can(user, "submissions.view_public", submission):
        ends = w.camera_ready_deadline
        if ends is None or ends > timezone.now():
            items.append(
                TodoItem(
                    "presentation",
                    "Prepare the presentation: the decision says its format",
                    _url("author_reviews", submission),
                )
            )
    return items
