"""Helpers shared by the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import PASSWORD


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


def sign_in(page, base: str, email: str) -> None:
    """Sign in as `email` (the factories' password) on a fresh session, landing home."""
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    main = page.get_by_role("main")
    main.get_by_label(re.compile("^E-?mail", re.I)).fill(email)
    main.get_by_label(re.compile("^Password", re.I)).fill(PASSWORD)
    main.get_by_role("button", name=re.compile("Sign in", re.I)).click()
    expect(page).to_have_url(f"{base}/")
