"""The workshop programme: settings, sessions, placed papers and the people on stage.

Times are aware datetimes stored in UTC; they are shown in the programme's time zone
(`ProgrammeSettings.time_zone`) and, by the browser, in the viewer's own.
"""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from submissions.models import Submission
from workshop.models import Workshop


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name (e.g. Europe/Vienna).")


class ProgrammeSettings(models.Model):
    """One row per workshop: where and when, and whether the programme is public."""

    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, related_name="programme_settings"
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA name of the venue's time zone, e.g. Europe/Vienna.",
    )
    venue = models.CharField(max_length=300, blank=True)
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    upload_deadline = models.DateTimeField(
        "presenter upload deadline",
        null=True,
        blank=True,
        help_text="Slides and posters, and attendance confirmations, are taken until then.",
    )
    what_to_bring = models.TextField(blank=True, help_text="Markdown; sent to presenters.")

    class Meta:
        verbose_name = "programme settings"
        verbose_name_plural = "programme settings"

    def __str__(self) -> str:
        return f"Programme of {self.workshop}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class SessionKind(models.TextChoices):
    ORAL = "oral", "Oral session"
    POSTER = "poster", "Poster session"
    LIGHTNING = "lightning", "Lightning talks"
    INVITED = "invited", "Invited talk"
    PANEL = "panel", "Panel"
    BREAK = "break", "Break"


# Kinds of session that take papers.
PAPER_KINDS = (SessionKind.ORAL, SessionKind.POSTER, SessionKind.LIGHTNING)


class Session(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=20, choices=SessionKind.choices, default=SessionKind.ORAL)
    title = models.CharField(max_length=200)
    room = models.CharField(max_length=120, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    order = models.PositiveSmallIntegerField(default=0)
    chair = models.CharField("session chair", max_length=200, blank=True)

    class Meta:
        ordering = ["workshop", "starts_at", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="programme_session_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["workshop", "title"], name="programme_session_unique_title"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def takes_papers(self) -> bool:
        return self.kind in PAPER_KINDS


def _material_name(instance: Placement, filename: str) -> str:
    return f"programme/{instance.session.workshop_id}/{uuid.uuid4().hex}.pdf"


class MaterialKind(models.TextChoices):
    SLIDES = "slides", "Slides"
    POSTER = "poster", "Poster"


class Placement(models.Model):
    """An accepted paper in a session (one per paper), with its presenter and material."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="placements")
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="placement"
    )
    order = models.PositiveSmallIntegerField(default=0)
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the paper's contact authors present.",
    )
    attendance_confirmed_at = models.DateTimeField(null=True, blank=True)
    attendance_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    material = models.FileField(upload_to=_material_name, blank=True, max_length=200)
    material_kind = models.CharField(max_length=10, choices=MaterialKind.choices, blank=True)
    material_sha256 = models.CharField(max_length=64, blank=True)
    material_pages = models.PositiveIntegerField(null=True, blank=True)
    material_uploaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "order", "pk"]

    def __str__(self) -> str:
        return f"#{self.submission.number} in {self.session}"


class SpeakerKind(models.TextChoices):
    INVITED = "invited", "Invited speaker"
    ORGANISER = "organiser", "Organiser"


def _photo_name(instance: Speaker, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    ext = ext if ext in ("jpg", "jpeg", "png", "webp", "gif") else "jpg"
    return f"programme/{instance.workshop_id}/people/{uuid.uuid4().hex}.{ext}"


class Speaker(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="speakers")
    kind = models.CharField(max_length=20, choices=SpeakerKind.choices)
    name = models.CharField(max_length=200)
    affiliation = models.CharField(max_length=200, blank=True)
    photo = models.ImageField(upload_to=_photo_name, blank=True, max_length=200)
    bio = models.TextField(blank=True, help_text="Markdown.")
    link = models.URLField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speakers",
        help_text="For invited talks: the session of the talk.",
    )

    class Meta:
        ordering = ["workshop", "kind", "order", "name"]

    def __str__(self) -> str:
        return self.name
