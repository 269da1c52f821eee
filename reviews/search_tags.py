"""The search language's tag words (issue 28): `tag:order`, `tag:order#3`, `tag:order#>2`,
and the bare `#order` / `#order#3`. Registered by `reviews.search` when it loads.

The search is the chairs' (the desk, the submissions list, the API's chair search): it finds
the shared and the chairs-only tags, never a member's private tag.
"""

from __future__ import annotations

import re

from django.db.models import Q

from workshop.search import (
    SearchContext,
    SearchError,
    parse_comparison,
    search_default_register,
    search_keyword_register,
)

from .models import PaperTag, TagVisibility
from .models.tags import TAG_NAME
from .search import bare_q


def tag_q(value: str, context: SearchContext) -> Q:
    text = value.strip().lstrip("#").lower()
    name, _, compared = text.partition("#")
    if not re.match(TAG_NAME, name):
        raise SearchError(f"“{value}” is not a tag: tag:name, tag:name#3 or tag:name#>2")
    tags = PaperTag.objects.filter(
        name=name, visibility__in=[TagVisibility.SHARED, TagVisibility.CHAIRS]
    )
    if context.workshop_ids:
        tags = tags.filter(submission__workshop_id__in=context.workshop_ids)
    if compared:
        lookup, number = parse_comparison(compared)
        if lookup == "ne":
            tags = tags.filter(value__isnull=False).exclude(value=number)
        else:
            tags = tags.filter(**{f"value__{lookup}": number})
    return Q(pk__in=tags.values("submission_id"))


def bare_or_tag_q(value: str, context: SearchContext) -> Q:
    """A bare `#word` that is not a paper number is a tag; anything else as before."""
    text = value.strip()
    if text.startswith("#") and not text.lstrip("#").isdigit():
        return tag_q(text, context)
    return bare_q(value, context)


search_keyword_register(
    ("tag", "tags"), tag_q, help="tag:order (or #order), tag:order#3, tag:order#>2: a tag"
)
search_default_register(bare_or_tag_q)
