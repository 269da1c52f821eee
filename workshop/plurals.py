"""Counts in words: "1 paper", "3 papers", never a noun with "s" in brackets (issue 24).

Templates use Django's `pluralize` filter; Python code says `counted(n, "paper")`, which goes
through `ngettext`, so a later translation gets the plural rules of its language.
"""

from __future__ import annotations

from django.utils.translation import ngettext


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and its noun in the right number ("s" added unless `plural` says otherwise)."""
    return f"{n} {ngettext(singular, plural or f'{singular}s', n)}"
