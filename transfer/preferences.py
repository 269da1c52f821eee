"""What an import brings besides papers, people and reviews: the other system's topic
list, its committee's bids, and the mapping of its scores to our questions' scales."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Max

from reviews.models import Bid, BidValue
from workshop.activity import activity_record
from workshop.models import Membership, Role, Topic, User, Workshop
from workshop.plurals import counted

from .formats import BidRecord
from .report import Report

if TYPE_CHECKING:
    from .importers import Applier


@dataclass
class ScoreMap:
    """The scores of one field of the other form, value by value, to one of our questions."""

    field: str
    question: str
    table: dict[int, int]
    confirmed: bool

    def describe(self) -> str:
        return ", ".join(f"{k}→{v}" for k, v in sorted(self.table.items()))


def score_table(given: Any) -> dict[int, int]:
    """A mapping as the chair gives it ({"8": 4, ...} from JSON, or [[8, 4], ...]); a pair
    that is not two whole numbers is left out (the import then names the value it lacks)."""
    pairs = given.items() if isinstance(given, dict) else given if isinstance(given, list) else []
    table: dict[int, int] = {}
    for pair in pairs:
        try:
            theirs, ours = pair
            table[int(str(theirs).strip())] = int(str(ours).strip())
        except (TypeError, ValueError):
            continue
    return table


def topics_create(*, workshop: Workshop, chair: User, names: list[str], report: Report) -> None:
    """The other system's topics that the workshop lacks, created after its own (in the
    file's order). Side effects: one `topic.import` activity entry naming them."""
    have = {t.lower() for t in workshop.topics.values_list("name", flat=True)}
    new = []
    for name in names:
        name = name.strip()[:120]
        if name and name.lower() not in have:
            have.add(name.lower())
            new.append(name)
    if not new:
        report.field("topic", "topic", "unchanged: the workshop has it", len(names))
        return
    start = (workshop.topics.aggregate(m=Max("order"))["m"] or 0) + 1
    Topic.objects.bulk_create(
        Topic(workshop=workshop, name=name, order=start + i) for i, name in enumerate(new)
    )
    for name in new:
        report.change("topics.csv", "topic.create", name)
    activity_record(
        actor=chair, action="topic.import", target=workshop, workshop=workshop,
        summary=f"{counted(len(new), 'topic')} imported: {', '.join(new)}",
    )  # fmt: skip


def bids_import(*, applier: Applier, records: list[BidRecord]) -> None:
    """Committee members' bids, written in bulk (a new bid, or a changed one, replaces the
    member's earlier bid on the paper, as bidding here does). A bid of somebody outside the
    committee, or on an unknown paper, is an error of its line."""
    workshop, report = applier.workshop, applier.report
    papers = dict(workshop.submissions.values_list("number", "pk"))
    committee = set(
        Membership.objects.filter(workshop=workshop)
        .exclude(role=Role.CHAIR)
        .values_list("user_id", flat=True)
    )
    wanted: dict[tuple[int, int], tuple[Any, str, str]] = {}
    for record in records:
        paper = papers.get(record.paper) if isinstance(record.paper, int) else None
        user = applier.account(record.email, record.line)
        if paper is None:
            report.error(record.line, f"submission #: unknown paper {record.paper}.")
            continue
        if user is None or user.pk not in committee:
            report.error(record.line, f"{record.email} is not in the committee: no bid.")
            continue
        if record.value not in BidValue.values:
            report.error(record.line, f"bid: {record.value!r} is not a bid.")
            continue
        wanted[(paper, user.pk)] = (record.line, record.value, f"#{record.paper} / {record.email}")
    existing = {
        (b.submission_id, b.user_id): b
        for b in Bid.objects.filter(submission__workshop=workshop, user_id__in=committee)
    }
    new, changed = [], []
    for (paper, uid), (line, value, what) in wanted.items():
        bid = existing.get((paper, uid))
        if bid is None:
            new.append(Bid(submission_id=paper, user_id=uid, value=value))
        elif bid.value != value:
            bid.value = value
            changed.append(bid)
        else:
            report.field("bid", "bid", "unchanged: imported before")
            continue
        report.change(line, "bid.set", f"{what}: {value}")
    Bid.objects.bulk_create(new)
    Bid.objects.bulk_update(changed, ["value"])
    report.field("bid", "bid", "imported", len(new) + len(changed))
