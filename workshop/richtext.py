"""Markdown with LaTeX math, rendered to safe HTML.

markdown-it-py renders CommonMark (raw HTML off) and the dollarmath plugin wraps `$...$` and
`$$...$$` in `<span class="math inline">` / `<div class="math block">`, so that Markdown
never mangles the TeX; KaTeX typesets those elements in the browser. nh3 then cleans the
HTML against an allow-list, so nothing a user types can run script or smuggle attributes.
"""

from __future__ import annotations

from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_CLASSES = {
    "span": {"math", "inline"},
    "div": {"math", "block"},
    "code": {"language-python", "language-bash", "language-text"},
}


@cache
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        .enable("table")
        .enable("strikethrough")
        .use(dollarmath_plugin, double_inline=True, allow_digits=False)
    )


def render_markdown(text: str | None) -> SafeString:
    """Render user Markdown (with math) to HTML that is safe to put in a page."""
    if not text:
        return mark_safe("")
    html = _parser().render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # cleaned by nh3 just above
