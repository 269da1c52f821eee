"""Markdown with LaTeX math, rendered to safe HTML.

markdown-it-py renders CommonMark (raw HTML off) and the dollarmath plugin wraps `$...$` and
`$$...$$` in `<span class="math inline">` / `<div class="math block">`, so that Markdown
never mangles the TeX; KaTeX typesets those elements in the browser. nh3 then cleans the
HTML against an allow-list, so nothing a user types can run script or smuggle attributes.

Mail has no KaTeX: `math_to_text` turns TeX into readable Unicode (pylatexenc: `$\\Delta$`
-> "Δ", `$\\alpha \\to \\infty$` -> "α → ∞"); `mail_text` is the plain-text part (the Markdown
stays as it is, which reads well as text, with the math in Unicode) and `mail_html` the HTML
part (the Markdown rendered and cleaned as above, the math in Unicode).
"""

from __future__ import annotations

import html
import re
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


# $$...$$ first, then $...$ (not a lone "$5"): the same spans the dollarmath plugin takes.
MATH_RE = re.compile(r"\$\$(.+?)\$\$|(?<![\\$\w])\$(?!\s)([^$\n]+?)(?<!\s)\$(?![\w$])", re.S)


@cache
def _latex_converter():  # type: ignore[no-untyped-def]
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text", strict_latex_spaces="based-on-source")


def math_to_text(tex: str) -> str:
    """One TeX formula as readable Unicode; the source itself if it cannot be read."""
    try:
        text = _latex_converter().latex_to_text(tex)
    except Exception:  # noqa: BLE001 - user input: fall back to the source
        return tex
    return " ".join(text.split()) or tex


def mail_text(text: str | None) -> str:
    """The plain-text form of user Markdown for a mail: the math in Unicode."""
    if not text:
        return ""
    return MATH_RE.sub(lambda m: math_to_text(m.group(1) or m.group(2)), text)


def mail_html(text: str | None) -> SafeString:
    """The HTML form of user Markdown for a mail: rendered and cleaned, the math in Unicode.

    Each formula is swapped for a placeholder before rendering (so neither Markdown nor the
    dollar-math plugin sees the TeX) and for its escaped Unicode after cleaning."""
    if not text:
        return mark_safe("")
    formulas: list[str] = []

    def hold(m: re.Match) -> str:
        formulas.append(math_to_text(m.group(1) or m.group(2)))
        return f"MATHPLACEHOLDER{len(formulas) - 1}X"

    rendered = str(render_markdown(MATH_RE.sub(hold, text)))
    return mark_safe(  # cleaned by nh3, formulas escaped
        re.sub(
            r"MATHPLACEHOLDER(\d+)X",
            lambda m: html.escape(formulas[int(m.group(1))]),
            rendered,
        )
    )
