"""Checks of a page at a desktop's and at a phone's width, for the browser tests of the chair's
pages: no sideways scroll at 375 px (a wide table scrolls in its own box), and no critical or
serious axe-core violation at either width (run here, at each width: the `page` fixture's own
axe run revisits each page once, at the width the test ends on)."""

from __future__ import annotations

from tests.e2e.conftest import ARTIFACTS, AXE_FAIL_IMPACTS, _axe_summary_add

WIDTHS = (1280, 375)

_OVERFLOW = """() => {
  const W = window.innerWidth, total = document.documentElement.scrollWidth;
  if (total <= W) return null;
  let worst = null, right = W;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right <= right) continue;
    let p = el.parentElement, inBox = false;
    for (; p; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== 'visible') { inBox = true; break; }
    if (!inBox) { worst = el; right = r.right; }
  }
  const name = worst ? worst.tagName.toLowerCase() + (worst.id ? '#' + worst.id : '')
    + (worst.className && typeof worst.className === 'string'
       ? '.' + worst.className.trim().split(/\\s+/).join('.') : '') : '?';
  return `${total} px wide in a ${W} px window (widest: ${name}, ${Math.round(right)} px)`;
}"""


def overflow(page) -> str | None:
    """None if the page is no wider than the window; else its width and the widest element
    that sticks out (not inside a box that scrolls), to say what to fix."""
    return page.evaluate(_OVERFLOW)


def axe_problems(page, axe, test: str) -> tuple[list[str], list[dict]]:
    """The critical and serious violations on the page as shown now (readable), and every
    violation found (for test-artifacts/axe-summary.json)."""
    problems, found = [], []
    for v in axe.run(page).response.get("violations", []):
        impact = v.get("impact") or "minor"
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        found.append({"url": page.url, "id": v["id"], "impact": impact,
                      "nodes": len(targets), "test": test})  # fmt: skip
        if impact in AXE_FAIL_IMPACTS:
            problems.append(f"axe {impact} {v['id']} ({len(targets)}x: {', '.join(targets[:3])})")
    return problems, found


class PhoneCheck:
    """Collects the problems of every page checked in one test, to report them all at once.

    `check(page, name)` checks the page as it is now (a page answering a POST, say, which a
    revisit would not see); `sweep(page, base, pages)` visits each page at every width.
    """

    def __init__(
        self, test: str, broken: list[str] | None = None, errors: list[str] | None = None
    ) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.test = test
        # The page's HTTP and console errors (`watch`), if the test collects them: what axe
        # itself causes is taken out of them (see `check`).
        self.watched = [found for found in (broken, errors) if found is not None]
        self.failures: list[str] = []
        self.found: list[dict] = []
        self.checked: list[str] = []

    def check(self, page, name: str) -> None:
        width = page.viewport_size["width"]
        where = f"{name} at {width} px ({page.url})"
        before = len(self.failures)
        if width < 1280 and (wide := overflow(page)):
            self.failures.append(f"{where}: scrolls sideways, {wide}")
        # axe fetches the page's stylesheets again to read them (its CSSOM preload), resolves
        # Django's `@import url('widgets.css')` against the page's address (a 404) and puts
        # what it read in a <style> element that the CSP blocks (a console error): both are
        # axe's doing, not the page's.
        marks = [len(found) for found in self.watched]
        problems, found = axe_problems(page, self.axe, self.test)
        for watched, mark in zip(self.watched, marks, strict=True):
            del watched[mark:]
        self.failures += [f"{where}: {problem}" for problem in problems]
        self.found += found
        self.checked.append(page.url)
        if len(self.failures) > before:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"FAILED-{self.test}-{name}-{width}.png")

    def sweep(self, page, base: str, pages: dict[str, str]) -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                response = page.goto(f"{base}{path}")
                if response is None or response.status != 200:
                    status = response.status if response is not None else "nothing"
                    self.failures.append(f"{name} at {width} px ({path}): answered {status}")
                    continue
                self.check(page, name)

    def report(self) -> str:
        """Adds the pages checked to the axe summary; the failures, readable ('' if none)."""
        _axe_summary_add(self.test, self.checked, self.found)
        if not self.failures:
            return ""
        return f"{len(self.failures)} problem(s):\n  " + "\n  ".join(self.failures)
