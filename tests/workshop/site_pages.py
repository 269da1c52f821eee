"""What tells the site's own pages from Django's debug pages, shared by the tests of the
error pages with DEBUG off and on."""

from __future__ import annotations

CONFIDENTIAL = "Bea Reviewer-Confidential"
# What every page of the site carries (base.html), and what Django's debug pages carry.
SITE_MARKS = ("Skip to content", "/static/css/site", "Call for papers")
DEBUG_MARKS = ("Traceback", "Using the URLconf", "technical", "Request Method", "DEBUG = True")


def assert_site_page(html: str, *, title: str) -> None:
    """`html` is the site's own page titled `title`, with nothing of a debug page and no
    local of a failed view."""
    for mark in SITE_MARKS:
        assert mark in html, mark
    assert f"<h1>{title}</h1>" in html
    for mark in (*DEBUG_MARKS, CONFIDENTIAL):
        assert mark not in html, mark
