"""Helpers shared by the browser tests."""

from __future__ import annotations


def watch(page) -> tuple[list[str], list[str]]:
    """Collect a page's HTTP errors and JavaScript errors (the favicon aside)."""
    broken: list[str] = []
    errors: list[str] = []
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("/favicon.ico")
            and broken.append(f"{r.status} {r.url}")
        ),
    )
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico")
            and errors.append(m.text)
        ),
    )
    page.on("pageerror", lambda exc: errors.append(f"{exc} (on {page.url})"))
    return broken, errors
