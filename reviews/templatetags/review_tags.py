from __future__ import annotations

from django import template

from ..models import ReviewQuestion

register = template.Library()


@register.simple_tag
def answer_value(saved: dict, posted: dict | None, question: ReviewQuestion) -> object:
    """What the editor shows for a question: what was just posted (after a refused submit),
    else what is saved."""
    key = f"q_{question.pk}"
    if posted and key in posted:
        return posted[key]
    return saved.get(question.pk)


@register.filter
def score_label(question: ReviewQuestion, value: object) -> str:
    try:
        return question.score_labels().get(int(value), "")
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def stored_differs(conflict: dict | None, question: ReviewQuestion, shown: object) -> object:
    """The stored text of a question after a refused (stale) submission, when it differs
    from what the form shows; None otherwise."""
    if not conflict:
        return None
    stored = conflict.get("saved", {}).get(str(question.pk))
    if stored in (None, "") or str(stored) == str(shown or ""):
        return None
    return stored
