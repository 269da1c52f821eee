"""The time zone a workshop's chairs type and read its milestones in.

Milestones are stored as aware UTC datetimes and shown to people in AoE (UTC-12, the
latest time zone on Earth: a deadline has passed nowhere until it has passed there). The
chairs enter them in AoE by default, or in the venue's zone (any IANA zoneinfo name) if
they choose; this module turns the wall-clock time they type into the stored instant and
back, and refuses a time that does not exist or exists twice in their zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError

AOE_NAME = "AoE"
AOE = dt.timezone(dt.timedelta(hours=-12), AOE_NAME)


@cache
def zone_names() -> tuple[str, ...]:
    """AoE first, then every zoneinfo name this machine knows, sorted."""
    return (AOE_NAME, *sorted(zoneinfo.available_timezones()))


def zone_choices() -> list[tuple[str, str]]:
    return [(AOE_NAME, "AoE (Anywhere on Earth, UTC−12)")] + [
        (name, name) for name in zone_names()[1:]
    ]


def validate_deadline_timezone(value: str) -> None:
    """Model validator: "AoE" or a zoneinfo name ("Europe/Vienna")."""
    if value not in zone_names():
        raise ValidationError(
            f"“{value}” is not a time zone: use AoE or a zone name such as Europe/Vienna.",
            code="invalid_timezone",
        )


def deadline_zone(name: str | None) -> dt.tzinfo:
    """The tzinfo of a zone name; AoE for an empty or unknown one (never a 500)."""
    if not name or name == AOE_NAME or name not in zone_names():
        return AOE
    return zoneinfo.ZoneInfo(name)


def zone_label(name: str | None) -> str:
    """How times in the zone are labelled: "AoE", or the zone's own name."""
    return AOE_NAME if deadline_zone(name) is AOE else str(name)


def to_wall(value: dt.datetime, name: str | None) -> dt.datetime:
    """The stored instant as the naive wall-clock time the chairs read in their zone."""
    return value.astimezone(deadline_zone(name)).replace(tzinfo=None)


def from_wall(value: dt.datetime, name: str | None) -> dt.datetime:
    """The wall-clock time a chair typed in their zone, as an aware UTC instant.

    Refuses a time the zone skips (clocks going forward) or repeats (clocks going back),
    since either would store an instant the chair did not mean."""
    zone = deadline_zone(name)
    wall = value.replace(tzinfo=None, microsecond=0)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    try:
        instant = first.astimezone(dt.UTC)
        back = instant.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # 31 Dec 9999 in AoE is in the year 10000 in UTC
        raise ValidationError(
            f"{wall:%Y-%m-%d %H:%M} is out of range: give a date before the year 9999.",
            code="out_of_range",
        ) from None
    if back != wall:
        raise ValidationError(
            f"{wall:%-d %b %Y %H:%M} does not exist in {name}: the clocks skip it.",
            code="nonexistent_time",
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            f"{wall:%-d %b %Y %H:%M} happens twice in {name} (the clocks go back): "
            "choose a time an hour earlier or later.",
            code="ambiguous_time",
        )
    return instant
