"""The chairs' workflow panel on the admin index: each workshop, its phase, the next step."""

from __future__ import annotations

from django import template

from workshop.models import Workshop
from workshop.phases import current_phase, next_milestone
from workshop.selectors import chaired_workshop_ids

register = template.Library()


@register.inclusion_tag("admin/_chair_panel.html", takes_context=True)
def chair_panel(context) -> dict:
    user = context["request"].user
    workshops = Workshop.objects.filter(pk__in=chaired_workshop_ids(user)).order_by(
        "-paper_deadline"
    )
    return {
        "rows": [
            {"workshop": w, "phase": current_phase(w), "next": next_milestone(w)} for w in workshops
        ]
    }
