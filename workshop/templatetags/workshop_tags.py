from __future__ import annotations

import datetime as dt

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from .. import policy
from ..phases import AOE
from ..richtext import render_markdown

register = template.Library()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Markdown with math, sanitised (see workshop.richtext)."""
    return render_markdown(text)


@register.filter
def aoe(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(AOE).strftime("%a %-d %b %Y, %H:%M AoE")


@register.filter
def stamp(value: dt.datetime | None) -> str:
    """A past event (an upload, a review, a comment) in UTC: AoE is for deadlines only."""
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%a %-d %b %Y, %H:%M UTC")


@register.simple_tag
def deadline(value: dt.datetime | None, countdown: bool = True) -> SafeString:
    """A deadline in AoE; site.js adds the viewer's local time and a live countdown."""
    if value is None:
        return format_html("<span>—</span>")
    return format_html(
        '<time class="deadline" datetime="{}" data-countdown="{}">{}</time>'
        '<span class="deadline-local" aria-live="off"></span>',
        value.astimezone(dt.UTC).isoformat(),
        "1" if countdown else "0",
        aoe(value),
    )


@register.simple_tag(takes_context=True)
def can(context: template.Context, perm: str, obj: object = None) -> bool:
    """`{% can "submissions.edit" submission as may_edit %}`: the policy, asked for the
    requesting user, exactly as views and services ask it."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return user is not None and policy.can(user, perm, obj)


@register.filter
def mailtext(value: str | None) -> str:
    """User Markdown in a plain-text mail: the math as readable Unicode (`richtext.mail_text`)."""
    from workshop.richtext import mail_text

    return mail_text(value)


@register.filter
def name_with_year(workshop: object) -> str:
    """The workshop's name with its year, unless the name already says one (home page)."""
    import re

    name = str(getattr(workshop, "name", ""))
    if re.search(r"\b(19|20)\d{2}\b", name):
        return name
    when = getattr(workshop, "notification_date", None) or workshop.paper_deadline  # type: ignore[attr-defined]
    return f"{name} {when.year}"
