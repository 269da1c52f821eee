"""Tags and votes on papers (issue 28, part 4): the one writer of `PaperTag`, `Vote` and
`PaperVote`.

Every action asks the policy itself (`reviews.tag`, `reviews.chair_tags`,
`reviews.manage_votes`, `reviews.vote`), so the API, the paper page, the admin and the
importers share one set of rules, and writes one activity entry, hidden from the authors.
A private tag's entry names no tag: the log is the chairs', the tag is its tagger's.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum

from submissions.models import Submission
from workshop.activity import activity_entry, activity_record
from workshop.errors import DeadlinePassed, NotFound, ServiceError
from workshop.models import Activity, Workshop
from workshop.policy import can, require, require_open, require_visible

from ..models import PaperTag, PaperVote, TagVisibility, Vote, VoteKind
from ..models.tags import TAG_NAME

TAG_TEXT = re.compile(r"^#?(?P<name>[^#\s]+)(?:#(?P<value>[^#\s]*))?$")
MAX_ALLOWANCE = 100


def tag_parse(text: str) -> tuple[str, Decimal | None]:
    """`#order#3`, `order#3`, `order#-1.5` or `order` -> (name, value or None); names are
    case-insensitive (kept in lower case). A clear message for anything else."""
    found = TAG_TEXT.match((text or "").strip())
    name = found.group("name").lower() if found else ""
    if not found or not re.match(TAG_NAME, name):
        raise ServiceError(
            f"“{(text or '').strip()[:60]}” is not a tag: use 1 to 40 letters, digits, '_', "
            "'.' or '-' (and #value for a number, as in #order#3)."
        )
    raw = found.group("value")
    if raw is None or raw == "":
        return name, None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ServiceError(f"“{raw[:20]}” is not a number: a tag's value is a number.") from None
    if (
        not value.is_finite()
        or abs(value) >= Decimal("10000000")
        or value != value.quantize(Decimal("0.01"))
    ):
        raise ServiceError("A tag's value is a number below 10,000,000 with at most 2 decimals.")
    return name, value


def _require_tags(actor: Any, submission: Submission, visibility: str) -> None:
    require_visible(actor, "reviews.tag", submission)
    if visibility not in TagVisibility.values:
        raise ServiceError("Choose who sees the tag: private, chairs only or shared.")
    if visibility == TagVisibility.CHAIRS:
        require(actor, "reviews.chair_tags", submission,
                message="Only the chairs set chairs-only tags.")  # fmt: skip


def _summary(tag: PaperTag, verb: str) -> str:
    what = "a private tag" if tag.visibility == TagVisibility.PRIVATE else f"tag {tag}"
    return f"#{tag.submission.number}: {what} {verb}"


@transaction.atomic
def paper_tag_set(
    *, actor: Any, submission: Submission, text: str, visibility: str = TagVisibility.SHARED
) -> PaperTag:
    """Put the tag `text` (`name` or `name#value`) on the paper, or change its value.

    Asks `reviews.tag` (404 for those who may not know the paper: conflicted members,
    authors), and `reviews.chair_tags` for a chairs-only tag. A private tag is the actor's
    own. The name of an open vote is refused (votes are cast, not tagged).

    Side effects: the tag; one `tag.set` activity entry when something changed (hidden from
    the authors).
    """
    _require_tags(actor, submission, visibility)
    name, value = tag_parse(text)
    if Vote.objects.filter(workshop_id=submission.workshop_id, name=name).exists():
        raise ServiceError(f"#{name} is a vote: vote for the paper instead of tagging it.")
    owner = actor if visibility == TagVisibility.PRIVATE else None
    tag = (
        PaperTag.objects.select_for_update()
        .filter(submission=submission, name=name, visibility=visibility, owner=owner)
        .first()
    )
    before = None
    if tag is None:
        tag = PaperTag.objects.create(submission=submission, name=name, visibility=visibility,
                                      owner=owner, value=value, set_by=actor)  # fmt: skip
    elif tag.value == value:
        return tag
    else:
        before = {"value": str(tag.value) if tag.value is not None else None}
        tag.value, tag.set_by = value, actor
        tag.save(update_fields=["value", "set_by", "updated_at"])
    private = visibility == TagVisibility.PRIVATE
    activity_record(
        actor=actor, action="tag.set", target=submission, summary=_summary(tag, "set"),
        before=None if private else before,
        after=None if private else {"tag": name, "visibility": visibility,
                                    "value": str(value) if value is not None else None},
        authors_see=False,
    )  # fmt: skip
    return tag


def paper_tag_find(actor: Any, submission: Submission, pk: int) -> PaperTag:
    """One tag of the paper that the actor sees (404 otherwise)."""
    require_visible(actor, "reviews.tag", submission)
    tag = PaperTag.objects.filter(submission=submission, pk=pk).first()
    if tag is None or (
        tag.visibility == TagVisibility.PRIVATE and tag.owner_id != getattr(actor, "pk", None)
    ) or (tag.visibility == TagVisibility.CHAIRS and not can(
        actor, "reviews.chair_tags", submission)):  # fmt: skip
        raise NotFound("No such tag.")
    return tag


@transaction.atomic
def paper_tag_remove(*, actor: Any, submission: Submission, pk: int) -> None:
    """Take the tag `pk` off the paper: one's own private tag, a shared tag, or (chairs) a
    chairs-only tag; 404 for a tag the actor does not see.

    Side effects: one `tag.remove` activity entry (hidden from the authors)."""
    tag = paper_tag_find(actor, submission, pk)
    private = tag.visibility == TagVisibility.PRIVATE
    activity_record(
        actor=actor, action="tag.remove", target=submission, summary=_summary(tag, "removed"),
        before=None if private else {"tag": tag.name, "visibility": tag.visibility},
        authors_see=False,
    )  # fmt: skip
    tag.delete()


# --- votes -------------------------------------------------------------------------------


@transaction.atomic
def vote_open(
    *, actor: Any, workshop: Workshop, name: str, allowance: int, kind: str = VoteKind.ALLOTMENT
) -> Vote:
    """Open a named vote (or reopen a closed one with the same name and kind): each member
    gets `allowance` votes to spread (allotment) or places to rank (rank). Asks
    `reviews.manage_votes`. A tag of the same name must not exist already.

    Side effects: the vote; one `vote.open` activity entry."""
    require(actor, "reviews.manage_votes", workshop, message="Only the chairs open votes.")
    tag_name, value = tag_parse(name)
    if value is not None:
        raise ServiceError("A vote's name has no value: name it like a tag, as in #best.")
    if kind not in VoteKind.values:
        raise ServiceError("Choose the kind of vote: spread votes or rank papers.")
    if not isinstance(allowance, int) or not 1 <= allowance <= MAX_ALLOWANCE:
        raise ServiceError(f"Give each member between 1 and {MAX_ALLOWANCE} votes (or places).")
    if PaperTag.objects.filter(submission__workshop=workshop, name=tag_name).exists():
        raise ServiceError(f"#{tag_name} is already a tag on some papers: choose another name.")
    vote = Vote.objects.select_for_update().filter(workshop=workshop, name=tag_name).first()
    if vote is not None and vote.is_open:
        raise ServiceError(f"The vote #{tag_name} is already open.")
    if vote is not None and vote.kind != kind:
        raise ServiceError(f"#{tag_name} was a vote of another kind: choose another name.")
    if vote is None:
        vote = Vote.objects.create(workshop=workshop, name=tag_name, kind=kind,
                                   allowance=allowance, created_by=actor)  # fmt: skip
    else:
        used = _most_used(vote)
        if allowance < used:
            raise ServiceError(f"A member already uses {used} of #{tag_name}: allow at least that.")
        vote.is_open, vote.allowance = True, allowance
        vote.save(update_fields=["is_open", "allowance"])
    activity_record(
        actor=actor, action="vote.open", target=vote, workshop=workshop,
        summary=f"Vote #{tag_name} opened ({vote.get_kind_display().lower()}, {allowance} each)",
        after={"kind": kind, "allowance": allowance}, authors_see=False,
    )  # fmt: skip
    return vote


def _most_used(vote: Vote) -> int:
    """The most votes (allotment) or the lowest place (rank) any member holds."""
    if vote.kind == VoteKind.RANK:
        return max(vote.ballots.values_list("count", flat=True), default=0)
    totals = vote.ballots.order_by().values("member_id").annotate(n=Sum("count"))
    return max((row["n"] for row in totals), default=0)


@transaction.atomic
def vote_close(*, actor: Any, vote: Vote) -> Vote:
    """Close the vote: its ballots stay (the desk keeps showing the result), no more are
    cast. Side effects: one `vote.close` activity entry."""
    require(actor, "reviews.manage_votes", vote.workshop, message="Only the chairs close votes.")
    if not vote.is_open:
        return vote
    vote.is_open = False
    vote.save(update_fields=["is_open"])
    activity_record(actor=actor, action="vote.close", target=vote, workshop=vote.workshop,
                    summary=f"Vote #{vote.name} closed", authors_see=False)  # fmt: skip
    return vote


def _whole(count: Any) -> int:
    if isinstance(count, bool):
        raise ServiceError("Give a whole number of votes.")
    try:
        number = int(str(count).strip())
    except (TypeError, ValueError):
        raise ServiceError("Give a whole number of votes.") from None
    if number < 0 or number > MAX_ALLOWANCE:
        raise ServiceError(f"Give between 0 and {MAX_ALLOWANCE}.")
    return number


@transaction.atomic
def paper_vote_cast(
    *, actor: Any, vote: Vote, submission: Submission, count: Any
) -> PaperVote | None:
    """The actor's votes for the paper in `vote` (allotment: how many, 0 to take them back;
    rank: the paper's place, 1 the best, 0 to unrank it). Returns the ballot (None when
    cleared).

    Asks `reviews.tag` (404 for a conflicted member or an author), then `reviews.vote`
    (voting ends when decisions are out), and the vote must be open. Refused beyond the
    allowance, with how many remain; a place already held by another paper is swapped
    with this paper's old place (or freed). The vote row is locked, so that two tabs
    cannot together spend more than the allowance.

    Side effects: the ballot; one `vote.cast` activity entry when something changed
    (hidden from the authors).
    """
    require_visible(actor, "reviews.tag", submission)
    if submission.workshop_id != vote.workshop_id:
        raise NotFound("No such vote.")
    require_open(actor, "reviews.vote", submission, message="Decisions are out: voting has ended.")
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    if not vote.is_open:
        raise DeadlinePassed(f"The vote #{vote.name} is closed.")
    number = _whole(count)
    mine = PaperVote.objects.filter(vote=vote, member=actor)
    ballot = mine.filter(submission=submission).first()
    old = ballot.count if ballot else 0
    if number == old:
        return ballot
    if vote.kind == VoteKind.ALLOTMENT:
        elsewhere = mine.exclude(submission=submission).aggregate(n=Sum("count"))["n"] or 0
        if elsewhere + number > vote.allowance:
            left = vote.allowance - elsewhere
            raise ServiceError(
                f"You have {vote.allowance} votes in #{vote.name} and {elsewhere} are on other "
                f"papers: at most {left} can go to this paper."
                + (" Take votes back from another paper first." if left <= 0 else "")
            )
    elif number > vote.allowance:
        raise ServiceError(f"#{vote.name} ranks {vote.allowance} papers: choose a place from "
                           f"1 to {vote.allowance}.")  # fmt: skip
    elif number:
        taken = mine.filter(count=number).exclude(submission=submission).first()
        if taken is not None:
            if old:
                taken.count = old
                taken.save(update_fields=["count", "updated_at"])
            else:
                taken.delete()
    if number == 0:
        ballot.delete()  # type: ignore[union-attr]
        ballot = None
    elif ballot is None:
        ballot = PaperVote.objects.create(vote=vote, submission=submission, member=actor,
                                          count=number)  # fmt: skip
    else:
        ballot.count = number
        ballot.save(update_fields=["count", "updated_at"])
    word = "place" if vote.kind == VoteKind.RANK else "votes"
    activity_record(
        actor=actor, action="vote.cast", target=submission, workshop=vote.workshop,
        summary=f"#{submission.number}: {word} in #{vote.name} {old} → {number}",
        before={"vote": vote.name, word: old}, after={"vote": vote.name, word: number},
        authors_see=False,
    )  # fmt: skip
    return ballot


# --- imports -----------------------------------------------------------------------------

ImportedTag = tuple[str, Decimal | None, str]  # name, value, visibility (shared or chairs)


@transaction.atomic
def paper_tags_import_write_many(
    *, workshop: Workshop, chair: Any, items: list[tuple[Submission, list[ImportedTag]]]
) -> list[PaperTag]:
    """The tags another system's export puts on papers (HotCRP's paper JSON): shared and
    chairs-only tags, never private ones (the importer drops those). Asks
    `reviews.chair_tags` on the workshop. A tag the paper already has keeps its row (its
    value brought up to date); a name that is a vote of the workshop is refused.

    Side effects: the tags; one `tag.import` activity entry per paper (hidden from the
    authors).
    """
    require(chair, "reviews.chair_tags", workshop, message="Only the chairs import tags.")
    votes = set(Vote.objects.filter(workshop=workshop).values_list("name", flat=True))
    wanted: dict[tuple[int, str, str], tuple[Submission, Decimal | None]] = {}
    for submission, tags in items:
        if submission.workshop_id != workshop.pk:
            raise ServiceError("That paper belongs to another workshop.")
        for name, value, visibility in tags:
            if visibility not in (TagVisibility.SHARED, TagVisibility.CHAIRS):
                raise ServiceError("Only shared and chairs-only tags are imported.")
            checked, _ = tag_parse(name)
            if checked in votes:
                raise ServiceError(f"#{checked} is a vote of this workshop: rename the vote.")
            wanted[(submission.pk, checked, visibility)] = (submission, value)
    if not wanted:
        return []
    papers = {sid for sid, _, _ in wanted}
    existing = {
        (t.submission_id, t.name, t.visibility): t
        for t in PaperTag.objects.select_for_update().filter(
            submission_id__in=papers, owner__isnull=True
        )
    }
    new, changed = [], []
    for key, (submission, value) in wanted.items():
        tag = existing.get(key)
        if tag is None:
            setter = chair if getattr(chair, "pk", None) else None
            new.append(PaperTag(submission=submission, name=key[1], visibility=key[2],
                                value=value, set_by=setter))  # fmt: skip
        elif tag.value != value:
            tag.value = value
            changed.append(tag)
    PaperTag.objects.bulk_create(new)
    PaperTag.objects.bulk_update(changed, ["value"])
    per_paper: dict[int, list[str]] = {}
    for tag in [*new, *changed]:
        per_paper.setdefault(tag.submission_id, []).append(str(tag))
    by_pk = {s.pk: s for s, _ in items}
    Activity.objects.bulk_create([
        activity_entry(actor=chair, action="tag.import", target=by_pk[sid], workshop=workshop,
                       summary=f"#{by_pk[sid].number}: tags imported: {', '.join(sorted(names))}",
                       authors_see=False)
        for sid, names in per_paper.items()
    ])  # fmt: skip
    return [*new, *changed]
