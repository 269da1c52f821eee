"""Text a view reads from `request.POST` by hand, for a service (issue 30, found by the form
fuzzer): without NUL characters. PostgreSQL refuses NUL in text ("A string literal cannot
contain NUL (0x00) characters": a 500); Django's form fields refuse it with a message, a view
reading the raw value does not. No keyboard types one, so it is dropped."""

from __future__ import annotations

from django.http import QueryDict


def posted_text(data: QueryDict, name: str, default: str = "") -> str:
    """The field's value (the last one if it is sent twice) without NUL characters."""
    return data.get(name, default).replace("\x00", "")
