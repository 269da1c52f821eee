"""Playwright (sync API) fixtures driving Debian's chromium against pytest-django's live_server.

- `browser` (session): one headless chromium from PATH; the e2e tests are skipped with a clear
  reason when there is none (Playwright's own browser downloads are not used).
- `page` (function): a fresh browser context, so no cookies leak between tests; on failure a
  screenshot goes to test-artifacts/. It records every distinct URL the test visits and, at
  teardown, revisits each (GET, same context: the same signed-in user) and runs axe-core:
  any critical or serious violation fails the test with a readable list. Every page checked
  and every violation by impact is added to test-artifacts/axe-summary.json. `AXE=0` skips.

Playwright's sync API keeps an asyncio loop marked as running in the test thread between its
calls, so Django's ORM in the test (and pytest-django's flush after a transactional test) would
raise SynchronousOnlyOperation: DJANGO_ALLOW_ASYNC_UNSAFE is set while the browser lives, and
the e2e tests are moved to the end of the run so that no other test runs beside that loop.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

# The review flow's world, for the review and forum flows.
from .review_world import review_setup  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run e2e tests last (stable order otherwise, after pytest-django's own reordering)."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.skip("e2e: no `chromium` on PATH (install Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    try:
        # A chromium that is there but does not start is an error, not a skip.
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root (gitignored), for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


AXE_FAIL_IMPACTS = ("critical", "serious")
# Not pages: downloads, sign-out (a GET would show its confirmation, harmless, but it is not
# what the test saw), mail confirmation keys (single-use).
AXE_SKIP = (".pdf", ".zip", "/files/", "/accounts/logout/", "/download", "/export", ".csv")


def _page_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
    if any(marker in parts.path for marker in AXE_SKIP):
        return None
    return clean


def _axe_summary_add(test: str, checked: list[str], found: list[dict]) -> None:
    """Merge this test's figures into test-artifacts/axe-summary.json."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "axe-summary.json"
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        summary = {"pages_checked": 0, "by_impact": {}, "pages": {}, "violations": []}
    for url in checked:
        key = urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")
        summary["pages"].setdefault(key, []).append(test)
    summary["pages_checked"] = len(summary["pages"])
    for v in found:
        summary["by_impact"][v["impact"]] = summary["by_impact"].get(v["impact"], 0) + 1
        summary["violations"].append(v)
    path.write_text(json.dumps(summary, indent=1, sort_keys=True))


def _axe_check(page, urls: list[str], test: str) -> list[str]:
    """Run axe-core on each URL; return the critical and serious violations, readable."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems: list[str] = []
    found: list[dict] = []
    checked: list[str] = []
    for url in urls:
        try:
            page.goto(url)
        except Exception:  # noqa: BLE001 - a page that does not load is the test's business
            continue
        checked.append(page.url)
        result = axe.run(page)
        for v in result.response.get("violations", []):
            impact = v.get("impact") or "minor"
            targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
            found.append(
                {"url": url, "id": v["id"], "impact": impact, "nodes": len(targets), "test": test}
            )
            if impact in AXE_FAIL_IMPACTS:
                problems.append(
                    f"{impact.upper()} {v['id']} on {urlsplit(url).path}: {v.get('help')} "
                    f"({len(targets)}x: {', '.join(targets[:4])})"
                )
    _axe_summary_add(test, checked, found)
    return problems


@pytest.fixture
def page(browser, request) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    visited: dict[str, None] = {}

    def record(frame) -> None:
        if frame.parent_frame is None and (url := _page_url(frame.url)):
            visited.setdefault(url, None)

    page.on("framenavigated", record)
    problems: list[str] = []
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}.png", full_page=True)
        elif report is not None and os.environ.get("AXE", "1") != "0" and not page.is_closed():
            page.remove_listener("framenavigated", record)
            problems = _axe_check(page, list(visited), request.node.name)
        context.close()
    if problems:
        pytest.fail(
            f"axe-core: {len(problems)} critical/serious violation(s) on pages this test "
            "visited:\n  " + "\n  ".join(problems),
            pytrace=False,
        )
