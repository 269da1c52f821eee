"""Template tags of the programme, also loaded by lower apps' templates (the accepted-papers
page links each paper to its session); templates are not import-checked by the layering."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from workshop.models import Workshop
from workshop.policy import can

from ..models import Placement
from ..selectors import settings_or_default, slots_by_paper

register = template.Library()


@register.filter
def utc_iso(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).isoformat() if value else ""


@register.simple_tag(takes_context=True)
def programme_slots(context: template.Context, workshop: Workshop) -> dict[int, Placement]:
    """{paper id: placement} when the asker may see the programme, else {} (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can(user, "programme.view", workshop):
        return {}
    slots = slots_by_paper(workshop)
    if slots:
        zone = settings_or_default(workshop).zone
        for placement in slots.values():
            placement.local_start = placement.session.starts_at.astimezone(zone)
    return slots


@register.simple_tag
def session_link(slots: dict[int, Placement], submission: object) -> SafeString | str:
    """A link from a paper to its session on the public programme ("" if unplaced)."""
    placement = slots.get(getattr(submission, "pk", None)) if slots else None
    if placement is None:
        return ""
    session = placement.session
    url = reverse("programme:public", args=[session.workshop.slug])
    return format_html(
        '<a class="session-link" href="{}#session-{}">Programme: {}, {}</a>',
        url,
        session.pk,
        session.title,
        placement.local_start.strftime("%a %-d %b, %H:%M"),
    )
