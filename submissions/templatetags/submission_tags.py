"""Template tags of the author pages and the authors' mails."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django import template
from django.conf import settings

from submissions.models import Submission
from submissions.todo import TodoItem, author_todo

register = template.Library()


@register.simple_tag
def todo_for_address(submission: Submission, email: str) -> list[TodoItem]:
    """The to-do list of the author behind `email` (the recipient of a reminder), the same
    list the dashboard and the paper page show; empty when no account has that verified
    address (such an author cannot act yet). URLs are absolute (`SITE_URL`)."""
    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True)
        .select_related("user")
        .first()
    )
    if address is None:
        return []
    return [
        TodoItem(
            item.code,
            item.label,
            item.url if item.url.startswith("mailto:") else settings.SITE_URL + item.url,
            item.deadline,
            item.optional,
        )
        for item in author_todo(submission, address.user)
    ]
