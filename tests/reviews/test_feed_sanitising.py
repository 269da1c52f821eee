"""The open-reviewing Atom feed carries the same sanitised HTML as the forum page (issue 30,
finding 2): a feed reader renders `<summary type="html">`, so an abstract or a public comment
with `<script>`, `<iframe>`, `onerror=` or a `javascript:` link must reach it cleaned, exactly
as `workshop.richtext.render_markdown` (the page's `|markdown` filter) cleans it.

The world is the open-reviewing module's (built once here), with payloads in the accepted
paper's title and abstract and in an approved public comment.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.urls import reverse

from reviews.models import PublicComment, PublicCommentStatus
from submissions.models import Submission
from tests.reviews.open_world import build_world, set_state
from workshop.models import User
from workshop.richtext import render_markdown

ATOM = "{http://www.w3.org/2005/Atom}"
PAYLOAD = (
    "**ZQBOLD** <script>alert('ZQSCRIPT')</script>"
    ' <iframe src="https://evil.example/ZQIFRAME"></iframe>'
    " <img src=x onerror=\"alert('ZQONERROR')\">"
    " <a href=\"javascript:alert('ZQJSHREF')\">raw link</a>"
    " [md link](javascript:alert('ZQJSMD'))"
)
TITLE = "ZQTITLE <script>alert('ZQTITLESCRIPT')</script><img src=x onerror=alert(1)>"


class _Tags(HTMLParser):
    """Every start tag and attribute of an HTML fragment, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((name, value or "") for name, value in attrs)


def parsed(fragment: str) -> _Tags:
    tags = _Tags()
    tags.feed(fragment)
    tags.close()
    return tags


def assert_harmless(fragment: str, where: str) -> None:
    tags = parsed(fragment)
    for bad in ("script", "iframe", "img", "object", "embed", "style"):
        assert bad not in tags.tags, f"<{bad}> in {where}: {fragment}"
    for name, value in tags.attrs:
        assert not name.startswith("on"), f"{name}= in {where}: {fragment}"
        assert "javascript:" not in value.lower(), f"javascript: in {where}: {fragment}"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        Submission.objects.filter(pk=built.acc.pk).update(title=TITLE, abstract=PAYLOAD)
        PublicComment.objects.create(
            submission=built.acc,
            author=User.objects.get(pk=built.users["stranger"]),
            signature="ZQSIGNER <script>alert(1)</script>",
            body=PAYLOAD.replace("ZQBOLD", "ZQCOMMENTBOLD"),
            status=PublicCommentStatus.APPROVED,
        )
        set_state(built, "all", "both")
        yield built
        transaction.set_rollback(True)


def feed_entries(client, world) -> list[ET.Element]:
    response = client.get(reverse("forum:feed", args=[world.workshop.slug]))
    assert response.status_code == 200
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def summary_of(entry: ET.Element) -> tuple[str, str]:
    summary = entry.find(f"{ATOM}summary")
    assert summary is not None
    return summary.get("type", "text"), summary.text or ""


@pytest.mark.django_db
def test_the_feed_carries_the_abstract_and_the_comment_as_the_page_renders_them(client, world):
    entries = feed_entries(client, world)
    by_marker = {}
    for entry in entries:
        kind, text = summary_of(entry)
        if "ZQCOMMENTBOLD" in text:
            by_marker["comment"] = (kind, text)
        elif "ZQBOLD" in text:
            by_marker["abstract"] = (kind, text)
    assert set(by_marker) == {"abstract", "comment"}, [summary_of(e) for e in entries]
    for what, (kind, text) in by_marker.items():
        assert kind == "html"
        assert_harmless(text, f"the {what}'s summary")
        # Rendered Markdown, as on the page, not the source with its tags escaped once.
        assert "<strong>" in text, text
        assert "**" not in text
    page = client.get(reverse("forum:paper", args=[world.workshop.slug, 1])).content.decode()
    assert str(render_markdown(PAYLOAD)) in page
    assert by_marker["abstract"][1] == str(render_markdown(PAYLOAD))


@pytest.mark.django_db
def test_every_html_field_of_the_feed_is_harmless_and_titles_are_text(client, world):
    for entry in feed_entries(client, world):
        for element in entry.iter():
            kind = element.get("type")
            if kind == "html":
                assert_harmless(element.text or "", element.tag)
            else:
                # A text construct: the reader shows `<script>` as characters.
                assert kind in (None, "text"), (element.tag, kind)
        title = entry.find(f"{ATOM}title")
        assert title is not None and title.get("type", "text") == "text"
