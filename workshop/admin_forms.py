"""The workshop settings form of the chair tools: milestones typed in the workshop's time.

Each milestone is one `<input type="datetime-local">` with its own label (Django's split
date and time widgets gave two inputs per label: 46 axe `label` violations). The chair types
the wall-clock time of the workshop's deadline zone (`Workshop.deadline_timezone`: AoE by
default, or the venue's), reads it back in that zone, and sees the stored UTC instant under
each field; `js/admin-deadlines.js` adds the viewer's local time as they type. The stored
values stay aware UTC datetimes, exactly as before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from .deadlines import AOE_NAME, from_wall, to_wall, zone_choices, zone_label, zone_names
from .models import Workshop
from .phases import MILESTONE_FIELDS
from .validators import OneLineInputs

WALL_FORMAT = "%Y-%m-%dT%H:%M"


class MilestoneInput(forms.DateTimeInput):
    """One browser date-and-time picker (minutes; the browser sends `2027-03-01T23:59`)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "60", **(attrs or {})}, format=WALL_FORMAT)


class WallClockField(forms.DateTimeField):
    """A milestone as typed: a naive wall-clock time in the workshop's zone (the form makes
    it an instant, once it knows the zone), or an aware one where the input carried its own
    UTC offset (`2027-03-02T11:59+00:00`, from a script)."""

    widget = MilestoneInput

    def to_python(self, value: Any) -> dt.datetime | None:
        if isinstance(value, str):
            parsed = _parse(value.strip())
            if parsed is not None and parsed.tzinfo is not None:
                return parsed
        result = super().to_python(value)
        return result.replace(tzinfo=None) if result is not None else None

    def prepare_value(self, value: Any) -> Any:
        return value  # already the zone's wall-clock time (the form's `initial`)


def _parse(text: str) -> dt.datetime | None:
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def _utc_line(value: dt.datetime | None, key: str) -> str:
    """Under a milestone: the stored instant in UTC (the script adds the viewer's time)."""
    stored = (
        f"Stored as {value.astimezone(dt.UTC):%a %-d %b %Y, %H:%M} UTC." if value else "Not set."
    )
    return format_html('<span class="milestone-preview" id="milestone-{}">{}</span>', key, stored)


class WorkshopSettingsForm(OneLineInputs, forms.ModelForm):
    """The workshop's settings; the milestones in `deadline_timezone` (see the module)."""

    deadline_timezone = forms.ChoiceField(
        label="Time zone of the deadlines",
        choices=zone_choices,
        initial=AOE_NAME,
        help_text="The zone you type and read the milestones below in. People always see "
        "them in AoE and in their own time; they are stored in UTC.",
    )

    class Meta:
        model = Workshop
        # The admin passes the fields of its fieldsets; alone, the form edits the clock.
        fields = ["deadline_timezone", *(key for key, _ in MILESTONE_FIELDS), "grace_minutes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.instance.deadline_timezone if self.instance.pk else AOE_NAME
        shown = zone_label(zone)
        self.shown_walls: dict[str, dt.datetime] = {}  # as the page shows them: to the minute
        for key, label in MILESTONE_FIELDS:
            if key not in self.fields:
                continue
            model_field = Workshop._meta.get_field(key)
            stored = getattr(self.instance, key) if self.instance.pk else None
            self.fields[key] = WallClockField(
                label=f"{label} ({shown})",
                required=not model_field.blank,
                help_text=_utc_line(stored, key),
                widget=MilestoneInput(
                    attrs={
                        "data-milestone": key,
                        "data-label": label,
                        "data-preview": f"milestone-{key}",
                    }
                ),
            )
            initial = self.initial.get(key)
            if isinstance(initial, dt.datetime) and initial.tzinfo is not None:
                self.initial[key] = to_wall(initial, zone)
                self.shown_walls[key] = self.initial[key].replace(second=0, microsecond=0)

    def clean(self) -> dict[str, Any]:
        """Each typed milestone becomes the UTC instant of that wall-clock time in the
        chosen zone (the one posted with it: a chair may change both at once).

        A milestone sent back as the page showed it keeps its stored instant: the page shows
        minutes, so seconds are not lost, and a change of zone alone re-expresses the
        deadlines instead of moving them (the script shows them in the new zone too)."""
        data = super().clean()
        zone = data.get("deadline_timezone")
        if zone not in zone_names():
            zone = self.instance.deadline_timezone or AOE_NAME
        for key, _ in MILESTONE_FIELDS:
            value = data.get(key)
            if not isinstance(value, dt.datetime):
                continue
            if value.tzinfo is None and self.shown_walls.get(key) == value:
                data[key] = getattr(self.instance, key)
                continue
            if value.tzinfo is not None:
                data[key] = value.astimezone(dt.UTC)
                continue
            try:
                data[key] = from_wall(value, zone)
            except ValidationError as exc:
                self.add_error(key, exc)
                data.pop(key, None)
        return data
