"""The chairs' side: programme settings, sessions, speakers and organisers, publishing
(placing papers is in `placements`).

Every function asks `programme.manage` for the workshop itself (after `programme.view`, so
a chair of another workshop cannot learn that an unpublished programme exists), writes in
one transaction and records exactly one activity entry. Once the programme is published, a
change of a paper's slot queues its presenters' slot mail (see `mails`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from workshop.activity import activity_record
from workshop.errors import NotFound, ServiceError
from workshop.models import Workshop
from workshop.policy import require, require_visible

from ..models import (
    PAPER_KINDS,
    ProgrammeSettings,
    Session,
    SessionKind,
    Speaker,
    SpeakerKind,
    validate_time_zone,
)
from .mails import placements_for_mail, slot_mails_queue, unplaced_mails_queue


def _manage(actor: Any, workshop: Workshop) -> None:
    """Ask with the workshop's settings as they are now (the caller's copy may be stale)."""
    fresh = Workshop.objects.select_related("programme_settings").get(pk=workshop.pk)
    require_visible(actor, "programme.view", fresh)
    require(actor, "programme.manage", fresh, message="Only the chairs build the programme.")


def settings_for(workshop: Workshop) -> ProgrammeSettings:
    """The workshop's settings row, locked (created with the defaults on first use)."""
    found, _ = ProgrammeSettings.objects.get_or_create(workshop=workshop)
    return ProgrammeSettings.objects.select_for_update().get(pk=found.pk)


def _is_published(workshop: Workshop) -> bool:
    return ProgrammeSettings.objects.filter(workshop=workshop, published=True).exists()


# --- settings --------------------------------------------------------------------------------


@transaction.atomic
def programme_settings_update(
    *,
    actor: Any,
    workshop: Workshop,
    time_zone: str,
    venue: str = "",
    upload_deadline: dt.datetime | None = None,
    what_to_bring: str = "",
) -> ProgrammeSettings:
    """Time zone, venue, presenter upload deadline and what to bring. Side effects: one
    `programme.settings` entry (before/after of what changed)."""
    _manage(actor, workshop)
    try:
        validate_time_zone(time_zone)
    except Exception as exc:
        raise ServiceError(f"{time_zone!r} is not a time zone name (e.g. Europe/Vienna).") from exc
    row = settings_for(workshop)
    fields = ("time_zone", "venue", "upload_deadline", "what_to_bring")
    before = {f: getattr(row, f) for f in fields}
    row.time_zone, row.venue = time_zone, venue
    row.upload_deadline, row.what_to_bring = upload_deadline, what_to_bring
    row.save()
    changed = [f for f in fields if before[f] != getattr(row, f)]
    activity_record(
        actor=actor,
        target=workshop,
        action="programme.settings",
        summary="Programme settings changed: " + (", ".join(changed) or "nothing"),
        before={f: str(before[f]) for f in changed},
        after={f: str(getattr(row, f)) for f in changed},
    )
    return row


# --- sessions --------------------------------------------------------------------------------

SESSION_FIELDS = ("kind", "title", "room", "starts_at", "ends_at", "order", "chair")


def _session_check(workshop: Workshop, values: dict[str, Any], pk: int | None = None) -> None:
    if values["kind"] not in SessionKind.values:
        raise ServiceError("Unknown kind of session.")
    if not values["title"].strip():
        raise ServiceError("A session needs a title.")
    if values["ends_at"] <= values["starts_at"]:
        raise ServiceError("A session must end after it starts.")
    clash = Session.objects.filter(workshop=workshop, title=values["title"]).exclude(pk=pk)
    if clash.exists():
        raise ServiceError(f"There is already a session called {values['title']!r}.")


@transaction.atomic
def session_create(
    *,
    actor: Any,
    workshop: Workshop,
    kind: str,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room: str = "",
    order: int = 0,
    chair: str = "",
) -> Session:
    """A new session. Side effects: one `programme.session_create` entry."""
    _manage(actor, workshop)
    values = {
        "kind": kind,
        "title": title.strip(),
        "room": room,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "order": order,
        "chair": chair,
    }
    _session_check(workshop, values)
    session = Session.objects.create(workshop=workshop, **values)
    activity_record(
        actor=actor,
        target=session,
        workshop=workshop,
        action="programme.session_create",
        summary=f"Session created: {session.title}",
        after=_session_state(session),
    )
    return session


def _session_state(session: Session) -> dict[str, Any]:
    return {f: str(getattr(session, f)) for f in SESSION_FIELDS}


@transaction.atomic
def session_update(*, actor: Any, session: Session, **values: Any) -> Session:
    """Change a session's fields (any of SESSION_FIELDS). Side effects: one
    `programme.session_update` entry; if the programme is published and the time or room
    changed, the slot mail to the presenters of its papers."""
    workshop = session.workshop
    _manage(actor, workshop)
    locked = Session.objects.select_for_update().get(pk=session.pk, workshop=workshop)
    before = _session_state(locked)
    unknown = set(values) - set(SESSION_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown session fields: {sorted(unknown)}")
    merged = {f: values.get(f, getattr(locked, f)) for f in SESSION_FIELDS}
    merged["title"] = merged["title"].strip()
    _session_check(workshop, merged, pk=locked.pk)
    if merged["kind"] not in PAPER_KINDS and locked.placements.exists():
        raise ServiceError(
            "Move this session's papers elsewhere before making it a "
            f"{SessionKind(merged['kind']).label.lower()}."
        )
    for f, v in merged.items():
        setattr(locked, f, v)
    locked.save()
    after = _session_state(locked)
    changed = [f for f in SESSION_FIELDS if before[f] != after[f]]
    activity_record(
        actor=actor,
        target=locked,
        workshop=workshop,
        action="programme.session_update",
        summary=f"Session {locked.title} changed: " + (", ".join(changed) or "nothing"),
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    if {"starts_at", "ends_at", "room"} & set(changed):
        slot_mails_queue(workshop, placements_for_mail(workshop, session=locked))
    return locked


@transaction.atomic
def session_delete(*, actor: Any, session: Session) -> None:
    """Delete a session; its papers become unplaced. Side effects: one
    `programme.session_delete` entry; on a published programme, a mail to each of its
    presenters saying the slot is gone (their next slot mail follows when placed again)."""
    workshop = session.workshop
    _manage(actor, workshop)
    locked = Session.objects.select_for_update().get(pk=session.pk, workshop=workshop)
    placed = placements_for_mail(workshop, session=locked)
    papers = [p.submission.number for p in placed]
    entry = activity_record(
        actor=actor,
        target=workshop,
        action="programme.session_delete",
        summary=f"Session deleted: {locked.title}"
        + (f" (papers unplaced: {', '.join(f'#{n}' for n in papers)})" if papers else ""),
        before=_session_state(locked),
    )
    unplaced_mails_queue(workshop, placed, locked.title, entry.pk)
    locked.delete()


# --- speakers and organisers ----------------------------------------------------------------

SPEAKER_FIELDS = ("kind", "name", "affiliation", "bio", "link", "order", "session")


def _speaker_check(workshop: Workshop, values: dict[str, Any]) -> None:
    if values["kind"] not in SpeakerKind.values:
        raise ServiceError("Unknown kind of person.")
    if not values["name"].strip():
        raise ServiceError("A name is required.")
    session = values.get("session")
    if session is not None and session.workshop_id != workshop.pk:
        raise NotFound()


@transaction.atomic
def speaker_create(
    *, actor: Any, workshop: Workshop, photo: UploadedFile | None = None, **values: Any
) -> Speaker:
    """An invited speaker or an organiser (photo: an image the form has validated).
    Side effects: one `programme.speaker_create` entry."""
    _manage(actor, workshop)
    empty = {"order": 0, "session": None}
    values = {f: values.get(f, empty.get(f, "")) for f in SPEAKER_FIELDS}
    values["order"] = values["order"] or 0
    _speaker_check(workshop, values)
    speaker = Speaker(workshop=workshop, **values)
    if photo is not None:
        speaker.photo.save(photo.name or "photo.jpg", photo, save=False)
    speaker.save()
    activity_record(
        actor=actor,
        target=speaker,
        workshop=workshop,
        action="programme.speaker_create",
        summary=f"{speaker.get_kind_display()} added: {speaker.name}",
    )
    return speaker


@transaction.atomic
def speaker_update(
    *,
    actor: Any,
    speaker: Speaker,
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
    **values: Any,
) -> Speaker:
    """Change a speaker's details or photo. Side effects: one `programme.speaker_update`."""
    workshop = speaker.workshop
    _manage(actor, workshop)
    locked = Speaker.objects.select_for_update().get(pk=speaker.pk, workshop=workshop)
    merged = {f: values.get(f, getattr(locked, f)) for f in SPEAKER_FIELDS}
    merged["order"] = merged["order"] or 0
    _speaker_check(workshop, merged)
    for f, v in merged.items():
        setattr(locked, f, v)
    if remove_photo:
        locked.photo = ""
    if photo is not None:
        locked.photo.save(photo.name or "photo.jpg", photo, save=False)
    locked.save()
    activity_record(
        actor=actor,
        target=locked,
        workshop=workshop,
        action="programme.speaker_update",
        summary=f"{locked.get_kind_display()} changed: {locked.name}",
    )
    return locked


@transaction.atomic
def speaker_delete(*, actor: Any, speaker: Speaker) -> None:
    """Side effects: one `programme.speaker_delete` entry."""
    workshop = speaker.workshop
    _manage(actor, workshop)
    activity_record(
        actor=actor,
        target=workshop,
        action="programme.speaker_delete",
        summary=f"{speaker.get_kind_display()} removed: {speaker.name}",
    )
    Speaker.objects.filter(pk=speaker.pk, workshop=workshop).delete()


# --- publishing ------------------------------------------------------------------------------


@transaction.atomic
def programme_publish(*, actor: Any, workshop: Workshop, publish: bool = True) -> int:
    """Make the programme public (or hide it again). Publishing queues every presenter's
    slot mail (their slot, what to bring, the upload deadline), once per slot: publishing
    again sends nothing new. Returns how many mails were queued. Side effects: one
    `programme.publish` / `programme.unpublish` entry (none when nothing changes)."""
    _manage(actor, workshop)
    row = settings_for(workshop)
    if row.published == publish:
        return 0
    row.published = publish
    row.published_at = timezone.now() if publish else row.published_at
    row.save(update_fields=["published", "published_at"])
    queued = slot_mails_queue(workshop, placements_for_mail(workshop)) if publish else 0
    activity_record(
        actor=actor,
        target=workshop,
        action="programme.publish" if publish else "programme.unpublish",
        summary="Programme published" + (f"; slot mails queued: {queued}" if publish else "")
        if publish
        else "Programme hidden again",
        before={"published": not publish},
        after={"published": publish},
    )
    return queued
