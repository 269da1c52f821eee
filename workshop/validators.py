"""Two input rules every form, admin page, serializer and importer of the project shares
(issue 30): a field shown as one line refuses line breaks, and a number is finite.

A line break in a one-line field (a title, a name, a room) breaks every one-line writer
downstream: an iCal property, a mail header, a CSV row read by hand. `OneLineInputs` (forms)
and `OneLineAdmin` (admin pages and inlines) add `validate_one_line` to every CharField
rendered as a single-line input, so a new field is covered without being named; rows stored
before the rule may still hold breaks, and writers flatten them with `one_line`.

Django's and DRF's float and decimal fields already refuse "nan", "inf" and "1e999"; what is
not covered is parsing by hand (`float(text)` accepts all three): `finite_float` is that
parser, for importers and query strings.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.widgets import Input

# Every character Python's str.splitlines() breaks on.
LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
ONE_LINE_MESSAGE = "This field is a single line: remove the line break."
ONE_LINE_INPUT_TYPES = frozenset({"text", "email", "url", "search", "tel"})


def one_line(text: Any) -> str:
    """`text` on one line: every run of line breaks becomes one space (for writers of stored
    values that may predate the rule)."""
    return re.sub(r"\s*" + LINE_BREAK.pattern + r"+\s*", " ", str(text or "")).strip()


def validate_one_line(value: Any) -> None:
    if isinstance(value, str) and LINE_BREAK.search(value):
        raise ValidationError(ONE_LINE_MESSAGE, code="line_break")


def is_one_line_input(field: forms.Field) -> bool:
    widget = field.widget
    return (
        isinstance(field, forms.CharField)
        and isinstance(widget, Input)
        and getattr(widget, "input_type", "") in ONE_LINE_INPUT_TYPES
    )


def one_line_field(field: forms.Field | None) -> forms.Field | None:
    """`field` with `validate_one_line` when it is a CharField shown as a one-line input."""
    if field is not None and is_one_line_input(field) and validate_one_line not in field.validators:
        field.validators.append(validate_one_line)
    return field


class OneLineInputs:
    """Form mixin (put it before forms.Form / forms.ModelForm): every CharField rendered as
    a one-line input refuses line breaks. The validator goes on the instance's copies of the
    fields, so fields added in a subclass's __init__ are covered too when it calls super()
    first (`harden` covers later ones)."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.harden()

    def harden(self) -> None:
        for field in self.fields.values():
            one_line_field(field)


class OneLineAdmin:
    """ModelAdmin / inline mixin: the admin's forms follow the same rule as the pages'."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        return one_line_field(super().formfield_for_dbfield(db_field, request, **kwargs))  # type: ignore[misc]


def whole_number(text: Any, *, max_digits: int = 18) -> int | None:
    """A non-negative whole number written in ASCII digits (an id, a page, an order), else
    None. str.isdigit() also holds for "²" and other digits that int() refuses: as the guard
    of an int() it let those through to a 500."""
    text = str(text if text is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


class NotFinite(ValueError):
    """A number that parses but is not finite (nan, inf, -inf, 1e999)."""


def finite_float(text: Any) -> float:
    """float(text), refusing what float() accepts but no number input should: nan, inf,
    -inf and any literal beyond the float range (1e999 parses as inf). Raises ValueError
    (`NotFinite` for those) with a message fit for a report line."""
    value = float(text)
    if not math.isfinite(value):
        raise NotFinite(f"{text!r} is not a finite number.")
    return value


def validate_finite(value: Any) -> None:
    """For model and serializer fields that take numbers from code paths other than forms."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("Enter a finite number.", code="not_finite")


def has_non_finite(value: Any) -> bool:
    """Whether a parsed JSON value holds a non-finite float anywhere: json accepts NaN and
    Infinity and reads 1e999 as infinity, and PostgreSQL's jsonb refuses all three (a 500).
    Iterative, so a deeply nested value cannot exhaust the stack."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def validate_finite_tree(value: Any) -> None:
    """For JSON inputs (a serializer's DictField or JSONField): every number is finite."""
    if has_non_finite(value):
        raise ValidationError(
            "Numbers must be finite (no NaN, Infinity or 1e999).", code="not_finite"
        )
