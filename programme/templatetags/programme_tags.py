"""Template tags of the programme, also loaded by lower apps' templates (the accepted-papers
page links each paper to its session); templates are not import-checked by the layering."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from submissions.models import Submission
from workshop.models import Workshop
from workshop.policy import can

from ..models import Placement
from ..permissions import programme_settings_of
from ..selectors import published_programme_workshop_ids, settings_or_default, slots_by_paper

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


@register.simple_tag
def programme_published(workshop: Workshop) -> bool:
    """The workshop's programme is out for everyone (the chairs' unpublished draft is linked
    from their own tools, not from public pages)."""
    found = programme_settings_of(workshop)
    return found is not None and found.published


@register.simple_tag
def published_programmes() -> frozenset[int]:
    """Ids of the workshops with a published programme, for pages listing many (one query)."""
    return published_programme_workshop_ids()


@register.simple_tag(takes_context=True)
def paper_page(context: template.Context, submission: Submission) -> str:
    """The public page of a paper for the asker: its forum when that is public, else its entry
    on the accepted papers page when that is, else "" (no link)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return ""
    slug = submission.workshop.slug
    if can(user, "reviews.view_public_forum", submission):
        return reverse("forum:paper", args=[slug, submission.number])
    if can(user, "submissions.view_public", submission):
        return f"{reverse('submissions:accepted', args=[slug])}#paper-{submission.number}"
    return ""
