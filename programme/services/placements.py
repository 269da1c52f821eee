"""Placing accepted papers into sessions: one by one (the editor's drag and drop and Move
buttons; also reordering within a session) or in bulk from a CSV file (all or nothing).

Same rules as `building`: `programme.manage` for the workshop, then `programme.place` for
the paper; one activity entry per action; once published, the changed slots' mails.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from submissions.models import Submission
from workshop.activity import activity_record
from workshop.errors import NotFound, ServiceError
from workshop.models import Workshop
from workshop.plurals import counted
from workshop.policy import can, require
from workshop.validators import whole_number

from ..models import PAPER_KINDS, Placement, Session
from .building import _manage
from .mails import placements_for_mail, slot_mails_queue

PLACE_REFUSED = "Only accepted papers can be placed, once the decisions are released."


# --- placements -------------------------------------------------------------------------------


def _placeable(actor: Any, submission: Submission, session: Session) -> None:
    if session.workshop_id != submission.workshop_id:
        raise NotFound()
    require(actor, "programme.place", submission, message=PLACE_REFUSED)
    if session.kind not in PAPER_KINDS:
        raise ServiceError(
            f"{session.title} is a {session.get_kind_display().lower()}: "
            "papers go into oral, poster or lightning sessions."
        )


def _renumber(session: Session, first: Placement | None = None, at: int | None = None) -> None:
    """Orders 0..n-1 in the session; `first` is put at position `at` (None: the end)."""
    rows = list(session.placements.order_by("order", "pk"))
    if first is not None:
        rows = [p for p in rows if p.pk != first.pk]
    if first is not None:
        rows.insert(len(rows) if at is None else max(0, min(at, len(rows))), first)
    for i, row in enumerate(rows):
        if row.order != i:
            Placement.objects.filter(pk=row.pk).update(order=i)
            row.order = i


def _place(
    actor: Any, submission: Submission, session: Session, position: int | None
) -> tuple[Placement, str | None]:
    """Place or move, without logging; returns the placement and the previous session."""
    _placeable(actor, submission, session)
    placement = Placement.objects.select_for_update().filter(submission=submission).first()
    previous = None
    if placement is None:
        placement = Placement.objects.create(session=session, submission=submission, order=10_000)
    else:
        previous_session = placement.session
        previous = previous_session.title
        placement.session = session
        placement.save(update_fields=["session"])
        if previous_session.pk != session.pk:
            _renumber(previous_session)
    _renumber(session, placement, position)
    return placement, previous


def _locked_paper(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("workshop")
        .get(pk=submission.pk)
    )


@transaction.atomic
def paper_place(
    *, actor: Any, submission: Submission, session: Session, position: int | None = None
) -> Placement:
    """Put an accepted paper into a session at `position` (0-based; None: at the end), or
    move it there (another session, or another position in the same one: reordering).
    A paper has one placement. Asks `programme.manage` and `programme.place`. Side
    effects: one `programme.place` entry; if published, the presenters' slot mail."""
    submission = _locked_paper(submission)
    workshop = submission.workshop
    _manage(actor, workshop)
    session = Session.objects.select_for_update().get(pk=session.pk)
    placement, previous = _place(actor, submission, session, position)
    placement.refresh_from_db()
    where = f"{session.title}, position {placement.order + 1}"
    activity_record(
        actor=actor,
        target=submission,
        workshop=workshop,
        action="programme.place",
        summary=f"#{submission.number} placed in {where}"
        + (f" (was in {previous})" if previous and previous != session.title else ""),
        before={"session": previous} if previous else None,
        after={"session": session.title, "position": placement.order + 1},
    )
    slot_mails_queue(workshop, placements_for_mail(workshop, session=session))
    return placement


@transaction.atomic
def paper_unplace(*, actor: Any, submission: Submission) -> None:
    """Take a paper off the programme. Side effects: one `programme.unplace` entry."""
    submission = _locked_paper(submission)
    workshop = submission.workshop
    _manage(actor, workshop)
    placement = Placement.objects.select_for_update().filter(submission=submission).first()
    if placement is None:
        raise ServiceError(f"#{submission.number} is not on the programme.")
    session = placement.session
    placement.delete()
    _renumber(session)
    activity_record(
        actor=actor,
        target=submission,
        workshop=workshop,
        action="programme.unplace",
        summary=f"#{submission.number} taken out of {session.title}",
        before={"session": session.title},
    )


class CsvRefused(ServiceError):
    """A CSV file with errors: nothing was placed. `errors` names each line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"Nothing was placed: {counted(len(errors), 'error')} in the file.")
        self.errors = errors


@dataclass
class _Row:
    line: int
    submission: Submission
    session: Session
    position: int | None


def _csv_rows(actor: Any, workshop: Workshop, text: str) -> tuple[list[_Row], list[str]]:
    papers = {
        s.number: s for s in Submission.objects.filter(workshop=workshop).select_related("workshop")
    }
    sessions = {s.title.casefold(): s for s in Session.objects.filter(workshop=workshop)}
    rows: list[_Row] = []
    errors: list[str] = []
    seen: dict[int, int] = {}
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if line == 1 and cells[0].casefold() in ("paper_number", "paper", "number"):
            continue
        if len(cells) not in (2, 3):
            errors.append(f"line {line}: expected paper_number,session_title[,order]")
            continue
        try:
            number = int(cells[0].lstrip("#"))
        except ValueError:
            errors.append(f"line {line}: {cells[0]!r} is not a paper number")
            continue
        submission = papers.get(number)
        session = sessions.get(cells[1].casefold())
        position = None
        if len(cells) == 3 and cells[2]:
            order = whole_number(cells[2], max_digits=6)
            if order is None or order < 1:
                errors.append(f"line {line}: the order must be a whole number from 1")
                continue
            position = order - 1
        if submission is None:
            errors.append(f"line {line}: there is no paper #{number}")
        elif not can(actor, "programme.place", submission):
            errors.append(f"line {line}: #{number} is not an accepted paper")
        elif number in seen:
            errors.append(f"line {line}: #{number} is already on line {seen[number]}")
        elif session is None:
            errors.append(f"line {line}: there is no session called {cells[1]!r}")
        elif session.kind not in PAPER_KINDS:
            errors.append(
                f"line {line}: {session.title} is a "
                f"{session.get_kind_display().lower()}, it takes no papers"
            )
        else:
            seen[number] = line
            rows.append(_Row(line, submission, session, position))
    return rows, errors


@transaction.atomic
def papers_place_csv(*, actor: Any, workshop: Workshop, text: str) -> int:
    """Place papers from CSV lines `paper_number,session_title[,order]` (order from 1; a
    header line is skipped). All or nothing: any error raises `CsvRefused` naming every bad
    line, and nothing changes. Returns how many papers were placed. Side effects: one
    `programme.place_csv` entry; if published, the slot mails of the changed slots."""
    _manage(actor, workshop)
    rows, errors = _csv_rows(actor, workshop, text)
    if errors:
        raise CsvRefused(errors)
    if not rows:
        raise CsvRefused(["the file has no lines to place"])
    for row in sorted(rows, key=lambda r: (r.position is None, r.position or 0, r.line)):
        _place(actor, row.submission, row.session, row.position)
    activity_record(
        actor=actor,
        target=workshop,
        action="programme.place_csv",
        summary=f"{counted(len(rows), 'paper')} placed from a CSV file",
        after={"placed": {f"#{r.submission.number}": r.session.title for r in rows}},
    )
    slot_mails_queue(
        workshop, placements_for_mail(workshop, submission__in=[r.submission for r in rows])
    )
    return len(rows)
