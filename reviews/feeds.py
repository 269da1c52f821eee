"""The per-workshop Atom feed of published forums and approved public comments (open
reviewing, issue 14). Same permissions as the pages: `reviews.view_public_forum` for the
feed and each entry, `reviews.see_public_authors` for an entry's authors.

A reader renders an entry's `<summary type="html">`, so abstracts and comments go in as the
forum page shows them: Markdown rendered and cleaned by `workshop.richtext.render_markdown`
(the page's `|markdown` filter), never the author's or commenter's raw text (issue 30). Titles
and author names are Atom text constructs: readers show them as characters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator

from workshop.models import Workshop
from workshop.policy import can
from workshop.richtext import render_markdown

from .selectors.public import approved_comments, forum_index

SUMMARY_CHARS = 600


def summary_html(text: str) -> str:
    """The first SUMMARY_CHARS characters of user Markdown, as the page renders it (sanitised
    last, so a cut in the middle of the source cannot open anything)."""
    return str(render_markdown(Truncator(text).chars(SUMMARY_CHARS)))


@dataclass
class FeedEntry:
    title: str
    link: str
    description: str
    author: str
    at: dt.datetime
    guid: str


@dataclass
class FeedSource:
    workshop: Workshop
    user: Any


class ForumFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> FeedSource:  # type: ignore[override]
        workshop = get_object_or_404(Workshop, slug=slug)
        if not can(request.user, "reviews.view_public_forum", workshop):
            raise Http404("This workshop publishes no forums.")
        return FeedSource(workshop, request.user)

    def title(self, obj: FeedSource) -> str:
        return f"{obj.workshop.short_name}: open reviews"

    def subtitle(self, obj: FeedSource) -> str:
        return f"Published forums and public comments of {obj.workshop.name}"

    def link(self, obj: FeedSource) -> str:
        return reverse("forum:index", args=[obj.workshop.slug])

    def feed_url(self, obj: FeedSource) -> str:
        return reverse("forum:feed", args=[obj.workshop.slug])

    def items(self, obj: FeedSource) -> list[FeedEntry]:
        workshop = obj.workshop
        entries = []
        for row in forum_index(obj.user, workshop):
            s = row.submission
            link = reverse("forum:paper", args=[workshop.slug, s.number])
            entries.append(
                FeedEntry(
                    title=f"#{s.number} {s.title} ({row.outcome})",
                    link=link,
                    description=summary_html(s.abstract),
                    author=", ".join(a.name for a in row.authors) if row.authors_public else "",
                    at=row.published_at or workshop.created_at,
                    guid=f"forum-{workshop.slug}-{s.number}",
                )
            )
        for c in approved_comments(obj.user, workshop):
            s = c.submission
            link = reverse("forum:paper", args=[workshop.slug, s.number]) + f"#comment-{c.pk}"
            entries.append(
                FeedEntry(
                    title=f"Comment by {c.signature} on #{s.number} {s.title}",
                    link=link,
                    description=summary_html(c.body),
                    author=c.signature,
                    at=c.moderated_at or c.created_at,
                    guid=f"forum-{workshop.slug}-comment-{c.pk}",
                )
            )
        entries.sort(key=lambda e: e.at, reverse=True)
        return entries

    def item_title(self, item: FeedEntry) -> str:
        return item.title

    def item_link(self, item: FeedEntry) -> str:
        return item.link

    def item_description(self, item: FeedEntry) -> str:
        return item.description

    def item_author_name(self, item: FeedEntry) -> str | None:
        return item.author or None

    def item_pubdate(self, item: FeedEntry) -> dt.datetime:
        return item.at

    def item_updateddate(self, item: FeedEntry) -> dt.datetime:
        return item.at

    def item_guid(self, item: FeedEntry) -> str:
        return item.guid

    item_guid_is_permalink = False

    def get_feed(self, obj: FeedSource, request: HttpRequest):  # type: ignore[no-untyped-def]
        feed = super().get_feed(obj, request)
        if not feed.items:
            feed.feed["updateddate"] = timezone.now()
        return feed
