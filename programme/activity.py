"""The programme app's activity names (declared: `workshop.activity` refuses others)."""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    CONFIRM = "programme.confirm", "Presentation confirmed"
    MATERIAL = "programme.material", "Presentation material uploaded"
    PLACE = "programme.place", "Paper placed"
    PLACE_CSV = "programme.place_csv", "Papers placed from a CSV file"
    PRESENTER = "programme.presenter", "Presenter named"
    PUBLISH = "programme.publish", "Programme published"
    UNPUBLISH = "programme.unpublish", "Programme unpublished"
    REMIND = "programme.remind", "Presenters reminded"
    SESSION_CREATE = "programme.session_create", "Session created"
    SESSION_UPDATE = "programme.session_update", "Session changed"
    SESSION_DELETE = "programme.session_delete", "Session deleted"
    SETTINGS = "programme.settings", "Programme settings changed"
    SPEAKER_CREATE = "programme.speaker_create", "Speaker added"
    SPEAKER_UPDATE = "programme.speaker_update", "Speaker changed"
    SPEAKER_DELETE = "programme.speaker_delete", "Speaker removed"
    UNPLACE = "programme.unplace", "Paper taken out of the programme"
