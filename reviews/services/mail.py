"""A chair's own mail to the people of a desk search (or to the late reviewers), with merge
fields, a preview per recipient, held in the outbox until a chair releases it.

One mail per (person, paper) when the text names a paper field ({paper_title}, ...), else
one per person: what HotCRP's mail tool does (paper-specific mail goes once per paper, a
general announcement once per address).

The chair's text is never a template: `merge_render` replaces the known `{field}` names
(and `{{`/`}}` by one brace) and nothing else is evaluated, so no chair text can reach
the template engine, an attribute or an index. Mail is plain text (its HTML part is the
text, escaped, from `email/base.html`, like every outbox mail).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from submissions.models import Submission
from workshop.activity import activity_record, concerning
from workshop.errors import NotFound, ServiceError
from workshop.models import Activity, MailStatus, OutgoingMail, User, Workshop
from workshop.phases import AOE
from workshop.plurals import counted
from workshop.policy import require
from workshop.services import outbox_release
from workshop.tracks import WHOLE_WORKSHOP, chair_scope, papers_in_scope

from ..selectors.mail import (
    AUTHOR_KINDS,
    CAMPAIGN_ACTION,
    CAMPAIGN_KIND,
    MailPair,
    RecipientKind,
    mail_pairs,
)

# name -> what it becomes (the compose page lists them).
MERGE_FIELDS: dict[str, str] = {
    "name": "the recipient's name",
    "workshop": "the workshop's short name",
    "deadline": "the next deadline that concerns the recipient, in AoE",
    "paper_number": "the paper's number",
    "paper_title": "the paper's title",
    "paper_url": "the paper's page (the author's, or the reviewer's)",
    "review_url": "the reviews page (authors: their reviews; reviewers: the review form)",
    "camera_ready_url": "the camera-ready upload page (authors only)",
}
PAPER_FIELDS = frozenset(
    {"paper_number", "paper_title", "paper_url", "review_url", "camera_ready_url"}
)
FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# The milestones that concern each kind of recipient, in the order they come: {deadline}
# is the first still ahead, else the last set (a late reviewer's deadline has passed).
DEADLINES: dict[str, tuple[str, ...]] = {
    "authors": ("paper_deadline", "supplementary_deadline", "rebuttal_closes",
                "camera_ready_deadline"),
    "reviewers": ("bidding_deadline", "review_deadline", "discussion_ends"),
    "area_chairs": ("review_deadline", "discussion_ends", "notification_date"),
}  # fmt: skip


def merge_fields_used(text: str) -> list[str]:
    """The `{field}` names in `text`, in order (escaped braces `{{`, `}}` are not fields)."""
    return [m.group(1) for m in FIELD.finditer(text) if m.group(1) is not None]


def merge_fields_problems(text: str, *, kind: str) -> list[str]:
    """What is wrong with the fields of `text` for recipients of `kind`, one sentence each
    (empty when all is well): unknown names, and the author-only link for others."""
    problems = []
    unknown = sorted({name for name in merge_fields_used(text) if name not in MERGE_FIELDS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in MERGE_FIELDS)
        problems.append(
            f"Unknown merge field{'s' if len(unknown) > 1 else ''} {listed}. "
            f"Use {known}; write {{{{ and }}}} for a literal brace."
        )
    if "camera_ready_url" in merge_fields_used(text) and kind not in AUTHOR_KINDS:
        problems.append("{camera_ready_url} is for mail to authors only.")
    return problems


def merge_render(text: str, values: dict[str, str]) -> str:
    """`text` with every known `{field}` replaced by its value (and `{{`/`}}` by one
    brace). Unknown names were refused before (`merge_fields_problems`); should one come
    through, it is left as typed."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]
        return values.get(name, match.group(0))

    return FIELD.sub(replace, text)


def relevant_deadline(workshop: Workshop, kind: str, now: dt.datetime | None = None) -> str:
    """{deadline} for recipients of `kind`: the first of their milestones still ahead (the
    last one set when all have passed), in AoE; "" when none is set."""
    now = now or timezone.now()
    group = (
        "authors"
        if kind in AUTHOR_KINDS
        else ("area_chairs" if kind == RecipientKind.AREA_CHAIRS else "reviewers")
    )
    dates = [d for d in (getattr(workshop, f) for f in DEADLINES[group]) if d is not None]
    if not dates:
        return ""
    ahead = [d for d in dates if d > now]
    chosen = min(ahead) if ahead else max(dates)
    return chosen.astimezone(AOE).strftime("%a %-d %b %Y, %H:%M AoE")


def _links(workshop: Workshop, kind: str, paper: Submission) -> dict[str, str]:
    site = settings.SITE_URL
    if kind in AUTHOR_KINDS:
        return {
            "paper_url": site + reverse("submissions:detail", args=[paper.pk]),
            "review_url": site + reverse("author_reviews", args=[paper.pk]),
            "camera_ready_url": site + reverse("submissions:camera_ready", args=[paper.pk]),
        }
    page = site + reverse("reviews:paper", args=[workshop.slug, paper.number])
    return {"paper_url": page, "review_url": page}


@dataclass(frozen=True)
class CampaignMail:
    """One message of a chair's mail, rendered: to one person, about one paper (or, for a
    text without paper fields, about none: `papers` lists what made them a recipient)."""

    to: str
    name: str
    user_id: int | None
    papers: tuple[Submission, ...]
    per_paper: bool
    subject: str
    body: str

    @property
    def choice(self) -> str:
        """Its value in the preview's list of recipients."""
        return f"{self.to}|{self.papers[0].pk if self.per_paper else ''}"

    @property
    def label(self) -> str:
        numbers = ", ".join(f"#{p.number}" for p in self.papers)
        return f"{self.name} <{self.to}> — {numbers}"


@dataclass(frozen=True)
class CampaignDraft:
    workshop: Workshop
    kind: str
    subject: str
    body: str
    mails: list[CampaignMail]

    @property
    def per_paper(self) -> bool:
        return bool(PAPER_FIELDS & set(merge_fields_used(self.subject + "\n" + self.body)))

    @property
    def people(self) -> int:
        return len({m.to.lower() for m in self.mails})

    def preview(self, choice: str = "") -> CampaignMail | None:
        """The mail of the recipient picked in the list (`CampaignMail.choice`), else the
        first; None when there is nobody to mail."""
        return next((m for m in self.mails if m.choice == choice), None) or (
            self.mails[0] if self.mails else None
        )


def _check(kind: str, subject: str, body: str, *, need_text: bool) -> None:
    if kind not in RecipientKind.values:
        raise ServiceError("Choose who the mail goes to.")
    if need_text and (not subject.strip() or not body.strip()):
        raise ServiceError("A mail needs a subject and a text.")
    if "\n" in subject or "\r" in subject:
        raise ServiceError("The subject is one line.")
    problems = merge_fields_problems(subject + "\n" + body, kind=kind)
    if problems:
        raise ServiceError(" ".join(problems))


def mail_campaign_compose(
    *,
    workshop: Workshop,
    actor: User,
    kind: str,
    subject: str,
    body: str,
    condition: Q | None = None,
) -> CampaignDraft:
    """Every mail of a chair's mail, rendered, nothing stored: the recipients of `kind`
    for the papers `condition` (the desk's search) selects (the late reviewers: the
    workshop's), one mail per (person, paper) when the text names a paper field, else one
    per person. Asks `workshop.compose_mail`: a track chair reaches the people of their
    tracks' papers only (issue 27), whatever the search. Refuses unknown merge fields, naming
    them (an empty subject or text is allowed here: the page lists the recipients before the
    text is written). Side effects: none."""
    require(actor, "workshop.compose_mail", workshop,
            message="Only the chairs of the workshop mail its people.")  # fmt: skip
    _check(kind, subject, body, need_text=False)
    condition = (condition or Q()) & papers_in_scope(actor, workshop)
    pairs = mail_pairs(workshop, kind=kind, condition=condition)
    scope = chair_scope(actor, workshop)
    if scope is not WHOLE_WORKSHOP:  # the late reviewers are the workshop's, not a search's
        pairs = [pair for pair in pairs if pair.submission.track_id in scope]
    per_paper = bool(PAPER_FIELDS & set(merge_fields_used(subject + "\n" + body)))
    groups: dict[tuple[str, int | None], list[MailPair]] = {}
    for pair in pairs:
        key = (pair.email.lower(), pair.submission.pk if per_paper else None)
        groups.setdefault(key, []).append(pair)
    common = {"workshop": workshop.short_name, "deadline": relevant_deadline(workshop, kind)}
    mails = []
    for group in groups.values():
        first = group[0]
        paper = first.submission
        values = {**common, "name": first.name}
        if per_paper:
            values |= {"paper_number": str(paper.number), "paper_title": paper.title,
                       **_links(workshop, kind, paper)}  # fmt: skip
        mails.append(
            CampaignMail(
                to=first.email, name=first.name, user_id=first.user_id,
                papers=tuple(dict.fromkeys(p.submission for p in group)), per_paper=per_paper,
                subject=" ".join(merge_render(subject, values).split())[:255],
                body=merge_render(body, values),
            )
        )  # fmt: skip
    return CampaignDraft(workshop, kind, subject, body, mails)


def _key(workshop: Workshop, token: str, mail: CampaignMail) -> str:
    who = hashlib.sha256(mail.to.lower().encode()).hexdigest()[:24]
    about = mail.papers[0].pk if mail.per_paper else "all"
    return f"campaign:{workshop.pk}:{token}:{who}:{about}"


@dataclass(frozen=True)
class HeldCampaign:
    entry: Activity
    mails: int
    created: bool


@transaction.atomic
def mail_campaign_hold(
    *,
    workshop: Workshop,
    chair: User,
    token: str,
    kind: str,
    subject: str,
    body: str,
    query: str = "",
    condition: Q | None = None,
) -> HeldCampaign:
    """Store a chair's mail in the outbox, held: nothing leaves until a chair releases it
    (`mail_campaign_release`, or the outbox). `token` is the compose form's own: the same
    form sent twice (a double click, a resent request) holds its mails once. Asks
    `workshop.compose_mail` (a track chair's mail waits for a chair of the workshop to
    release it); refuses a mail with nobody to send it to.

    Side effects: one `mail.campaign_hold` activity entry (the mails point at it, and at
    their paper when they are about one); no delivery until the release.
    """
    require(chair, "workshop.compose_mail", workshop,
            message="Only the chairs of the workshop mail its people.")  # fmt: skip
    _check(kind, subject, body, need_text=True)
    if not TOKEN.match(token or ""):
        raise ServiceError("This form is out of date: open the mail page again.")
    # One hold at a time per workshop, so that two copies of one form find each other.
    Workshop.objects.select_for_update().filter(pk=workshop.pk).first()
    done = (
        Activity.objects.filter(workshop=workshop, action=CAMPAIGN_ACTION, after__token=token)
        .order_by("pk")
        .first()
    )
    if done is not None:
        return HeldCampaign(done, (done.after or {}).get("mails", 0), created=False)
    draft = mail_campaign_compose(workshop=workshop, actor=chair, kind=kind, subject=subject,
                                  body=body, condition=condition)  # fmt: skip
    if not draft.mails:
        raise ServiceError("Nobody to mail: the search selects no one of that kind.")
    label = RecipientKind(kind).label.split(" (")[0].lower()
    entry = activity_record(
        actor=chair, target=workshop, action=CAMPAIGN_ACTION,
        summary=f"Mail “{subject[:200]}” to {counted(len(draft.mails), 'recipient')} ({label}), "
        "held for release",
        after={"token": token, "kind": kind, "query": query, "subject": subject,
               "mails": len(draft.mails), "people": draft.people,
               "per_paper": draft.per_paper},
    )  # fmt: skip
    about = concerning(entry)
    rows = []
    for mail in draft.mails:
        html = render_to_string(
            "email/base.html",
            {"site_url": settings.SITE_URL, "workshop": workshop, "subject": mail.subject,
             "text": mail.body},
        )  # fmt: skip
        rows.append(
            OutgoingMail(
                key=_key(workshop, token, mail), to=mail.to, kind=CAMPAIGN_KIND,
                subject=mail.subject, body_text=mail.body, body_html=html, workshop=workshop,
                recipient_id=mail.user_id, reply_to=workshop.contact_email,
                status=MailStatus.HELD,
                **{**about, "submission_id": mail.papers[0].pk if mail.per_paper else None},
            )
        )  # fmt: skip
    OutgoingMail.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return HeldCampaign(entry, len(rows), created=True)


def campaign_get(workshop: Workshop, campaign_id: object) -> Activity:
    """The chair mail `campaign_id` of this workshop; NotFound for anything else."""
    try:
        pk = int(str(campaign_id))
    except ValueError:
        raise NotFound() from None
    entry = Activity.objects.filter(workshop=workshop, action=CAMPAIGN_ACTION, pk=pk).first()
    if entry is None:
        raise NotFound()
    return entry


def campaign_held_ids(entry: Activity) -> list[int]:
    return list(
        OutgoingMail.objects.filter(
            status=MailStatus.HELD, **{k: v for k, v in concerning(entry).items()
                                       if k != "submission_id"}
        ).values_list("pk", flat=True)
    )  # fmt: skip


@transaction.atomic
def mail_campaign_release(*, workshop: Workshop, chair: User, campaign_id: object) -> int:
    """Release the held mails of one chair mail for delivery (each is sent once: the
    outbox claims every row before sending it). Asks `workshop.send_mail` (through
    `outbox_release`). Returns how many were released (0 when none is held any more).

    Side effects: one `outbox.release` activity entry; delivery tasks after commit.
    """
    require(chair, "workshop.send_mail", workshop,
            message="Only the chairs of the workshop release its mail.")  # fmt: skip
    entry = campaign_get(workshop, campaign_id)
    ids = campaign_held_ids(entry)
    if not ids:
        return 0
    return outbox_release(actor=chair, mail_ids=ids)


@transaction.atomic
def mail_campaign_discard(*, workshop: Workshop, chair: User, campaign_id: object) -> int:
    """Cancel the held mails of one chair mail (those already released are not touched).
    Asks `workshop.send_mail`. Returns how many were cancelled.

    Side effects: one `mail.campaign_discard` activity entry when any was cancelled.
    """
    require(chair, "workshop.send_mail", workshop,
            message="Only the chairs of the workshop discard its mail.")  # fmt: skip
    entry = campaign_get(workshop, campaign_id)
    cancelled = OutgoingMail.objects.filter(
        pk__in=campaign_held_ids(entry), status=MailStatus.HELD
    ).update(status=MailStatus.CANCELLED, last_error="Discarded by a chair before release.")
    if cancelled:
        activity_record(
            actor=chair, target=workshop, action="mail.campaign_discard",
            summary=f"{counted(cancelled, 'held mail')} of "
            f"“{(entry.after or {}).get('subject', '')}” discarded",
            after={"campaign": entry.pk, "cancelled": cancelled},
        )  # fmt: skip
    return cancelled
