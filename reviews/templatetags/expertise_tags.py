"""The publication section of the profile page reads its own data (the profile view is
shared), through the expertise selectors; the import report waits in the session once."""

from __future__ import annotations

from typing import Any

from django import template

from ..expertise.importers import FORMATS
from ..selectors.expertise import publications_of

register = template.Library()


@register.simple_tag(takes_context=True)
def publication_section(context: Any) -> dict[str, Any]:
    request = context["request"]
    from ..views.expertise import PENDING_KEY, REPORT_KEY

    kept = request.session.get(PENDING_KEY)
    return {
        "publications": list(publications_of(request.user)),
        "report": request.session.pop(REPORT_KEY, None),
        "formats": FORMATS.items(),
        "kept": {"name": kept.get("name") or "the previewed file"} if kept else None,
    }
